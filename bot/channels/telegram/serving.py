"""Serving the Telegram edge: python-telegram-bot's Application, our long-polling loop, and the webhook.

Polling is our own loop over getUpdates that confirms a batch only after handling it, so an update fetched
just before a crash is offered again, and the handled-update record makes it count once. It is the default.
A webhook (WEBHOOK_URL) uses python-telegram-bot's run_webhook, which answers Telegram as soon as an update is
queued, before it is handled: an update in hand when the process dies is lost (README, "Webhook mode").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from functools import partial
from typing import Any
from urllib.parse import urlparse

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application

from bot.channels.telegram import webhook
from bot.channels.telegram.delivery import retry_after_seconds, with_retries
from bot.channels.telegram.edge import Edge, Handoff
from bot.channels.telegram.updates import fetch_updates
from bot.content.loader import Content, load_content
from bot.content.reload import watch
from bot.core import logsafe
from bot.runtime.turns import Runtime
from bot.settings import Settings
from bot.store.database import StoreError
from bot.store.keys import SecretKeyError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LANES = 4  # people handled at once from a batch (more only adds HTTP connection-pool overhead)


class EdgeError(Exception):
    """The bot cannot start or must stop; the message says why and what to do, in one line."""


def file_url_for(base_url: str) -> str:
    """The file URL beside a Bot API base URL: ".../bot" -> ".../file/bot", as Telegram lays them out."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


# -- the Application ----------------------------------------------------------------------------------------


def build_application(
    settings: Settings, *, polling: bool = True, read_timeout: float = 10.0
) -> Application[Any, Any, Any, Any, Any, Any]:
    """python-telegram-bot's Application for these settings (base URL, rate limit, timeouts)."""
    # Whatever the root level: httpx logs request URLs (they hold the token), python-telegram-bot's debug logs
    # hold update contents, names and ids, and aiosqlite's name each call (tests/test_logs.py).
    for noisy in ("httpx", "telegram", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.getLogger(noisy).level, logging.WARNING))
    # Any: some builder calls change its generic type (the rate limiter's), which mypy cannot follow.
    builder: Any = Application.builder().token(settings.require_token())
    if settings.base_url:
        builder = builder.base_url(settings.base_url).base_file_url(file_url_for(settings.base_url))
    if settings.rate_limit > 0:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=settings.rate_limit, max_retries=0))
    builder = builder.read_timeout(read_timeout).write_timeout(read_timeout).connect_timeout(read_timeout)
    if polling:
        builder = builder.updater(None)  # our own loop confirms a batch only after handling it
    application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    return application


async def process_batch(application: Application[Any, Any, Any, Any, Any, Any], updates: Iterable[Update]) -> None:
    """Handle a batch: one person's updates in order, different people at the same time."""
    lanes: dict[object, list[Update]] = {}
    for update in updates:
        user = update.effective_user
        lanes.setdefault(user.id if user is not None else update.update_id, []).append(update)

    queue = list(lanes.values())

    async def worker() -> None:
        while queue:
            for item in queue.pop(0):
                await application.process_update(item)

    await asyncio.gather(*(worker() for _ in range(min(LANES, len(queue)))))


