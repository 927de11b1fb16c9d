"""The order messages go into a warm-line group (bot.warmline.pacing): danger first, fair turns, a capped share,
merged texts, backoff, and which group has room."""

from __future__ import annotations

import pytest

from bot.warmline.pacing import (
    GENERAL,
    Pending,
    backoff,
    choose,
    conversations,
    drain_seconds,
    due,
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


def test_an_urgent_conversation_goes_before_everyone_and_keeps_its_order() -> None:
    """Danger words in conversation 2: its oldest waiting item goes first, ahead of conversation 1's older one."""
    pending = [relay(1, 1), relay(2, 2), relay(3, 2, urgent=True)]
    assert [p.row for p in choose(pending, {}, 0.0, cap=10).batch] == [2]


def test_twenty_stickers_do_not_hold_back_another_conversation() -> None:
    """The conversation with fewer recent sends goes first, whatever waited longer."""
    stickers = [relay(n, 1) for n in range(1, 21)]
    other = relay(21, 2, "hello")
    choice = choose([*stickers, other], {1: [0.0, 1.0, 2.0]}, 3.0, cap=10)
    assert choice.batch == (other,)


def test_a_new_request_counts_double_in_the_fair_turns() -> None:
    """A topic to open goes before a chat that has had one send, though the chat waited longer."""
    chat = relay(1, 1)
    topic = Pending(2, 2, "topic", 2.0)
    assert choose([chat, topic], {1: [0.0], 2: [0.0]}, 1.0, cap=10).batch == (topic,)


def test_one_persons_share_is_capped_and_the_wait_said() -> None:
    """A person at their cap waits until their oldest recent send leaves the window; notes still go."""
    capped = choose([relay(1, 1)], {1: [10.0, 20.0]}, 30.0, cap=2, window=60.0)
    assert capped.batch == ()
    assert capped.wait == pytest.approx(40.0)
    note = Pending(2, 1, "note", 2.0, thread=101)
    assert choose([note], {1: [10.0, 20.0]}, 30.0, cap=2).batch == (note,)


def test_a_retry_holds_back_its_conversation_only() -> None:
    """An item waiting to be tried again keeps the items after it in its topic waiting; others go."""
    failed, after, other = relay(1, 1, "a", ready_at=5.0), relay(2, 1, "b"), relay(3, 2, "c")
    assert choose([failed, after, other], {}, 1.0, cap=10).batch == (other,)
    waiting = choose([failed, after], {}, 1.0, cap=10)
    assert waiting.batch == ()
    assert waiting.wait == pytest.approx(4.0)
    assert choose([failed, after], {}, 5.0, cap=10).batch == (failed, after)


def test_items_waiting_for_their_topic_do_not_go_before_it() -> None:
    """A conversation whose topic is not queued has nothing to send yet; General needs no topic."""
    orphan = Pending(1, 1, "note", 1.0)
    general = Pending(2, GENERAL, "note", 2.0)
    assert choose([orphan], {}, 0.0, cap=10).batch == ()
    assert choose([orphan, general], {}, 0.0, cap=10).batch == (general,)
    assert choose([], {}, 0.0, cap=10).wait is None


def test_plain_texts_of_one_topic_merge_up_to_one_message() -> None:
    """Neighbouring texts merge; a photo (no text) and the message size limit end a batch."""
    texts = [relay(1, 1, "one"), relay(2, 1, "two"), relay(3, 1), relay(4, 1, "four")]
    assert [p.row for p in choose(texts, {}, 0.0, cap=10).batch] == [1, 2]
    big = [relay(1, 1, "x" * (TEXT_MAX - 1)), relay(2, 1, "y")]
    assert [p.row for p in choose(big, {}, 0.0, cap=10).batch] == [1]


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
