"""Small talk, the police question and other languages through the real bot (PTB against the stand-in Bot API
server, a real SQLite file): what the engine decides is what the person sees, and "no police" is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botapi import BotApiServer
from running import FRIDAY_AFTERNOON, Running, start_bot

from bot.content.loader import Content
from bot.conversation.engine import advance
from bot.core.types import Event, Session


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content) -> AsyncIterator[Running]:
    running = await start_bot(botapi, tmp_path / "data", content)
    yield running
    await running.halt()


def _expected(content: Content, texts: list[str]) -> list[str]:
    session, shown = Session(), []
    for i, text in enumerate(texts):
        event = Event("start", language_hint="en") if i == 0 else Event("text", text=text, language_hint="en")
        turn = advance(content, session, event, FRIDAY_AFTERNOON)
        session = turn.session
        shown += [r.text for r in turn.replies]
    return shown


async def test_hi_thanks_and_no_police_through_the_real_bot(bot: Running, content: Content) -> None:
    """ "hi" gets the short welcome and the doors, "thank you" a kind answer, "no cops pls" is stored for later."""
    alice = bot.server.person(1001)
    texts = ["/start", "hi", "thank you", "no cops pls"]
    expected = _expected(content, texts)
    for text in texts:
        alice.send(text)
    messages = await bot.server.wait_for_messages(alice.id, len(expected))
    said = [m["text"] for m in messages]
    assert said == expected
    assert content.text("search_none", "en") not in said
    assert (await bot.session(alice)).no_police


async def test_a_person_writing_punjabi_gets_the_punjabi_door(bot: Running, content: Content) -> None:
    """A message in Punjabi is answered in Punjabi, with the hotline's number and buttons for the four languages."""
    alice = bot.server.person(1002)
    alice.send("/start")
    before = len(await bot.server.wait_for_messages(alice.id, 1))
    alice.send("ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ")
    messages = await bot.server.wait_for_messages(alice.id, before + 1)
    last = messages[-1]
    assert "ਭਾਸ਼ਾ" in last["text"]
    assert "1-833-900-1010" in last["text"]
    labels = [b["text"] for row in last["reply_markup"]["inline_keyboard"] for b in row]
    assert {"English", "Français", "Español", "Tagalog"} <= set(labels)
