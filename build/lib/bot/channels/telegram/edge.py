"""The Telegram edge: an Update becomes an Event, the engine answers, the Turn becomes Bot API calls.

    update ─► event_from_update ─► flood gate ─► (mode "handoff"? handoff.intercept) ─► engine.advance
           ─► store.save_turn(session + handled update_id + outbox, one transaction) ─► Delivery.deliver
           ─► actions: handoff.on_action(...), then the edge's own (erase, count)

Only private chats run the person's flow; every other update is left to the handoff's handlers (group 1).
Polling is our own loop over getUpdates that confirms a batch only after handling it, so an update fetched
just before a crash is offered again, and the handled-update record makes it count once. A webhook
(WEBHOOK_URL) uses python-telegram-bot's run_webhook. Logs: one line per update, no text, no Telegram id.

The warm line plugs in through `Handoff` (see its docstring); `NoHandoff` is the default.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, BaseHandler, ContextTypes, TypeHandler

from bot.channels.telegram import webhook
from bot.channels.telegram.delivery import (
    DEFAULT_POLICY,
    Delivery,
    RetryPolicy,
    message_for,
    retry_after_seconds,
    with_retries,
)
from bot.channels.telegram.erase import Privacy
from bot.channels.telegram.updates import fetch_updates
from bot.content.loader import Content, load_content
from bot.content.reload import reload_content, watch
from bot.conversation.engine import advance, language_for
from bot.conversation.safety import is_danger
from bot.core import logsafe
from bot.core.clock import Clock, system_clock
from bot.core.problems import Problem
from bot.core.types import Action, Event, Session, Turn
from bot.runtime.flood import FloodGate
from bot.settings import Settings
from bot.store.database import Store, StoreError
from bot.store.keys import SecretKeyError

log = logging.getLogger(__name__)

# httpcore asks `import sniffio` several times per request; when it is not installed, every failed import
# searches sys.path again (failures are not cached), about a millisecond per message sent. Recording it as
# absent gives httpcore the same answer ("asyncio") at once.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LANES = 4  # people handled at once from a batch (more only adds HTTP connection-pool overhead)
COUNTS_EVERY = 10.0  # seconds between writes of the anonymous counts (and retries of queued replies)
DELETE_WINDOW = timedelta(hours=47)  # Telegram lets a bot delete private-chat messages for 48 hours
AnyHandler = BaseHandler[Any, Any, Any]


class EdgeError(Exception):
    """The bot cannot start or must stop; the message says why and what to do, in one line."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update from a person in a private chat, as the edge and the handoff see it."""

    update: Update
    person: str          # the store's key for the person (never log it)
    chat_id: int
    event: Event
    session: Session
    now: datetime        # aware, in BOT_TIMEZONE


class Handoff(Protocol):
    """What the warm line plugs into the edge (issue 5). Every method is called with the running Edge.

    - `handlers()`: handlers for the warm-line group (Take buttons, /end, /reload); added in group 1, so they
      see every update, including those the person flow ignores.
    - `start(edge)` / `stop()`: after the bot is connected and before it stops.
    - `intercept(edge, incoming)`: called before the engine for every private update while
      session.mode == "handoff", and for taps on the handoff's own buttons (callback data "w|..."); an update
      already handled never reaches it. Return None to let the engine answer; return a Turn to answer
      yourself: its replies go through the outbox and its session is saved with the update, exactly once.
    - `on_action(edge, incoming, action)`: each Turn action ("handoff", "danger", "erase", "count", ...),
      after the replies are delivered; the edge then performs its own ("erase", "count").
    """

    def handlers(self) -> Sequence[AnyHandler]: ...

    async def start(self, edge: Edge) -> None: ...

    async def stop(self) -> None: ...

    async def intercept(self, edge: Edge, incoming: Incoming) -> Turn | None: ...

    async def on_action(self, edge: Edge, incoming: Incoming, action: Action) -> None: ...


class NoHandoff:
    """No warm line: the engine's own reply to /talk already told the person where to turn."""

    def handlers(self) -> Sequence[AnyHandler]:
        return ()

    async def start(self, edge: Edge) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def intercept(self, edge: Edge, incoming: Incoming) -> Turn | None:
        return None

    async def on_action(self, edge: Edge, incoming: Incoming, action: Action) -> None:
        return None


