"""Logs never carry what a person typed: numerals that once crashed a turn, and the safe traceback formatter."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from botapi import BotApiServer
from running import start_bot

from bot.content.loader import Content
from bot.core.logsafe import FORMAT, SafeFormatter, describe

WORDS = "he keeps our passports in the office safe"


def failing_parse(text: str) -> int:
    return int(text)


def test_a_traceback_names_the_type_and_the_code_but_not_the_message() -> None:
    """An exception quoting its input is logged as its type and file:line locations, without the input."""
    try:
        try:
            failing_parse(WORDS)
        except ValueError as exc:
            raise RuntimeError(f"could not read {WORDS!r}") from exc
    except RuntimeError as exc:
        caught = exc
    record = logging.LogRecord(
        "bot.x",
        logging.ERROR,
        __file__,
        1,
        "handling an update failed",
        None,
        (type(caught), caught, caught.__traceback__),
    )
    line = SafeFormatter(FORMAT).format(record)
    assert "handling an update failed" in line
    assert "RuntimeError at tests/test_logsafe.py:" in line
    assert "caused by ValueError at tests/test_logsafe.py:" in line
    assert "in failing_parse" in line
    assert "passports" not in line
    assert describe(caught).count("caused by") == 1


@pytest.mark.parametrize("typed", ["፪", "❶", "²"])
async def test_a_number_from_another_keyboard_is_answered_and_never_logged(
    botapi: BotApiServer, tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture, typed: str
) -> None:
    """A person typing '፪' or '❶' on the menu gets the screen that number stands for; nothing is logged as an
    error and no log line holds what they typed (it once crashed the turn and put their input in the log)."""
    caplog.set_level(logging.DEBUG)
    running = await start_bot(botapi, tmp_path / "data", content)
    try:
        alice = botapi.person(7012345678)
        alice.send("/start")
        await botapi.wait_for_messages(alice.id, 1)
        before = len(botapi.messages(alice.id))
        alice.send(typed)
        await botapi.wait_for(lambda: len(botapi.messages(alice.id)) > before, within=15)
        await asyncio.sleep(0.2)
    finally:
        await running.halt()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    for record in caplog.records:
        assert typed not in f"{record.getMessage()} {record.exc_text or ''}"
