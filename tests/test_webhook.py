"""Webhook mode (bot.channels.telegram.webhook): the secret is checked before any body is read, bodies are bounded,
the secret is its own random file; and a real bot served by webhook answers a person."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiServer
from running import FAST, FLOWS, RESOURCES
from telegram import Bot, Update

from bot.channels.telegram import webhook
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve_webhook
from bot.content.loader import Content
from bot.settings import Settings

SECRET = "s3cret_value-for-tests"
NINETY_MB = 90 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def request(port: int, headers: dict[str, str], body: bytes = b"", path: str = "/hook") -> tuple[int, float]:
    """Send a POST's headers (and `body`, which may be shorter than Content-Length says); the status and the
    seconds the server took to answer. Never sends more than `body`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        writer.write("\r\n".join(lines).encode() + body)
        await writer.drain()
        started = asyncio.get_running_loop().time()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1]), asyncio.get_running_loop().time() - started
    finally:
        writer.close()


UPDATE = {
    "update_id": 41,
    "message": {
        "message_id": 1,
        "date": 1,
        "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "is_bot": False, "first_name": "A"},
        "text": "/start",
    },
}


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[int, list[Update]]]:
    """The receiver alone, on a free port, recording what it delivers."""
    delivered: list[Update] = []

    async def deliver(update: Update) -> None:
        delivered.append(update)

    port = free_port()
    server = webhook.listen(webhook.application("hook", SECRET, Bot("123:abc"), deliver), port, "127.0.0.1")
    yield port, delivered
    await webhook.stop(server)


async def test_an_update_with_the_secret_is_delivered(receiver: tuple[int, list[Update]]) -> None:
    """A POST with the right secret and a JSON update is answered 200 and delivered once."""
    port, delivered = receiver
    body = json.dumps(UPDATE).encode()
    status, _ = await request(port, {webhook.SECRET_HEADER: SECRET, "Content-Length": str(len(body))}, body)
    assert status == 200
    assert [u.update_id for u in delivered] == [41]


@pytest.mark.parametrize("headers", [{}, {webhook.SECRET_HEADER: "guess"}, {webhook.SECRET_HEADER: SECRET + "x"}])
async def test_a_90_mb_body_without_the_secret_is_refused_before_it_is_read(
    receiver: tuple[int, list[Update]], headers: dict[str, str]
) -> None:
    """Headers announcing 90 MB without the right secret get 403 at once: the server answers having read not one
    byte of the body (none is sent), so it holds nothing for a stranger."""
    port, delivered = receiver
    status, _ = await request(port, {**headers, "Content-Length": str(NINETY_MB)})
    assert status == 403
    assert delivered == []


async def test_a_body_over_the_limit_is_refused_unread_even_with_the_secret(receiver: tuple[int, list[Update]]) -> None:
    """With the secret, a body declared over MAX_BODY is refused (413) before it is read; one without a length
    is refused too (411)."""
    port, _ = receiver
    assert (await request(port, {webhook.SECRET_HEADER: SECRET, "Content-Length": str(NINETY_MB)}))[0] == 413
    chunked = {webhook.SECRET_HEADER: SECRET, "Transfer-Encoding": "chunked"}
    assert (await request(port, chunked, b"5\r\nhello\r\n0\r\n\r\n"))[0] == 411


async def test_an_unreadable_update_is_skipped_by_id(
    receiver: tuple[int, list[Update]], caplog: pytest.LogCaptureFixture
) -> None:
    """An update the library cannot parse is answered 200 (Telegram would resend it forever otherwise), not
    delivered, and logged by its id without its contents."""
    port, delivered = receiver
    body = json.dumps({"update_id": 77, "message": {"chat": "Marisol", "text": "my passport"}}).encode()
    with caplog.at_level(logging.DEBUG):
        status, _ = await request(port, {webhook.SECRET_HEADER: SECRET, "Content-Length": str(len(body))}, body)
    assert status == 200
    assert delivered == []
    assert any("update 77 could not be read" in r.getMessage() for r in caplog.records)
    assert not any("Marisol" in r.getMessage() or "passport" in r.getMessage() for r in caplog.records)


def test_the_secret_is_random_private_and_kept(tmp_path: Path) -> None:
    """webhook.secret is made once (0600, random, not from the token) and read back the same; a copy others
    can read is refused with the chmod fix."""
    first = webhook.webhook_secret(tmp_path)
    assert webhook.webhook_secret(tmp_path) == first
    assert webhook.webhook_secret(tmp_path / "other") != first
    path = tmp_path / webhook.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    path.chmod(0o644)
    with pytest.raises(webhook.WebhookSecretError, match=rf"chmod 600 {path}"):
        webhook.webhook_secret(tmp_path)


async def test_a_bot_served_by_webhook_answers_a_person(botapi: BotApiServer, tmp_path: Path, content: Content) -> None:
    """serve_webhook registers the webhook with the data dir's secret, and an update posted with it is answered
    through the same edge as polling."""
    port = free_port()
    settings = Settings(
        token=botapi.token,
        base_url=botapi.base_url,
        data_dir=tmp_path / "data",
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        webhook_url="https://bot.example.org/tg/hook",
        port=port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_webhook(settings, stop=stop, host="127.0.0.1", edge=Edge(settings, content, policy=FAST))
    )
    try:
        await botapi.wait_for_call("setWebhook", 1, within=15)
        [call] = botapi.calls_to("setWebhook")
        secret = webhook.webhook_secret(settings.data_dir)
        assert call.params["secret_token"] == secret
        assert call.params["url"] == settings.webhook_url
        update: dict[str, Any] = {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": 7012345678, "type": "private"},
                "text": "/start",
                "from": {"id": 7012345678, "is_bot": False, "first_name": "A", "language_code": "en"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        body = json.dumps(update).encode()
        headers = {webhook.SECRET_HEADER: secret, "Content-Length": str(len(body))}
        assert (await request(port, headers, body, path="/tg/hook"))[0] == 200
        # handled before the acknowledgement: the reply had gone out by the time Telegram got its 200
        assert [m["text"] for m in botapi.messages(7012345678)] != []
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
