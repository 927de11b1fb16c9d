"""`python -m bot run` as a real process against the stand-in Bot API server: killed with SIGKILL mid-conversation
and started again, a person loses no reply and gets none twice; a bad or missing token stops it clearly."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from botapi import BotApiServer

from bot.content.loader import Content, load_content
from bot.conversation.engine import advance
from bot.core.types import Event, Reply, Session
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def content() -> Content:
    # The real flows, or those BOT_FLOWS_DIR names (passed on to the bot too).
    settings = Settings.from_environ(os.environ, dotenv=Path("/nonexistent"))
    loaded, problems = load_content(settings.flows_dir, settings.resources_dir)
    assert loaded is not None, [str(p) for p in problems if p.is_error]
    return loaded


class Bot:
    """One `python -m bot run` process at a time, over the same data dir."""

    def __init__(self, server: BotApiServer, workdir: Path, content: Content) -> None:
        self.server, self.workdir, self.content = server, workdir, content
        self.process: asyncio.subprocess.Process | None = None

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            "TELEGRAM_BOT_TOKEN": self.server.token,
            "TELEGRAM_BASE_URL": self.server.base_url,
            "BOT_DATA_DIR": str(self.workdir / "data"),
            "TELEGRAM_RATE_LIMIT": "0",
            "BOT_FLOWS_DIR": os.environ.get("BOT_FLOWS_DIR", ""),
        }
        env.update(overrides)
        return {k: v for k, v in env.items() if v}

    async def start(self, **env: str) -> None:
        menus = len(self.server.calls_to("setMyCommands"))
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.workdir,
            env=self.env(**env),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await self.server.wait_for_call("setMyCommands", menus + 1 + len(self.content.languages), within=20)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no cleanup, no goodbye
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), 15)


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content) -> AsyncIterator[Bot]:
    running = Bot(botapi, tmp_path, content)
    yield running
    if running.process is not None and running.process.returncode is None:
        await running.kill()


class Mirror:
    """The engine alone, fed the same events: what the person should see.

    The bot in its own process reads the machine's clock, so a card's "open now" line can change between two
    moments of one test; `texts_between` replays every event at the test's first and last moment, and the bot
    must match one of them (never a mix, as the steps under test show no hours but the last)."""

    def __init__(self, content: Content) -> None:
        self.content, self.steps = content, list[Event]()
        self.started = datetime.now(UTC)

    def feed(self, kind: Any, text: str = "", data: str = "") -> list[str]:
        self.steps.append(Event(kind, text=text, data=data, language_hint="en"))
        return [r.text for r in self.replay(datetime.now(UTC))[-1]]

    def replay(self, now: datetime) -> list[tuple[Reply, ...]]:
        session, replies = Session(), []
        for event in self.steps:
            turn = advance(self.content, session, event, now)
            session = turn.session
            replies.append(turn.replies)
        return replies

    def texts_at(self, now: datetime) -> list[str]:
        return [r.text for replies in self.replay(now) for r in replies]

    def texts_between(self) -> tuple[list[str], list[str]]:
        return self.texts_at(self.started), self.texts_at(datetime.now(UTC))


def first_option(message: dict[str, Any]) -> str:
    return str(message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


@pytest.mark.parametrize("parked", ["sendMessage", "answerCallbackQuery"])
async def test_kill_9_and_restart_loses_no_reply_and_doubles_none(bot: Bot, content: Content, parked: str) -> None:
    """SIGKILL while a reply is being sent (or before the tap was handled), then a restart: each reply once."""
    server, mirror = bot.server, Mirror(content)
    alice = server.person(1001)
    await bot.start()
    expected = mirror.feed("start")
    alice.send("/start")
    messages = await server.wait_for_messages(alice.id, len(expected), within=10)

    server.hold(parked)
    option = first_option(messages[-1])
    expected += mirror.feed("option", data=option)
    alice.tap(option)
    await server.wait_for(lambda: server.held.get(parked, 0) >= 1, within=10)
    await bot.kill()
    server.release(parked)

    await bot.start()
    await server.wait_for_messages(alice.id, len(expected), within=10)
    server.redeliver_all()  # as if every confirmation had been lost too
    await server.wait_for(lambda: server.pending_updates() == 0, within=10)
    expected += mirror.feed("text", text="passport")
    alice.send("passport")
    await server.wait_for_messages(alice.id, len(expected), within=10)
    await asyncio.sleep(0.5)
    assert [m["text"] for m in server.messages(alice.id)] in mirror.texts_between()
    assert await bot.stop() == 0


async def test_webhook_mode_receives_updates_and_answers(bot: Bot, content: Content) -> None:
    """With WEBHOOK_URL set, the bot registers its webhook with a secret, answers updates posted to it and
    refuses posts without the secret."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await bot.start(WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", PORT=str(port))
    hook = (await bot.server.wait_for_call("setWebhook", within=20))[0].params
    assert hook["url"] == f"http://127.0.0.1:{port}/hook"
    alice = bot.server.person(1001)
    update = {"update_id": 1, "message": alice.send("/start")}
    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # the library registers the webhook first, then starts listening
            try:
                async with http.post(f"http://127.0.0.1:{port}/hook", json=update) as refused:
                    assert refused.status == 403
                break
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.1)
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]}
        async with http.post(f"http://127.0.0.1:{port}/hook", json=update, headers=headers) as accepted:
            assert accepted.status == 200
    expected = Mirror(content).feed("start")
    messages = await bot.server.wait_for_messages(alice.id, len(expected), within=10)
    assert [m["text"] for m in messages] == expected
    assert await bot.stop() == 0


async def test_a_revoked_token_stops_the_process_with_a_clear_error(bot: Bot) -> None:
    """When Telegram starts refusing the token, the process exits non-zero and says what to do."""
    await bot.start()
    bot.server.revoke_token()
    bot.server.person(1001).send("/start")
    assert bot.process is not None
    code = await asyncio.wait_for(bot.process.wait(), 15)
    assert bot.process.stderr is not None
    stderr = (await bot.process.stderr.read()).decode()
    assert code != 0
    assert "TELEGRAM_BOT_TOKEN" in stderr
    assert "Traceback" not in stderr


async def test_a_missing_token_is_one_clear_line(bot: Bot) -> None:
    """Without TELEGRAM_BOT_TOKEN, `run` prints one line naming the setting and `python -m bot chat`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=bot.workdir,
        env=bot.env(TELEGRAM_BOT_TOKEN=""),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "python -m bot chat" in lines[0]
