"""Updates python-telegram-bot cannot parse (bot.channels.telegram.updates): skipped by id, never fatal, never
logged whole; through the real polling loop against the stand-in Bot API server."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from botapi import BotApiServer
from running import start_bot
from telegram import Bot

from bot.channels.telegram.updates import read_batch
from bot.content.loader import Content

NAME, USERNAME, WORDS = "Marisol", "marisol_k_1987", "they took my passport at the farm"


def unreadable(server: BotApiServer, user_id: int) -> int:
    """A message whose sender is not an object: python-telegram-bot raises while parsing it."""
    chat = {"id": user_id, "type": "private", "first_name": NAME, "username": USERNAME}
    return server.enqueue({"message": {"message_id": 1, "date": 1, "chat": chat, "from": NAME, "text": WORDS}})


async def test_an_unreadable_update_is_skipped_and_the_next_ones_are_answered(
    botapi: BotApiServer, tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """An update the library cannot parse is logged by its id alone (no name, username, chat id or text, nothing
    at CRITICAL), confirmed with its batch, and the updates after it are answered: polling goes on."""
    caplog.set_level(logging.DEBUG)
    running = await start_bot(botapi, tmp_path / "data", content)
    try:
        alice = botapi.person(7012345678)
        bad = unreadable(botapi, alice.id)
        alice.send("/start")
        await botapi.wait_for_messages(alice.id, 1, within=15)
        alice.send("/menu")
        await botapi.wait_for_messages(alice.id, 2, within=15)
        assert not running.task.done()
    finally:
        await running.halt()
    assert botapi.pending_updates() == 0  # confirmed: a restart is not offered it again
    lines = [f"{r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert any(f"update {bad} could not be read" in line for line in lines)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    for line in lines:
        for secret in (NAME, USERNAME, WORDS, str(alice.id)):
            assert secret not in line


async def test_a_restart_after_an_unreadable_update_still_works(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """Offered the same unreadable update again (as after a crash), a new start skips it again and answers."""
    alice = botapi.person(7012345678)
    unreadable(botapi, alice.id)
    for attempt in range(2):
        running = await start_bot(botapi, tmp_path / "data", content)
        try:
            alice.send("/start")
            await botapi.wait_for_messages(alice.id, attempt + 1, within=15)
        finally:
            await running.halt()
        botapi.redeliver_all()


def test_a_batch_keeps_the_readable_updates_and_the_highest_id() -> None:
    """read_batch parses each result alone; the last id counts the skipped ones too, so they are confirmed."""
    bot = Bot("123:abc")
    good = {"update_id": 7, "message": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}}}
    batch = read_batch([good, {"update_id": 9, "message": {"chat": "x"}}, "not an update"], bot)
    assert [u.update_id for u in batch.updates] == [7]
    assert batch.last_id == 9
