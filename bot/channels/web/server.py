"""Serving the web chat with uvicorn: `python -m bot web` alone, or beside Telegram in `python -m bot run`.

uvicorn's access log is off (it would write each visitor's address) and proxy headers are not read for
addresses at all; the only line per message is ours (outcome and time, no text, no address).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn

from bot.channels.web.app import WebChat
from bot.channels.web.config import WebSettings
from bot.content.loader import Content, load_content
from bot.core.clock import Clock, system_clock
from bot.runtime.flood import FloodGate
from bot.runtime.turns import Runtime
from bot.settings import Settings
from bot.store.database import Store, StoreError
from bot.store.keys import SecretKeyError

log = logging.getLogger(__name__)


class WebError(Exception):
    """The web chat cannot start; the message says why and what to do."""


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the caller's `stop` event ends it (beside Telegram,
    one SIGTERM stops both)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say
    so, and without it every response waits ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def load(settings: Settings) -> Content:
    content, problems = load_content(settings.flows_dir, settings.resources_dir)
    for problem in problems:
        if problem.is_error:
            log.error("%s", problem)
    if content is None:
        raise WebError(
            "the flows or resources have errors (listed above); fix them, check with "
            "`python -m bot check`, then start again"
        )
    return content


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event,
    runtime: Runtime | None = None,
    warm_line: bool = False,
    content: Content | None = None,
    clock: Clock = system_clock,
    web: WebSettings | None = None,
    started: Callable[[WebChat], None] | None = None,
    requests: FloodGate | None = None,
    opening: FloodGate | None = None,
) -> None:
    """Serve the web chat until `stop` is set. Beside Telegram, `runtime` is the bot's own (the same store,
    content and warm line's hook; `warm_line` says whether that hook reaches web people); alone, the web chat
    opens its own store and runtime over `content` (loaded from the settings when not given). `started` is
    told the running chat (tests use it); `requests` and `opening` replace the web chat's gates (benchmarks)."""
    web = web or WebSettings.from_settings(settings)
    own = runtime is None
    if runtime is None:
        store = await Store.open(settings.data_dir)
        runtime = Runtime(store, content or load(settings), settings, zone=ZoneInfo(settings.timezone), clock=clock)
        await runtime.open()
        runtime.start()
    chat = WebChat(runtime, web, warm_line=warm_line, requests=requests, opening=opening)
    try:
        await _serve(chat, web, stop, started)
    finally:
        if own:
            await runtime.close()
            await runtime.store.close()


async def _serve(
    chat: WebChat, web: WebSettings, stop: asyncio.Event, started: Callable[[WebChat], None] | None
) -> None:
    config = uvicorn.Config(
        chat.app,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    try:  # bound here, so a port in use is our one-line error (uvicorn would exit the process)
        sock = listen(web.host, web.port)
    except OSError as exc:
        raise WebError(
            f"cannot listen on {web.host}:{web.port} ({exc.strerror}); set WEB_HOST and WEB_PORT to a free address"
        ) from None
    chat.address = sock.getsockname()[:2]
    server = _Server(config)
    chat.start()
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        # uvicorn's own startup happens in its task; tell `started` only once it takes connections
        while not server.started and not task.done():  # noqa: ASYNC110  # uvicorn offers a flag, not an event
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
        log.info("web chat on http://%s:%d", web.host, chat.address[1])
        if started is not None:
            started(chat)
        await stop.wait()
    finally:
        server.should_exit = True
        await chat.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def beside(
    settings: Settings, *, warm_line: bool = False, started: Callable[[WebChat], None] | None = None
) -> Callable[[asyncio.Event, Runtime], Coroutine[Any, Any, None]]:
    """What `run` starts beside Telegram when WEB_PORT is set: the web chat over the bot's own runtime (one
    store, one content, one warm line), stopping with the bot. `warm_line`: the bot's warm line reaches web
    people (WARMLINE_CHAT_ID is set)."""
    web = WebSettings.from_settings(settings)  # a bad setting stops `run` before Telegram starts

    async def side(stop: asyncio.Event, runtime: Runtime) -> None:
        await serve(settings, stop=stop, runtime=runtime, warm_line=warm_line, web=web, started=started)

    return side


def run(settings: Settings, *, clock: Clock = system_clock) -> int:
    """`python -m bot web`: serve until SIGINT or SIGTERM; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(settings, stop=stop, clock=clock)

    try:
        asyncio.run(main())
    except (WebError, StoreError, SecretKeyError, OSError) as exc:
        print(f"The web chat cannot start: {exc}", file=sys.stderr)
        return 1
    return 0
