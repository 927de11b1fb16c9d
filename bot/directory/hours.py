"""Open now, and when next: pure answers from a resource's OpenStreetMap hours and a given moment.

Hours are local to Calgary (BOT_TIMEZONE, America/Edmonton by default). An aware `now` is converted to that
zone; a naive one is taken as already local. Without sourced hours the answer is None (unknown), never a
guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.core.vocabulary import TIMEZONE_DEFAULT
from bot.directory.resources import Resource

ZONE = ZoneInfo(TIMEZONE_DEFAULT)
HourState = Literal["always", "open", "closed", "unknown"]


@dataclass(frozen=True, slots=True)
class Status:
    """`state`, and for open/closed the local time it changes (closes at / opens at), if within a week."""

    state: HourState
    change: datetime | None = None


_CLOCK_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Zulu"})  # a clock's zone, never a place's


def local_time(now: datetime, zone: ZoneInfo | None = None) -> datetime:
    """`now` as a wall-clock time (naive) in `zone`; without one, in now's own zone when it names a place (the
    runtime passes now in BOT_TIMEZONE), else (UTC, the clock's zone) in Calgary's. Naive: taken as local."""
    if now.tzinfo is None:
        return now
    if zone is None:
        own = now.tzinfo
        zone = own if isinstance(own, ZoneInfo) and own.key not in _CLOCK_ZONES else ZONE
    return now.astimezone(zone).replace(tzinfo=None)


_local = local_time


def is_open(resource: Resource, now: datetime, zone: ZoneInfo | None = None) -> bool | None:
    """True or False when the service has sourced hours, None when we do not know them."""
    if resource.schedule is None:
        return None
    return bool(resource.schedule.is_open(_local(now, zone)))


def status(resource: Resource, now: datetime, zone: ZoneInfo | None = None) -> Status:
    """Where the service stands at `now`: always open (24/7), open until, closed until, or unknown."""
    return schedule_status(resource.schedule, now, zone)


def schedule_status(schedule: Any, now: datetime, zone: ZoneInfo | None = None) -> Status:
    """The same for any parsed opening_hours schedule (a service's, the warm line's); None is unknown."""
    if schedule is None:
        return Status("unknown")
    local = _local(now, zone)
    change = schedule.next_change(local)
    if schedule.is_open(local):
        return Status("always") if change is None else Status("open", change)
    if change is not None and change - local > timedelta(days=7):
        change = None
    return Status("closed", change)