def event_from_update(update: Update) -> Event | None:
    """The person-flow event an update means, or None when it is not for the flow (groups, service)."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != "private" or user.is_bot:
        return None
    hint = user.language_code
    if update.callback_query is not None:
        return Event("option", data=update.callback_query.data or "", language_hint=hint)
    if update.edited_message is not None:
        return Event("unsupported", language_hint=hint)
    message = update.message
    if message is None:
        return None
    if message.text is None:
        return Event("unsupported", language_hint=hint)
    if message.text.startswith("/"):
        words = message.text[1:].split(maxsplit=1)  # "/start@navigator_bot payload" -> "start"
        name = words[0].split("@")[0].lower() if words else ""
        return Event("start", language_hint=hint) if name == "start" else Event("command", text=name,
                                                                                  language_hint=hint)
    return Event("text", text=message.text, language_hint=hint)


def update_kind(update: Update) -> str:
    """A name for the kind of update, for logs: never its content."""
    if update.callback_query is not None:
        return "callback"
    if update.edited_message is not None:
        return "edited"
    if update.my_chat_member is not None:
        return "membership"
    message = update.message
    if message is None:
        return "other"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    return "media"


def file_url_for(base_url: str) -> str:
    """The file URL beside a Bot API base URL: ".../bot" -> ".../file/bot", as Telegram lays them out."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def never_held_back(content: Content, event: Event, lang: str) -> bool:
    """What the flood gate must never drop: a tapped button (erase confirmations among them), /forget, and
    words that may mean danger, however fast they come."""
    if event.kind == "option" or (event.kind == "command" and event.text == "forget"):
        return True
    return event.kind == "text" and is_danger(content.danger, event.text)


