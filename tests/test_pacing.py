"""The order messages go into a warm-line group (bot.warmline.pacing): danger first, fair turns, a capped share,
merged texts, backoff, and which group has room."""

from __future__ import annotations

import pytest

from bot.warmline.pacing import (
    GENERAL,
    OPENINGS,
    Pending,
    advance,
    backoff,
    choose,
    conversations,
    drain_seconds,
    due,
    flow,
    saturated,
    with_room,
)
from bot.warmline.rules import TEXT_MAX


def relay(row: int, conversation: int, text: str | None = None, **fields: object) -> Pending:
    return Pending(row, conversation, "relay", float(row), thread=100 + conversation, text=text, **fields)  # type: ignore[arg-type]


def test_conversations_keep_their_own_order() -> None:
    """Items are grouped by conversation, each in send order."""
    found = conversations([relay(3, 1), relay(1, 2), relay(2, 1)])
    assert [p.row for p in found[1]] == [2, 3]
    assert [p.row for p in found[2]] == [1]


def pick(pending: list[Pending], now: float = 0.0, clocks: dict[int, float] | None = None, cap: int = 10) -> list[int]:
    """The rows `choose` sends next."""
    return [p.row for p in choose(pending, clocks or {}, {}, now, cap=cap).batch]


def test_an_urgent_conversation_goes_before_everyone_and_keeps_its_order() -> None:
    """Danger words in conversation 2: its oldest waiting item goes first, ahead of conversation 1's older one."""
    assert pick([relay(1, 1), relay(2, 2), relay(3, 2, urgent=True)]) == [2]


def test_twenty_stickers_do_not_hold_back_another_conversation() -> None:
    """A person whose sends ran their clock ahead of now gives way to another person's later text."""
    stickers = [relay(n, 1) for n in range(1, 21)]
    other = relay(21, 2, "hello", since=3.0)
    assert pick([*stickers, other], 3.0, {1: 6.75}) == [21]
    assert pick([*stickers, other], 3.0) == [1]  # before any sticker went, the older one goes first


def test_a_live_conversation_goes_before_a_wave_of_new_requests_which_keep_their_turn() -> None:
    """New requests share one clock: once it has run ahead, a person's line goes first; while it has not, the
    oldest new request goes first."""
    topics = [Pending(n, 10 + n, "topic", float(n)) for n in range(1, 7)]
    line = relay(7, 1, "hello", since=5.0)
    assert pick([*topics, line], 5.0, {OPENINGS: 8.75, 1: 3.75}) == [7]
    assert pick([*topics, line], 5.0, {OPENINGS: 2.0, 1: 3.75}) == [1]
    assert flow("card", 12) == OPENINGS
    assert flow("relay", 12) == 12


def test_one_persons_share_is_capped_and_the_wait_said() -> None:
    """A person at their cap waits until their oldest recent send leaves the window; notes still go."""
    capped = choose([relay(1, 1)], {}, {1: [10.0, 20.0]}, 30.0, cap=2, window=60.0)
    assert capped.batch == ()
    assert capped.wait == pytest.approx(40.0)
    note = Pending(2, 1, "note", 2.0, thread=101)
    assert [p.row for p in choose([note], {}, {1: [10.0, 20.0]}, 30.0, cap=2).batch] == [2]


def test_a_retry_holds_back_its_conversation_only() -> None:
    """An item waiting to be tried again keeps the items after it in its topic waiting; others go."""
    failed, after, other = relay(1, 1, "a", ready_at=5.0), relay(2, 1, "b"), relay(3, 2, "c")
    assert pick([failed, after, other], 1.0) == [3]
    waiting = choose([failed, after], {}, {}, 1.0, cap=10)
    assert waiting.batch == ()
    assert waiting.wait == pytest.approx(4.0)
    assert pick([failed, after], 5.0) == [1, 2]


def test_items_waiting_for_their_topic_do_not_go_before_it() -> None:
    """A conversation whose topic is not queued has nothing to send yet; General needs no topic."""
    orphan = Pending(1, 1, "note", 1.0)
    general = Pending(2, GENERAL, "note", 2.0)
    assert pick([orphan]) == []
    assert pick([orphan, general]) == [2]
    assert choose([], {}, {}, 0.0, cap=10).wait is None


def test_plain_texts_of_one_topic_merge_up_to_one_message() -> None:
    """Neighbouring texts merge; a photo (no text) and the message size limit end a batch."""
    assert pick([relay(1, 1, "one"), relay(2, 1, "two"), relay(3, 1), relay(4, 1, "four")]) == [1, 2]
    assert pick([relay(1, 1, "x" * (TEXT_MAX - 1)), relay(2, 1, "y")]) == [1]


def test_a_conversations_clock_runs_one_interval_past_the_later_of_now_and_itself() -> None:
    """A quiet conversation starts from now; a busy one runs ahead."""
    assert advance(None, 10.0, 3.75) == 13.75
    assert advance(5.0, 10.0, 3.75) == 13.75
    assert advance(20.0, 10.0, 3.75) == 23.75


@pytest.mark.parametrize(("attempts", "seconds"), [(0, 0.0), (1, 0.5), (2, 1.0), (4, 4.0), (20, 30.0)])
def test_backoff_doubles_up_to_a_limit(attempts: int, seconds: float) -> None:
    """After each transient failure the wait doubles from the first delay, never past the most."""
    assert backoff(attempts, 0.5, 30.0) == seconds


def test_a_group_is_saturated_when_its_queue_takes_longer_than_the_goal() -> None:
    """At 20 a minute with a burst of 4, 4 messages go at once and each more takes 3.75 s."""
    assert drain_seconds(4, 20, 4) == 0
    assert drain_seconds(8, 20, 4) == pytest.approx(15.0)
    assert not saturated(6, 20, 4, 10.0)
    assert saturated(7, 20, 4, 10.0)
    assert not saturated(500, 0, 4, 10.0)  # pacing off
    assert saturated(4, 20, 4, 10.0, tokens=0.0)  # the burst is spent already: 15 s
    assert with_room([-1, -2], {-1: 30, -2: 1}, 20, 4, 10.0) == [-2]


def test_supporters_are_told_again_only_after_a_while() -> None:
    """Never told: tell; told a minute ago with a quarter-hour between: not yet."""
    assert due(None, 100.0, 900.0)
    assert not due(40.0, 100.0, 900.0)
    assert due(40.0, 940.0, 900.0)
