"""Webhook mode (WEBHOOK_URL): our own small receiver, which checks Telegram's secret before reading a body.

python-telegram-bot's run_webhook reads the whole request body (up to 100 MB) before it looks at the secret
header, so anyone who finds the URL can make the bot hold ~90 MB per request. Here, with Tornado (which
python-telegram-bot's webhook extra already brings):

- the secret header is checked as soon as the headers arrive, before a byte of body is kept: without it, the
  answer is 403 (a body over 16 kB is not even received: the connection is closed);
- a body must declare its length, at most MAX_BODY (an update is a few kB), or it is refused unread (413/411);
- the secret is its own random value in BOT_DATA_DIR/webhook.secret (0600, made on first run), not derived
  from the token, so the token alone cannot forge updates; set_webhook hands it to Telegram at every start;
- an update the library cannot parse is skipped by id (bot.channels.telegram.updates), answered 200 so
  Telegram does not send it again.

Updates go to python-telegram-bot's update queue (`deliver`), as with run_webhook: Telegram has its answer
once an update is queued, before it is handled (README, "Webhook mode").
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Bot, Update

from bot.channels.telegram.updates import read_update

log = logging.getLogger(__name__)

SECRET_FILE = "webhook.secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # 1 MB: an update is a few kB (a message is at most 4,096 characters)
STRANGER_BODY = 16 << 10  # without the secret, a body this small is skipped unread (a clean 403); larger: cut off

Deliver = Callable[[Update], Awaitable[Any]]


class WebhookSecretError(Exception):
    """webhook.secret is exposed or damaged; the message names the file and the fix."""


def webhook_secret(data_dir: Path) -> str:
    """The webhook's secret from data_dir/webhook.secret, made (random, mode 0600) on first run."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48))  # Telegram allows 1-256 of A-Z a-z 0-9 _ -
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise WebhookSecretError(
            f"{path} can be read by other users (mode {mode:04o}); whoever reads it can send the bot forged "
            f"updates. Run `chmod 600 {path}` and start again."
        )
    secret = path.read_text(encoding="ascii").strip()
    if not secret or len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
        raise WebhookSecretError(
            f"{path} is damaged (Telegram needs 1-256 of A-Z a-z 0-9 _ -): delete it to make "
            "a new one; the next start gives Telegram the new value."
        )
    return secret


@tornado.web.stream_request_body
class _Receiver(tornado.web.RequestHandler):
    """POST /path: the secret header first, then a bounded body, then one update delivered."""

    def initialize(self, secret: str, bot: Bot, deliver: Deliver) -> None:
        self._secret, self._bot, self._deliver = secret.encode(), bot, deliver
        self._body = bytearray()
        self._stranger = False

    def prepare(self) -> None:
        """Runs once the headers are in, before the body is read: refuse a stranger or an oversized body."""
        if self.request.method != "POST":
            raise tornado.web.HTTPError(405)
        length = self.request.headers.get("Content-Length", "")
        declared = int(length) if length.isascii() and length.isdecimal() else None
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            if declared is None or declared > STRANGER_BODY:
                raise tornado.web.HTTPError(403)  # answered now, the body never read; the connection closes
            self._stranger = True  # a small body is let through unread, so the client reads a clean 403
            return
        if declared is None:
            raise tornado.web.HTTPError(411)
        if declared > MAX_BODY:
            raise tornado.web.HTTPError(413)

    def data_received(self, chunk: bytes) -> None:
        if self._stranger:
            return  # dropped as it arrives
        self._body += chunk
        if len(self._body) > MAX_BODY:  # the declared length was checked; this holds whatever arrives
            raise tornado.web.HTTPError(413)

    async def post(self) -> None:
        if self._stranger:
            raise tornado.web.HTTPError(403)
        try:
            data = json.loads(bytes(self._body))
        except (ValueError, UnicodeDecodeError):
            log.warning("a webhook request with the right secret was not JSON; refused")
            raise tornado.web.HTTPError(400) from None
        update = read_update(data, self._bot)
        if update is not None:
            await self._deliver(update)
        self.set_status(200)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()  # an empty body: nothing for a prober to read

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, tornado.web.HTTPError):  # refusals are expected; log real failures by type
            log.error("the webhook failed handling a request (%s)", typ.__name__ if typ else "unknown")


def application(path: str, secret: str, bot: Bot, deliver: Deliver) -> tornado.web.Application:
    """The receiver at /path (only there: any other path is 404, with the server's own size limit)."""
    return tornado.web.Application(
        [(f"/{path.strip('/')}", _Receiver, {"secret": secret, "bot": bot, "deliver": deliver})],
        log_function=lambda handler: None,  # tornado's access log would hold the URL and the caller's address
    )


def listen(app: tornado.web.Application, port: int, host: str = "0.0.0.0") -> tornado.httpserver.HTTPServer:
    """Start serving app on host:port in the running event loop; bodies over MAX_BODY are never buffered."""
    server = tornado.httpserver.HTTPServer(
        app, max_body_size=MAX_BODY, max_buffer_size=2 * MAX_BODY, idle_connection_timeout=60, body_timeout=30
    )
    server.listen(port, address=host)
    return server


async def stop(server: tornado.httpserver.HTTPServer) -> None:
    """Stop accepting, then close the open connections."""
    server.stop()
    await asyncio.wait_for(server.close_all_connections(), 10)