async def poll(application: Application[Any, Any, Any, Any, Any, Any], stop: asyncio.Event, wait: int = 30) -> None:
    """Long polling until `stop` is set; InvalidToken is raised: a bot that cannot log in must not run on."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        # one by one, so an update the library cannot parse is skipped by id (bot.channels.telegram.updates)
        fetch = asyncio.ensure_future(
            fetch_updates(application.bot, offset=offset, wait=wait, allowed_updates=ALLOWED_UPDATES)
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            break
        try:
            batch = fetch.result()
        except RetryAfter as exc:
            await _pause(stop, retry_after_seconds(exc))
            continue
        except (NetworkError, Conflict) as exc:
            failures += 1
            log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
            await _pause(stop, min(30.0, 0.5 * 2 ** min(failures, 6)))
            continue
        failures = 0
        if batch.updates:
            await process_batch(application, batch.updates)
        if batch.last_id is not None:
            offset = batch.last_id + 1
    if offset is not None:
        # confirm the last batch, so a restart is not offered it again (it would be skipped anyway)
        with contextlib.suppress(TelegramError):
            await application.bot.get_updates(offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def watch_content(edge: Edge, stop: asyncio.Event, every: float = 1.0) -> None:
    """`run --watch`: bot.content.reload.watch notices a saved file, then Edge.reload; a broken edit is only
    reported."""
    settings = edge.settings

    async def reload() -> None:
        before = edge.content.version
        problems = edge.reload()
        for problem in problems:
            log.warning("%s", problem)
        if any(p.is_error for p in problems):
            log.error("flows or resources have errors; still running the last good version")
        elif edge.content.version != before:
            log.info("flows and resources reloaded (version %s)", edge.content.version)
            await edge.register_commands()

    watcher = asyncio.create_task(watch((settings.flows_dir, settings.resources_dir), reload, every))
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


def load_or_explain(settings: Settings) -> Content:
    """The flows and resources to start with; errors are logged one per line and stop the start."""
    content, problems = load_content(settings.flows_dir, settings.resources_dir)
    for problem in problems:
        if problem.is_error:
            log.error("%s", problem)
    warnings = sum(not p.is_error for p in problems)
    if warnings:
        log.warning("flows and resources: %d warnings (python -m bot check lists them)", warnings)
    if content is None:
        raise EdgeError(
            "the flows or resources have errors (listed above); fix them, check with "
            "`python -m bot check`, then start again"
        )
    return content


# Another channel served in the same loop over the bot's one runtime (the web chat): given the stop event and
# the runtime (its store, content and the warm line's hook), once the edge has opened it.
Beside = Callable[[asyncio.Event, Runtime], Coroutine[Any, Any, None]]


async def serve(
    settings: Settings,
    *,
    handoff: Handoff | None = None,
    stop: asyncio.Event | None = None,
    poll_timeout: int = 30,
    read_timeout: float = 10.0,
    watch: bool = False,
    edge: Edge | None = None,
    beside: Beside | None = None,
) -> None:
    """Run the bot with long polling until `stop` is set (or SIGINT/SIGTERM when no event is given);
    `beside` (the web chat, when WEB_PORT is set) runs alongside with the same stop and content."""
    edge = edge or Edge(settings, load_or_explain(settings), handoff)
    application = build_application(settings, polling=True, read_timeout=read_timeout)
    edge.install(application)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        watcher = asyncio.create_task(watch_content(edge, stop)) if watch else None
        side = None
        try:
            # A webhook left by an earlier deployment makes getUpdates fail with 409 Conflict; pending updates
            # are kept (they have not been answered yet).
            await with_retries(partial(application.bot.delete_webhook, drop_pending_updates=False), edge.policy)
            await edge.open(application)
            side = asyncio.create_task(beside(stop, edge.runtime)) if beside is not None else None
            log.info("bot running (long polling)")
            await poll(application, stop, poll_timeout)
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            if side is not None:
                await side
            await edge.close()
            await application.stop()


def handled_before_ack(application: Application[Any, Any, Any, Any, Any, Any]) -> Callable[[Update], Awaitable[None]]:
    """What the webhook receiver does with an update before it answers Telegram: handle it, one person's
    updates in order (a lock per person), so Telegram has its 200 only once the turn is saved and its replies
    are queued. An update in hand when the process dies is sent again by Telegram, and counted once."""
    locks: dict[object, tuple[asyncio.Lock, int]] = {}

    async def handle(update: Update) -> None:
        user = update.effective_user
        key: object = user.id if user is not None else update.update_id
        lock, users = locks.get(key) or (asyncio.Lock(), 0)
        locks[key] = (lock, users + 1)
        try:
            async with lock:
                await application.process_update(update)
        finally:
            lock, users = locks[key]
            if users == 1:
                del locks[key]
            else:
                locks[key] = (lock, users - 1)

    return handle


async def serve_webhook(
    settings: Settings,
    *,
    handoff: Handoff | None = None,
    stop: asyncio.Event | None = None,
    host: str = "0.0.0.0",
    edge: Edge | None = None,
    beside: Beside | None = None,
) -> None:
    """Run the bot behind a webhook (WEBHOOK_URL, listening on host:PORT) until `stop` (or SIGINT/SIGTERM), with
    our own receiver (bot.channels.telegram.webhook: the secret checked before any body is read), which answers
    Telegram only after the update is handled (handled_before_ack)."""
    edge = edge or Edge(settings, load_or_explain(settings), handoff)
    secret = webhook.webhook_secret(settings.data_dir)
    application = build_application(settings, polling=False)
    edge.install(application)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    receiver = webhook.application(
        urlparse(settings.webhook_url).path, secret, application.bot, handled_before_ack(application)
    )
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        server = None
        side = None
        try:
            await edge.open(application)
            side = asyncio.create_task(beside(stop, edge.runtime)) if beside is not None else None
            server = webhook.listen(receiver, settings.port, host)  # a webhook must be reachable from outside
            await with_retries(
                partial(
                    application.bot.set_webhook,
                    url=settings.webhook_url,
                    secret_token=secret,
                    allowed_updates=ALLOWED_UPDATES,
                ),
                edge.policy,
            )
            log.info("bot running (webhook)")
            await stop.wait()
        finally:
            stop.set()
            if side is not None:
                await side
            if server is not None:
                await webhook.stop(server)
            await edge.close()
            await application.stop()


def run_webhook(settings: Settings, *, handoff: Handoff | None = None, beside: Beside | None = None) -> None:
    """`run` with WEBHOOK_URL set: serve_webhook until SIGINT/SIGTERM."""
    asyncio.run(serve_webhook(settings, handoff=handoff, beside=beside))


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=logsafe.FORMAT)
    logsafe.install(logging.getLogger())  # tracebacks without exception messages, which may quote a person
    # httpx logs every request URL, which holds the bot token; the library's debug logs hold update contents.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)


def run(
    settings: Settings, *, watch: bool = False, handoff: Handoff | None = None, beside: Beside | None = None
) -> int:
    """`python -m bot run`: polling, or a webhook when WEBHOOK_URL is set. Returns the exit code."""
    configure_logging()
    settings.require_token()
    try:
        if settings.webhook_url:
            run_webhook(settings, handoff=handoff, beside=beside)
        else:
            asyncio.run(serve(settings, handoff=handoff, watch=watch, beside=beside))
    except InvalidToken:
        print(
            "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): the bot has stopped. Check the token "
            "with @BotFather (it may have been revoked) and start again.",
            file=sys.stderr,
        )
        return 1
    except (EdgeError, StoreError, SecretKeyError, webhook.WebhookSecretError) as exc:
        print(f"The bot cannot start: {exc}", file=sys.stderr)
        return 1
    return 0