class Edge:
    """The running Telegram edge: content, store, delivery, flood gate and the handoff plug-in."""

    def __init__(self, settings: Settings, content: Content, handoff: Handoff | None = None, *,
                 flood: FloodGate | None = None, policy: RetryPolicy = DEFAULT_POLICY,
                 housekeeping_every: float = COUNTS_EVERY, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.clock = clock
        self.content = content
        self.handoff: Handoff = handoff or NoHandoff()
        self.flood = flood if flood is not None else FloodGate()  # an empty gate is falsy (it has a length)
        self.policy = policy
        self.housekeeping_every = housekeeping_every
        self.zone = ZoneInfo(settings.timezone)
        self._store: Store | None = None
        self._delivery: Delivery | None = None
        # Anonymous counts wait here and are written every COUNTS_EVERY seconds (and on close), so a turn
        # does not pay a transaction per counter; a crash loses at most those seconds of counts.
        self._counts: dict[tuple[str, str], tuple[datetime, int]] = {}
        self._flusher: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def open(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Open the store, send what a crash left queued, register the command menus, start the handoff."""
        self._store = await Store.open(self.settings.data_dir)
        self._delivery = Delivery(application.bot, self._store, self.policy, clock=self.clock)
        waiting = await self._delivery.deliver_all()
        if waiting:
            log.info("delivered replies queued before a restart (people: %d)", waiting)
        await self.register_commands()
        self._flusher = asyncio.create_task(self._every(self.housekeeping_every))
        await self.handoff.start(self)

    async def close(self) -> None:
        await self.handoff.stop()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._store is not None:
            await self.flush_counts()
            await self._store.close()

    def count(self, name: str, now: datetime) -> None:
        """Add one to today's anonymous counter `name` (written within COUNTS_EVERY seconds)."""
        key = (now.date().isoformat(), name)
        _, n = self._counts.get(key, (now, 0))
        self._counts[key] = (now, n + 1)

    async def flush_counts(self) -> None:
        waiting, self._counts = self._counts, {}
        for (_, name), (now, n) in waiting.items():
            try:
                await self.store.count(name, now=now, n=n)
            except ValueError:
                log.warning("a counter name from the flows is not a vocabulary key; not counted")

    async def _every(self, seconds: float) -> None:
        """Housekeeping: write the counts, and retry replies an outage left queued for people who are quiet."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.flush_counts()
                for person in list(self.delivery.backlog):
                    await self.delivery.deliver(person)
            except Exception:  # keep housekeeping alive through a bad moment; the next round retries
                log.exception("housekeeping failed")

    @property
    def store(self) -> Store:
        assert self._store is not None, "Edge.open() first"
        return self._store

    @property
    def delivery(self) -> Delivery:
        assert self._delivery is not None, "Edge.open() first"
        return self._delivery

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the person-flow handler (group 0), the handoff's handlers (group 1) and the error handler."""
        application.add_handler(TypeHandler(Update, self.on_update), group=0)
        for handler in self.handoff.handlers():
            application.add_handler(handler, group=1)
        application.add_error_handler(self.on_error)
        self.privacy = Privacy.install(application, self, policy=self.policy)  # /privacy, erase, retention

    async def register_commands(self) -> None:
        """The command menu in each language the flows have, and in the default language for the rest."""
        bot = self.delivery.bot
        content = self.content
        default = content.commands(content.default_language)
        await with_retries(partial(bot.set_my_commands, default), self.policy)
        for lang in content.languages:
            await with_retries(partial(bot.set_my_commands, content.commands(lang), language_code=lang),
                               self.policy)

    def reload(self) -> list[Problem]:
        """Load flows and resources again (bot.content.reload.reload_content); swap them in, in one assignment, only if
        they have no errors and differ. Returns the problems. /reload and `run --watch` both come here."""
        self.content, problems, _ = reload_content(self.content, self.settings)
        return problems

    # -- one update ---------------------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle an update for the person flow and log one line: its kind, the outcome and the time taken."""
        started = time.perf_counter()
        outcome = "error"
        try:
            outcome = await self.handle(update)
        finally:
            log.info("update kind=%s outcome=%s ms=%.1f", update_kind(update), outcome,
                     (time.perf_counter() - started) * 1000)

    async def handle(self, update: Update) -> str:
        """Run one update through flood control, the handoff or the engine; returns the outcome (for logs)."""
        if update.my_chat_member is not None:
            return await self._membership(update)
        event = event_from_update(update)
        user, chat = update.effective_user, update.effective_chat
        if event is None or user is None or chat is None:
            return "ignored"
        now = self.clock().astimezone(self.zone)
        person = self.store.person_key(user.id)
        remember = None  # the person's own message, kept (in the same trip as the session) for /forget
        if update.callback_query is not None:
            await self._answer(update)
        elif update.effective_message is not None:
            remember = (update.effective_message.message_id, now)
        session = Session.from_dict(await self.store.load_session(person, remember=remember) or {})
        # on the warm line a burst is a person talking to a person: bot/channels/telegram/warmline.py paces it,
        # losing nothing
        lang = session.language or language_for(self.content, event.language_hint)
        verdict = "pass" if session.mode == "handoff" else self.flood.check(person, time.monotonic())
        if verdict != "pass" and never_held_back(self.content, event, lang):  # the danger check runs only in a burst
            verdict = "pass"
        if verdict == "drop":
            return "flood_dropped"
        if verdict == "warn":
            await self.delivery.send_now(person, chat.id, self.content.text("slow_down", lang))
            return "flood_warned"
        incoming = Incoming(update, person, chat.id, event, session, now)
        # bot/channels/telegram/warmline.py's buttons
        warm_button = event.kind == "option" and event.data.startswith("w|")
        turn = None
        if session.mode == "handoff" or warm_button:
            # The relay acts before the turn is saved, so a redelivered update must be caught first; elsewhere
            # save_turn refuses a handled update before anything is sent.
            if await self.store.is_handled(update.update_id):
                return "duplicate"
            turn = await self.handoff.intercept(self, incoming)
        outcome = "handoff" if turn is not None else "replied"
        if turn is None:
            turn = advance(self.content, session, event, now)
        return await self.apply(incoming, turn) or outcome

    async def apply(self, incoming: Incoming, turn: Turn) -> str | None:
        """Save the turn with its update and replies (one transaction), deliver them, then run its actions."""
        queued = [message_for(incoming.chat_id, reply) for reply in turn.replies]
        saved = await self.store.save_turn(incoming.person, turn.session.to_dict(),
                                           update_id=incoming.update.update_id, chat_id=incoming.chat_id,
                                           now=incoming.now, outbox=queued)
        if not saved:
            return "duplicate"
        delivered, _ = await self.delivery.deliver(incoming.person, queued)
        if delivered == "blocked":
            return "blocked"
        for action in turn.actions:
            await self.handoff.on_action(self, incoming, action)
            await self._act(incoming, action)
        return None if delivered == "sent" else "queued"

    async def _act(self, incoming: Incoming, action: Action) -> None:
        if action.name == "count":
            self.count(str(action.get("name", "")), incoming.now)
        elif action.name == "erase":
            await self.erase(incoming, str(action.get("say", "")))

    async def erase(self, incoming: Incoming, say: str) -> None:
        """/forget: bot.channels.telegram.erase deletes the chat's messages Telegram still allows and every row
        about the person, then leaves the flow's goodbye for a minute (not remembered: nothing about the person is
        left)."""
        await self.privacy.erase_chat(self.delivery.bot, self.store, incoming.person, incoming.chat_id, say,
                                      incoming.now)

    async def _answer(self, update: Update) -> None:
        """Stop the button's spinner; a query too old to answer is harmless."""
        query = update.callback_query
        assert query is not None
        try:
            await query.answer()
        except TelegramError as exc:
            log.debug("callback query not answered (%s)", type(exc).__name__)

    async def _membership(self, update: Update) -> str:
        """The person blocked the bot (status "kicked" in their private chat): stop writing to them."""
        member = update.my_chat_member
        assert member is not None
        if member.chat.type != "private" or member.new_chat_member.status != "kicked":
            return "ignored"
        await self.delivery.mark_inactive(self.store.person_key(member.from_user.id))
        return "blocked"

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure (no message text) and, for a person, apologise calmly in their language."""
        log.error("handling an update failed", exc_info=context.error)
        if not isinstance(update, Update) or event_from_update(update) is None:
            return
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or self._store is None:
            return
        person = self.store.person_key(user.id)
        data = await self.store.load_session(person) or {}
        lang = str(data.get("language") or language_for(self.content, user.language_code))
        await self.delivery.send_now(person, chat.id, self.content.text("error", lang))


# -- the Application ----------------------------------------------------------------------------------------

def build_application(settings: Settings, *, polling: bool = True,
                      read_timeout: float = 10.0) -> Application[Any, Any, Any, Any, Any, Any]:
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


async def process_batch(application: Application[Any, Any, Any, Any, Any, Any],
                        updates: Iterable[Update]) -> None:
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


async def poll(application: Application[Any, Any, Any, Any, Any, Any], stop: asyncio.Event,
               wait: int = 30) -> None:
    """Long polling until `stop` is set; InvalidToken is raised: a bot that cannot log in must not run on."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        # one by one, so an update the library cannot parse is skipped by id (bot.channels.telegram.updates)
        fetch = asyncio.ensure_future(fetch_updates(
            application.bot, offset=offset, wait=wait, allowed_updates=ALLOWED_UPDATES))
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
        raise EdgeError("the flows or resources have errors (listed above); fix them, check with "
                        "`python -m bot check`, then start again")
    return content


async def serve(settings: Settings, *, handoff: Handoff | None = None, stop: asyncio.Event | None = None,
                poll_timeout: int = 30, read_timeout: float = 10.0, watch: bool = False,
                edge: Edge | None = None) -> None:
    """Run the bot with long polling until `stop` is set (or SIGINT/SIGTERM when no event is given)."""
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
        try:
            # A webhook left by an earlier deployment makes getUpdates fail with 409 Conflict; pending updates
            # are kept (they have not been answered yet).
            await with_retries(partial(application.bot.delete_webhook, drop_pending_updates=False), edge.policy)
            await edge.open(application)
            log.info("bot running (long polling)")
            await poll(application, stop, poll_timeout)
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            await edge.close()
            await application.stop()


async def serve_webhook(settings: Settings, *, handoff: Handoff | None = None, stop: asyncio.Event | None = None,
                        host: str = "0.0.0.0", edge: Edge | None = None) -> None:
    """Run the bot behind a webhook (WEBHOOK_URL, listening on host:PORT) until `stop` (or SIGINT/SIGTERM), with
    our own receiver (bot.channels.telegram.webhook: the secret checked before any body is read)."""
    edge = edge or Edge(settings, load_or_explain(settings), handoff)
    secret = webhook.webhook_secret(settings.data_dir)
    application = build_application(settings, polling=False)
    edge.install(application)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    receiver = webhook.application(urlparse(settings.webhook_url).path, secret, application.bot,
                                   application.update_queue.put)
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        server = None
        try:
            await edge.open(application)
            server = webhook.listen(receiver, settings.port, host)  # a webhook must be reachable from outside
            await with_retries(partial(application.bot.set_webhook, url=settings.webhook_url, secret_token=secret,
                                       allowed_updates=ALLOWED_UPDATES), edge.policy)
            log.info("bot running (webhook)")
            await stop.wait()
        finally:
            if server is not None:
                await webhook.stop(server)
            await edge.close()
            await application.stop()


def run_webhook(settings: Settings, *, handoff: Handoff | None = None) -> None:
    """`run` with WEBHOOK_URL set: serve_webhook until SIGINT/SIGTERM."""
    asyncio.run(serve_webhook(settings, handoff=handoff))


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=logsafe.FORMAT)
    logsafe.install(logging.getLogger())  # tracebacks without exception messages, which may quote a person
    # httpx logs every request URL, which holds the bot token; the library's debug logs hold update contents.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run drowns the update lines


def run(settings: Settings, *, watch: bool = False, handoff: Handoff | None = None) -> int:
    """`python -m bot run`: polling, or a webhook when WEBHOOK_URL is set. Returns the exit code."""
    configure_logging()
    settings.require_token()
    try:
        if settings.webhook_url:
            run_webhook(settings, handoff=handoff)
        else:
            asyncio.run(serve(settings, handoff=handoff, watch=watch))
    except InvalidToken:
        print("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): the bot has stopped. Check the token "
              "with @BotFather (it may have been revoked) and start again.", file=sys.stderr)
        return 1
    except (EdgeError, StoreError, SecretKeyError, webhook.WebhookSecretError) as exc:
        print(f"The bot cannot start: {exc}", file=sys.stderr)
        return 1
    return 0
