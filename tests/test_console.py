"""Console chat: the real flows in a terminal, driven through stdin as staff and newcomers would."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.console import chat, event_for
from bot.content.loader import load_content
from bot.core.types import Button
from bot.settings import ROOT

NOW = datetime(2026, 11, 28, 14, 30, tzinfo=ZoneInfo("America/Edmonton"))


def test_piped_session_through_python_m_bot_chat() -> None:
    """`python -m bot chat` reads piped stdin: numbers tap buttons, words search, /commands work, EOF ends."""
    script = "1\n/language\n2\n/menu\nje suis enfermée\n/help\n/quit\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    content, _ = load_content(ROOT / "flows", ROOT / "resources")
    assert content is not None
    out = done.stdout
    assert "> /language" in out  # piped input is echoed as a transcript
    assert content.text("language_set", "fr") in out  # the second language was chosen by number
    assert "911" in out  # danger words answered at once
    assert "Traceback" not in out + done.stderr


def test_numbers_map_to_buttons_and_other_lines_to_events() -> None:
    """A number within range taps that button; /x is a command; anything else is free text."""
    buttons = [Button("A", "d1"), Button("B", "d2")]
    assert event_for("2", buttons).data == "d2"
    assert event_for("3", buttons).kind == "text"
    assert event_for("/menu", buttons).text == "menu"
    assert event_for("/start", buttons).kind == "start"
    assert event_for("bed tonight", buttons).kind == "text"


def test_chat_function_runs_in_process() -> None:
    """The console's loop runs in-process over a list of lines and returns where the person ended up."""
    content, _ = load_content(ROOT / "flows", ROOT / "resources")
    assert content is not None
    out = io.StringIO()
    session = chat(content, ["/menu", "/talk"], out, language="en", clock=lambda: NOW)
    assert session.node == content.flows.entry("talk") or session.node.startswith("talk")
    assert "[1]" in out.getvalue()
