"""One clock: nothing in bot/ reads the wall clock but bot/core/clock.py, so tests can pin or move the time
(monotonic timers for pacing and logs may be read where they are injected)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
CLOCK = BOT / "core" / "clock.py"
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}


def wall_clock_reads(path: Path) -> list[str]:
    """`datetime.now()`, `date.today()`, `time.time()` and the like, called anywhere in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
            continue
        if (node.value.id, node.attr) in WALL_CLOCK:
            found.append(f"{path.relative_to(BOT.parent)}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", sorted(p for p in BOT.rglob("*.py") if p != CLOCK), ids=str)
def test_only_the_clock_reads_the_wall_clock(path: Path) -> None:
    """The module takes the time from an injected Clock (bot.core.clock), never from the machine directly."""
    assert wall_clock_reads(path) == []


def test_the_clock_itself_is_found_reading_it() -> None:
    """The check can fail: it finds the one real read, in bot/core/clock.py."""
    assert wall_clock_reads(CLOCK) == ["bot/core/clock.py:14: datetime.now"]
