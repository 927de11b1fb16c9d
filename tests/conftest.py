"""Shared fixtures. Each owner keeps their fixtures in one labelled group."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# The stand-in Bot API server (tests/botapi) is imported as `botapi`, whether or not tests/ is a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from botapi import BotApiServer
from running import FLOWS, RESOURCES

from bot.content.loader import Content, load_content


# --- Telegram edge: the stand-in Bot API server -----------------------------------------------------------
@pytest.fixture
async def botapi() -> AsyncIterator[BotApiServer]:
    """A stand-in Bot API server on 127.0.0.1 (random port); see tests/botapi/server.py for its API."""
    server = BotApiServer()
    await server.start()
    yield server
    await server.close()


# --- Content: the shipped flows and resources, loaded once for the whole run -------------------------------
@pytest.fixture(scope="session")
def content() -> Content:
    """The real flows/ and resources/ (or an edited copy named by BOT_FLOWS_DIR, as the bot reads it), loaded
    and checked as `python -m bot check` does: errors fail here."""
    loaded, problems = load_content(FLOWS, RESOURCES)
    assert loaded is not None, "\n".join(str(p) for p in problems if p.is_error)
    return loaded
