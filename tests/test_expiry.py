"""Every warm-line record expires: the pure rules of bot.warmline.expiry."""

from __future__ import annotations

import pytest

from bot.warmline.expiry import DAY, HOUR, LEAVING_HOURS, QUEUED_HOURS, TAKEN_HOURS, Age, Expiry, expired, topic_due

RULES = Expiry(handoff_days=7)
T0 = 1_800_000_000


@pytest.mark.parametrize(
    ("status", "life"),
    [
        ("queued", QUEUED_HOURS * HOUR),
        ("leaving", LEAVING_HOURS * HOUR),
        ("left", 7 * DAY),
        ("taken", TAKEN_HOURS * HOUR),
    ],
)
def test_each_state_expires_after_its_own_time(status: str, life: int) -> None:
    """A handoff in each state lives exactly its state's time without a word, then expires."""
    age = Age(status, T0)
    assert not expired(age, T0 + life - 1, RULES)
    assert expired(age, T0 + life, RULES)


@pytest.mark.parametrize("status", ["leaving", "left", "taken"])
def test_a_word_either_way_starts_the_time_again(status: str) -> None:
    """Leaving, left and taken count from the last message, the person's or the supporter's."""
    life = 10 * DAY
    assert not expired(Age(status, T0, last_person=T0 + life - 60), T0 + life, RULES)
    assert not expired(Age(status, T0, last_supporter=T0 + life - 60), T0 + life, RULES)


def test_a_waiting_request_counts_from_its_start_whatever_the_person_writes() -> None:
    """Writing while waiting does not keep a request nobody takes in line for ever."""
    assert expired(Age("queued", T0, last_person=T0 + QUEUED_HOURS * HOUR), T0 + QUEUED_HOURS * HOUR, RULES)


def test_a_state_these_rules_do_not_name_still_expires() -> None:
    """A newer step of the warm line (not named here) lives HANDOFF_RETENTION_DAYS from its last word."""
    assert not expired(Age("something_new", T0), T0 + 7 * DAY - 1, RULES)
    assert expired(Age("something_new", T0), T0 + 7 * DAY, RULES)


def test_the_days_follow_the_setting() -> None:
    """A message left unanswered lives HANDOFF_RETENTION_DAYS; zero days still gives it an hour."""
    assert expired(Age("left", T0), T0 + 2 * DAY, Expiry(handoff_days=2))
    assert not expired(Age("left", T0), T0 + 2 * DAY - 1, Expiry(handoff_days=2))
    assert expired(Age("left", T0), T0 + HOUR, Expiry(handoff_days=0))


def test_an_ended_topic_is_due_after_the_days_or_at_once_when_forgotten() -> None:
    """Ended topics wait handoff_days; /forget makes one due now; staff keeping topics makes none due."""
    assert not topic_due(T0, False, T0 + 7 * DAY - 1, RULES)
    assert topic_due(T0, False, T0 + 7 * DAY, RULES)
    assert topic_due(T0, True, T0, RULES)
    keep = Expiry(handoff_days=7, keep_topics=True)
    assert not topic_due(T0, True, T0 + 400 * DAY, keep)
    assert topic_due(T0, False, T0, Expiry(handoff_days=0))
