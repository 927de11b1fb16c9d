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


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    return now.astimezone(zone).replace(tzinfo=None) if now.tzinfo else now


def is_open(resource: Resource, now: datetime, zone: ZoneInfo = ZONE) -> bool | None:
    """True or False when the service has sourced hours, None when we do not know them."""
    if resource.schedule is None:
        return None
    return bool(resource.schedule.is_open(_local(now, zone)))


def status(resource: Resource, now: datetime, zone: ZoneInfo = ZONE) -> Status:
    """Where the service stands at `now`: always open (24/7), open until, closed until, or unknown."""
    return schedule_status(resource.schedule, now, zone)


def schedule_status(schedule: Any, now: datetime, zone: ZoneInfo = ZONE) -> Status:
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
