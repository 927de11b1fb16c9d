"""Numbers typed in any script: read by value, never an exception (bot.core.numbers), through the real flows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.console import event_for
from bot.content.loader import Content, load_content
from bot.conversation.engine import advance, enter
from bot.conversation.privacy import quiet_choice
from bot.core.numbers import whole_number
from bot.core.types import Button, Event, Session
from bot.settings import Settings

NOW = datetime(2026, 11, 28, 14, 30, tzinfo=ZoneInfo("America/Edmonton"))
SETTINGS = Settings()
LOADED, _PROBLEMS = load_content(SETTINGS.flows_dir, SETTINGS.resources_dir)
assert LOADED is not None, "\n".join(map(str, _PROBLEMS))
CONTENT: Content = LOADED
# str.isdigit() is true for all of these; int() refuses the first five, with the text in its message.
ODD_DIGITS = ["፪", "❶", "²", "①", "𝟐", "٣", "໒", "３"]
SCREENS = sorted(n for n, node in CONTENT.flows.nodes.items() if node.kind == "message" and node.options)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("3", 3),
        (" 12 ", 12),
        ("❶", 1),
        ("፪", 2),
        ("²", 2),
        ("٣", 3),
        ("໒", 2),
        ("３", 3),
        ("𝟐", 2),
        ("", None),
        ("3a", None),
        ("-1", None),
        ("1.5", None),
        ("⑩", None),
        ("½", None),
        ("9" * 10, None),
        ("1" * 5000, None),
    ],
)
def test_whole_number_reads_every_scripts_digits_and_nothing_else(typed: str, value: int | None) -> None:
    """Digits of any script read by their value; anything else (signs, fractions, 10+ digits) is None."""
    assert whole_number(typed) == value


@pytest.mark.parametrize("typed", ODD_DIGITS)
@pytest.mark.parametrize("node_id", SCREENS)
def test_a_number_in_any_script_never_breaks_a_screen(node_id: str, typed: str) -> None:
    """On every screen with options, a digit from any keyboard does what its ASCII digit does, never raising."""
    shown = enter(CONTENT, Session(language="en"), node_id, NOW)
    turn = advance(CONTENT, shown.session, Event("text", text=typed), NOW)
    ascii_digit = advance(CONTENT, shown.session, Event("text", text=str(whole_number(typed))), NOW)
    assert turn.replies or turn.actions
    assert turn.session.node == ascii_digit.session.node


@pytest.mark.parametrize("typed", ["❶", "１", "𝟏"])
def test_a_circled_or_wide_one_picks_the_first_option(typed: str) -> None:
    """'❶' on the menu does what '1' does."""
    menu = advance(CONTENT, Session(), Event("start", language_hint="en"), NOW)
    by_ascii = advance(CONTENT, menu.session, Event("text", text="1"), NOW)
    by_other = advance(CONTENT, menu.session, Event("text", text=typed), NOW)
    assert by_other.session.node == by_ascii.session.node != menu.session.node


@pytest.mark.parametrize("typed", ODD_DIGITS)
def test_button_data_and_console_lines_with_odd_digits_are_refused_calmly(typed: str) -> None:
    """Callback data and console lines holding such digits are read by value or ignored, never raising."""
    assert quiet_choice(f"p|q|{typed}") in (None, 0, *range(1, 1000))
    event = event_for(typed, [Button("first", "d1"), Button("second", "d2"), Button("third", "d3")])
    assert event.kind in ("option", "text")
    stale = advance(CONTENT, Session(language="en"), Event("option", data=f"{CONTENT.version[:6]}|menu|{typed}"), NOW)
    assert stale.replies
