"""How long each warm-line record lives, pure: every handoff state expires, and an ended conversation's topic is
deleted from the supporters' group after HANDOFF_RETENTION_DAYS (at once after /forget), unless staff keep topics.

    queued   nobody took the request for QUEUED_HOURS            -> closed "expired"; the person is told
    leaving  "leave a message" tapped, nothing written in LEAVING_HOURS  -> closed "expired"
    left     a message left, no word either way for handoff_days -> closed "expired" (its topic then waits too)
    (any other state: handoff_days from its last word)
    taken    no word either way for TAKEN_HOURS (the warm line's idle_minutes usually ends it long before)
    ended topic  handoff_days after it ended, or at once when the person used /forget

Nothing here reads a clock or does I/O: bot.channels.telegram.topics asks and acts.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600
DAY = 24 * HOUR
QUEUED_HOURS = 12  # past any evening's line: the long-wait offer came long before
LEAVING_HOURS = 2  # "leave a message" with nothing written: the person is let go back to the menu
TAKEN_HOURS = 24  # a safety net under idle_minutes (the ticker may not have run, e.g. the bot was down)


@dataclass(frozen=True, slots=True)
class Expiry:
    """The retention rules, from the settings (handoff_days is HANDOFF_RETENTION_DAYS)."""

    handoff_days: int = 7
    queued_hours: int = QUEUED_HOURS
    leaving_hours: int = LEAVING_HOURS
    taken_hours: int = TAKEN_HOURS
    keep_topics: bool = False  # WARMLINE_KEEP_TOPICS=1: topics are closed, never deleted by the bot


@dataclass(frozen=True, slots=True)
class Age:
    """A handoff's state and times (UTC seconds), as the store has them."""

    status: str
    created_at: int
    last_person: int | None = None
    last_supporter: int | None = None


def last_word(age: Age) -> int:
    """When anything last happened: the request, or the latest message either way."""
    return max(age.created_at, age.last_person or 0, age.last_supporter or 0)


def lifetime(status: str, rules: Expiry) -> int:
    """Seconds a handoff in `status` may go on without a word; a state these rules do not name (a newer
    step of the warm line) gets HANDOFF_RETENTION_DAYS, so nothing lives for ever."""
    hours = {
        "queued": rules.queued_hours,
        "leaving": rules.leaving_hours,
        "taken": rules.taken_hours,
    }.get(status, rules.handoff_days * 24)
    return max(hours, 1) * HOUR


def expired(age: Age, now: int, rules: Expiry) -> bool:
    """True when the handoff has outlived its state's time: a waiting request from its start, the others
    from their last word."""
    life = lifetime(age.status, rules)
    since = age.created_at if age.status == "queued" else last_word(age)
    return now - since >= life


def topic_due(ended_at: int, forgotten: bool, now: int, rules: Expiry) -> bool:
    """Delete an ended conversation's topic now? At once after /forget, else handoff_days after it ended;
    never when staff keep topics."""
    if rules.keep_topics:
        return False
    return forgotten or now - ended_at >= max(rules.handoff_days, 0) * DAY
