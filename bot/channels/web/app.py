"""The web chat as a Starlette app: a page that works with JavaScript off, forms that post, live updates.

    GET  /          the chat (a new one when the tab has none; ?lang=fr chooses the language)
    POST /say       a typed message or a tapped button (form fields t: CSRF token, f: one-time form id)
    GET  /events    server-sent events: "update" when the page has new lines, "closed" when the chat ended
    GET  /exit      Quick exit without JavaScript: erase, then off to the neutral site (POST /leave: the script's)
    GET  /static/*  the stylesheet and the script (no build step, nothing from another site)

Every response carries no-store and a strict Content-Security-Policy; the one cookie is HttpOnly and
SameSite=Strict (and Secure over HTTPS). No IP address is read, stored or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.web.chats import Chat, Chats, new_id, quiet_state
from bot.channels.web.config import WebSettings
from bot.channels.web.pages import PageContext, chat_page, notice_page
from bot.channels.web.sender import WebSender
from bot.channels.web.turns import Turns, event_for
from bot.content.loader import Content
from bot.conversation.engine import LANGUAGE, language_for
from bot.core.types import Event
from bot.runtime.flood import FloodGate
from bot.runtime.turns import Runtime

log = logging.getLogger(__name__)
COOKIE = "chat"
STATIC = Path(__file__).resolve().parent / "static"
MAX_FORM_BYTES = 16_384
LISTENERS_PER_CHAT = 3
KEEPALIVE_SECONDS = 15.0
# On leaving and after an erase: the browser drops this site's cache (its back-forward cache too, so Back
# cannot show a page of the chat) and cookies.
CLEAR_SITE_DATA = {"clear-site-data": '"cache", "cookies"'}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def is_https(scope: Scope, *, trust_proxy: bool) -> bool:
    """Whether the person reached us over HTTPS: the connection itself, or X-Forwarded-Proto from a reverse
    proxy, read only when WEB_TRUST_PROXY says one sits in front (anyone can send the header otherwise)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not trust_proxy:
        return False
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            return bool(value.split(b",")[0].strip().lower() == b"https")
    return False


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response carries: nothing cached, nothing framed, no referrer, scripts only from us."""
    headers = [
        (b"cache-control", b"no-store"),
        (b"pragma", b"no-cache"),
        (b"content-security-policy", CSP.encode()),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


async def read_form(request: Request) -> dict[str, str] | None:
    """A small url-encoded form (what the page's forms and the script send); None when it is too large."""
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return None
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return None
    except ClientDisconnect:
        return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


class SecurityHeaders:
    """ASGI middleware: security_headers() on every HTTP response, replacing any the app set."""

    def __init__(self, app: ASGIApp, *, trust_proxy: bool) -> None:
        self.app = app
        self.trust_proxy = trust_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(is_https(scope, trust_proxy=self.trust_proxy))
        names = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WebChat:
    """The running web chat: open chats, the turn pipeline, the limits and the quiet-time sweep."""

    def __init__(
        self,
        runtime: Runtime,
        web: WebSettings,
        *,
        warm_line: bool = False,
        requests: FloodGate | None = None,
        opening: FloodGate | None = None,
        sweep_every: float = 15.0,
    ) -> None:
        self.web = web
        self.chats = Chats(max_chats=web.max_chats)
        # the runtime reaches web people through this sender ("web:<handle>"), the warm line among them
        self.sender = WebSender(self.chats, lambda: runtime.content, warm_line=warm_line)
        runtime.add_channel(self.sender)
        self.turns = Turns(runtime, self.sender, quiet_minutes=web.close_minutes)
        # per chat: any request (a tab reloading in a loop); overall: new chats (a script opening thousands)
        self.requests = requests if requests is not None else FloodGate(burst=30, per_second=5.0)
        self.opening = opening if opening is not None else FloodGate(burst=60, per_second=10.0)
        self.sweep_every = sweep_every
        self.address: tuple[str, int] = (web.host, web.port)  # where the server listens (port 0: the one chosen)
        self._sweeper: asyncio.Task[None] | None = None
        self.app = self._build()

    @property
    def content(self) -> Content:
        return self.turns.content()

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for chat in self.chats:
            # The page's lines live only in this process, so an open chat cannot be picked up again after a
            # restart: its rows go now rather than waiting for retention, and its live stream ends.
            await self._end(chat, "restart")

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await self.sweep()
            except Exception:  # keep the quiet-time close alive through a bad moment; the next round retries
                log.exception("web: quiet-time sweep failed")

    async def sweep(self) -> int:
        """Warn chats that have been quiet a while, close (and erase) those quiet too long; returns closed."""
        now = self.turns.now()
        warn, close = timedelta(minutes=self.web.warn_minutes), timedelta(minutes=self.web.close_minutes)
        closed = 0
        for chat in self.chats:
            state = quiet_state(chat.last_active, now, warn=warn, close=close, warned=chat.warned)
            if state == "warn":
                chat.warned = True
                minutes = self.web.close_minutes - self.web.warn_minutes
                chat.add(
                    "note", self.content.text("web_quiet_warning", chat.language).replace("{minutes}", str(minutes))
                )
                chat.notify()
            elif state == "close":
                await self._end(chat, "quiet")
                closed += 1
        return closed

    async def _end(self, chat: Chat, reason: str) -> None:
        async with chat.lock:
            chat.closing = True
            await self.turns.erase(chat)
            self.chats.end(chat, reason, self.turns.now())

    # -- the app --------------------------------------------------------------------------------------------

    def _build(self) -> ASGIApp:
        app = Starlette(
            routes=[
                Route("/", self.home, methods=["GET"]),
                Route("/say", self.say, methods=["POST"]),
                Route("/events", self.events, methods=["GET"]),
                Route("/exit", self.exit, methods=["GET"]),
                Route("/leave", self.leave, methods=["POST"]),
                Route("/favicon.ico", lambda _: Response(status_code=204), methods=["GET"]),  # no icon, no 404
                Mount("/static", StaticFiles(directory=STATIC), name="static"),
            ]
        )
        return SecurityHeaders(app, trust_proxy=self.web.trust_proxy)

    def _page(self, language: str) -> PageContext:
        return PageContext(self.content, language, self.web.exit_url)

    def _limited(self, request: Request) -> bool:
        """Per connection's chat (its cookie): too many requests at once. No address is ever looked at."""
        return self.requests.check(request.cookies.get(COOKIE) or "-", time.monotonic()) != "pass"

    def _refresh(self, chat: Chat) -> int:
        """Seconds until the quiet time next changes the page (for the no-JavaScript reload)."""
        quiet = (self.turns.now() - chat.last_active).total_seconds()
        due = (self.web.close_minutes if chat.warned else self.web.warn_minutes) * 60
        return max(5, int(due - quiet) + 2)

    def _cookie(self, response: Response, request: Request, value: str | None) -> Response:
        https = is_https(request.scope, trust_proxy=self.web.trust_proxy)
        if value is None:
            response.delete_cookie(COOKIE, path="/", secure=https, httponly=True, samesite="strict")
        else:  # no max_age: a session cookie, gone when the browser closes
            response.set_cookie(COOKIE, value, path="/", secure=https, httponly=True, samesite="strict")
        return response

    async def home(self, request: Request) -> Response:
        """The chat page; a tab without a chat gets a new one (or hears why its chat ended)."""
        if self._limited(request):
            return PlainTextResponse("", status_code=429)
        cookie = request.cookies.get(COOKIE)
        chat = self.chats.get(cookie)
        wanted = request.query_params.get("lang", "")
        if chat is None:
            ended = self.chats.ended(cookie)
            if ended is not None and "new" not in request.query_params:
                reason, language = ended
                words = {"erased": "web_erased", "exit": "web_erased"}.get(reason, "web_closed")
                page = self._page(language)
                erased = HTMLResponse(notice_page(page, self.content.text(words, language)), headers=CLEAR_SITE_DATA)
                return self._cookie(erased, request, None)
            hint = wanted or request.headers.get("accept-language", "").split(",")[0]
            if self.chats.full() or self.opening.check("new", time.monotonic()) != "pass":
                language = language_for(self.content, hint)
                page = self._page(language)
                return HTMLResponse(
                    notice_page(page, self.content.text("web_busy", language), again=False),
                    status_code=503,
                    headers={"retry-after": "60"},
                )
            chat = await self._open(hint)
            return self._cookie(self._show(chat), request, chat.id)
        if wanted in self.content.languages and wanted != chat.language:
            async with chat.lock:
                await self.turns.take(chat, Event("option", data=f"{LANGUAGE}|{wanted}"))
        return self._show(chat)

    async def _open(self, hint: str) -> Chat:
        chat_id = new_id()
        chat = Chat(
            id=chat_id,
            person=self.turns.person(chat_id),
            token=new_id(),
            language=language_for(self.content, hint),
            last_active=self.turns.now(),
        )
        self.chats.add(chat)
        async with chat.lock:
            await self.turns.take(chat, Event("start", language_hint=hint or None))
        return chat

    def _show(self, chat: Chat) -> HTMLResponse:
        return HTMLResponse(chat_page(self._page(chat.language), chat, refresh=self._refresh(chat)))

    async def say(self, request: Request) -> Response:
        """A form post: check the token, answer once per form, then back to the page (303, so a reload does
        not post again)."""
        started = time.perf_counter()
        if self._limited(request):
            return PlainTextResponse("", status_code=429)
        form = await read_form(request)
        if form is None:
            return PlainTextResponse("", status_code=413)
        chat = self.chats.get(request.cookies.get(COOKIE))
        if chat is None:
            return RedirectResponse("/", status_code=303)
        token, form_id = form.get("t", ""), form.get("f", "")
        if not hmac.compare_digest(token.encode(), chat.token.encode()):
            return PlainTextResponse("", status_code=403)
        outcome = "duplicate"
        if chat.first_use(form_id):
            choice, text = form.get("choice", ""), form.get("text", "")
            event = event_for(text, choice, chat.language)
            outcome = "empty"
            if event is None:  # "Check for new messages" (no script), or an empty box: someone is there
                chat.last_active, chat.warned = self.turns.now(), False
            else:
                async with chat.lock:
                    shown = chat.label_of(choice) if choice else text.strip()[:2000]
                    outcome = await self.turns.take(chat, event, shown=shown)
                    if outcome == "erased":
                        self.chats.end(chat, "erased", self.turns.now())
                chat.notify()
        log.info("web kind=say outcome=%s ms=%.1f", outcome, (time.perf_counter() - started) * 1000)
        if outcome == "flood_dropped":
            return PlainTextResponse(self.content.text("slow_down", chat.language), status_code=429)
        return RedirectResponse("/#now", status_code=303)

    async def events(self, request: Request) -> Response:
        """Server-sent events for the script: "update" (fetch the page again), "closed", "restart"."""
        if self._limited(request):
            return PlainTextResponse("", status_code=429)
        chat = self.chats.get(request.cookies.get(COOKIE))
        if chat is None:
            return Response(status_code=204)  # EventSource stops reconnecting on 204
        if len(chat.listeners) >= LISTENERS_PER_CHAT:
            return PlainTextResponse("", status_code=429)
        queue: asyncio.Queue[str] = asyncio.Queue()
        chat.listeners.add(queue)
        return StreamingResponse(
            self._stream(chat, queue), media_type="text/event-stream", headers={"x-accel-buffering": "no"}
        )

    async def _stream(self, chat: Chat, queue: asyncio.Queue[str]) -> AsyncIterator[str]:
        try:
            yield f"retry: 3000\nevent: update\ndata: {chat.last_n}\n\n"
            while True:
                try:
                    what = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield f"event: {what}\ndata: {chat.last_n}\n\n"
                if what in ("closed", "restart"):
                    return
        finally:
            chat.listeners.discard(queue)

    async def exit(self, request: Request) -> Response:
        """Quick exit by link (JavaScript off): the chat is erased, and the browser goes to the neutral site."""
        await self._leave(request, request.query_params.get("t", ""))
        leaving = RedirectResponse(self.web.exit_url, status_code=303, headers=CLEAR_SITE_DATA)
        return self._cookie(leaving, request, None)

    async def leave(self, request: Request) -> Response:
        """Quick exit by the script (navigator.sendBeacon), while the page itself is replaced."""
        form = await read_form(request)
        if form is None:
            return PlainTextResponse("", status_code=413)
        await self._leave(request, form.get("t", ""))
        return self._cookie(Response(status_code=204, headers=CLEAR_SITE_DATA), request, None)

    async def _leave(self, request: Request, token: str) -> None:
        chat = self.chats.get(request.cookies.get(COOKIE))
        if chat is not None and hmac.compare_digest(token.encode(), chat.token.encode()):
            await self._end(chat, "exit")
