"""The one clock: every part that needs the time is given a `Clock`, so tests can pin or move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current moment, timezone-aware."""


def system_clock() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always says `moment` (for tests and rehearsals)."""
    if moment.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware datetime (e.g. datetime(2026, 11, 28, tzinfo=UTC))")
    return lambda: moment
