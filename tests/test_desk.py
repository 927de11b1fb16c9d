"""The supporter's desk, pure (bot.warmline.desk): notes, who /handover names, /queue's order, wrap-up data."""

from __future__ import annotations

import pytest

from bot.warmline import desk

PREFIX = "w|"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("// she may call back", True),
        ("//", True),
        ("  #note check the list", True),
        ("#NOTE: capitals", True),
        ("#note", True),
        ("#notes are fine too?", False),  # a word that only starts like the mark is a message
        ("#noted, thanks", False),
        ("Hello // not at the start", False),
        ("/end", False),
        ("", False),
        (None, False),
    ],
)
def test_a_note_starts_with_its_mark(text: str | None, note: bool) -> None:
    """Only a message that starts with // or #note (as a word) is a note for the team."""
    assert desk.is_note(text) is note


ALIASES = {501: "Sam", 502: "Sam K", 503: "Rio", 504: "Zoë"}


@pytest.mark.parametrize(
    ("argument", "found"),
    [
        ("Rio she wants a bed tonight", (503, "she wants a bed tonight")),
        ("rio", (503, "")),
        ("Sam K she speaks Tagalog", (502, "she speaks Tagalog")),
        ("sam kindly call back", (501, "kindly call back")),
        ("zoe needs a lawyer", (504, "needs a lawyer")),
        ("Robin she wants a bed", None),
        ("Riot", None),
        ("", None),
    ],
)
def test_handover_finds_the_longest_alias_as_whole_words(argument: str, found: tuple[int, str] | None) -> None:
    """The colleague is the longest alias the words start with (ignoring case and accents); the rest is
    the line of context."""
    assert desk.handover_target(argument, ALIASES) == found


def test_the_queue_puts_urgent_first_then_the_longest_wait() -> None:
    """Danger words first; then whoever has waited longest."""
    waiting = [
        desk.Waiting("Guest A", "en", 3),
        desk.Waiting("Guest B", "es", 1, urgent=True),
        desk.Waiting("Guest C", "fr", 9),
    ]
    assert [w.alias for w in desk.queue_order(waiting)] == ["Guest B", "Guest C", "Guest A"]


def test_the_card_is_edited_only_when_its_minutes_change() -> None:
    """At most one edit a minute: the minutes shown are compared, not the time."""
    assert desk.wait_minutes(1000, 1000 + 179) == 2
    assert desk.wait_minutes(1000, 900) == 0
    assert not desk.card_due(2, 2)
    assert desk.card_due(2, 3)
    assert desk.card_due(None, 0)


@pytest.mark.parametrize("choice", [*desk.OUTCOMES, *desk.FOLLOWUPS])
def test_wrapup_data_round_trips_into_an_anonymous_counter(choice: str) -> None:
    """Each offered choice reads back as its step and counter, within Telegram's 64 bytes."""
    data = desk.wrapup_data(PREFIX, 123456789, choice)
    assert len(data.encode()) <= 64
    tap = desk.read_wrapup(data, PREFIX)
    assert tap is not None
    assert tap.wrapup == 123456789
    step = "outcome" if choice in desk.OUTCOMES else "followup"
    assert (tap.step, tap.counter) == (step, f"{desk.COUNTER[step]}:{choice}")
    assert tap.next_step == ("followup" if step == "outcome" else "done")


@pytest.mark.parametrize("data", ["w|wrap|1|maybe", "w|wrap|x|yes", "w|wrap|1", "w|take|1|yes", "x|wrap|1|yes", ""])
def test_crafted_wrapup_data_is_refused(data: str) -> None:
    """Anything but an offered choice on a numbered wrap-up is not a tap we count."""
    assert desk.read_wrapup(data, PREFIX) is None
