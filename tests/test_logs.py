"""Logs of a whole conversation, end to end (the real Application, the stand-in Bot API server): with every
logger at DEBUG, as an operator chasing a problem would set it, no message text, Telegram id, name, username,
person key or bot token is written."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from botapi import BotApiServer

from bot.channels.telegram.delivery import RetryPolicy
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.content.loader import Content
from bot.conversation.engine import option_data
from bot.conversation.privacy import quiet_data
from bot.runtime.flood import FloodGate
from bot.settings import Settings

FLOWS, RESOURCES = Settings().flows_dir, Settings().resources_dir
USER_ID = 7012345678
FIRST_NAME = "Marisol"
USERNAME = "marisol_k_1987"
WORDS = "my boss took my passport at the farm in Brooks"
SECRET_ANSWER = "he keeps us locked in the bunkhouse"


def erase_data(content: Content) -> str:
    node_id = content.flows.entry("forget")
    node = content.flows.node(node_id)
    assert node is not None
    index = next(i for i, o in enumerate(node.options) if (content.flows.node(o.go) or node).do == "erase")
    return option_data(content.version, node_id, index)


async def test_a_whole_conversation_logs_nothing_that_identifies_anyone(
    botapi: BotApiServer, tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """Start, a button, free words, a media message, /privacy and a quiet-erase choice, /talk, /forget and
    the erase: every log line of every logger (python-telegram-bot's and httpx's included) is free of
    the person's words, ids, names and the token."""
    caplog.set_level(logging.DEBUG)  # the root logger: whatever a library does not silence gets through
    settings = Settings(
        token=botapi.token,
        base_url=botapi.base_url,
        data_dir=tmp_path / "data",
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
    )
    edge = Edge(settings, content, policy=RetryPolicy(first_delay=0.05, attempts=3))
    # a roomy flood gate: this test is about logs, and it sends faster than a person would. (Set after
    # construction: an empty FloodGate is falsy, so Edge's `flood or FloodGate()` would drop it.)
    edge.flood = FloodGate(burst=50)
    edge_stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=edge_stop, poll_timeout=1, read_timeout=1.0, edge=edge))
    try:
        await botapi.wait_for_call("setMyCommands", 1 + len(content.languages))
        edge.runtime.forgetting.line_seconds = 0.2
        alice = botapi.person(USER_ID, first_name=FIRST_NAME)
        assert alice.user is not None
        alice.user["username"] = USERNAME
        alice.user["last_name"] = "Quispe"

        async def step(action: object) -> None:
            before = len(botapi.calls_to("sendMessage"))
            await botapi.wait_for(lambda: len(botapi.calls_to("sendMessage")) > before)
            await asyncio.sleep(0.1)  # a turn may send several messages

        alice.send("/start")
        await step(None)
        first = botapi.messages(alice.id)[-1]
        data = [
            b["callback_data"]
            for row in first.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]
        alice.tap(data[0])
        await step(None)
        for text in (WORDS, SECRET_ANSWER, "/privacy"):
            alice.send(text)
            await step(None)
        alice.tap(quiet_data(6))
        await step(None)
        alice.photo()
        await step(None)
        for text in ("/talk", "/forget"):
            alice.send(text)
            await step(None)
        alice.tap(erase_data(content))
        await botapi.wait_for_call("deleteMessage")
    finally:
        edge_stop.set()
        await asyncio.wait_for(task, 10)

    secrets = {
        "message text": WORDS,
        "an answer": SECRET_ANSWER,
        "a word": "passport",
        "telegram id": str(USER_ID),
        "first name": FIRST_NAME,
        "username": USERNAME,
        "last name": "Quispe",
        "bot token": botapi.token,
        "token secret": botapi.token.split(":", 1)[1] + "/",
        "person key": edge.store.person_key(USER_ID)[:16],
    }
    lines = [f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert len(lines) > 10  # the capture really saw the conversation
    leaks = sorted({(name, line) for line in lines for name, secret in secrets.items() if secret in line})
    assert leaks == []
