"""The warm line's decisions, pure: hours, the queue and its honest wait, the claim, the neutral alias, the
supporters' card and topic name, and the pacing that keeps a group under Telegram's limit.

Nothing here does I/O or reads a clock: bot.channels.telegram.warmline asks, acts, and stores. The words come from
flows/warmline.yaml (staff edit them), loaded once into a frozen `WarmlineText`.
"""

from __future__ import annotations

import math
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import opening_hours

from bot.core.problems import Problem
from bot.core.vocabulary import TIMEZONE_DEFAULT
from bot.core.yamlfile import read_yaml

FILE = "warmline.yaml"
LANGUAGES = ("en", "fr", "es", "tl")
PERSON_KEYS = (
    "queued", "place", "wait_soon", "wait_minutes", "cancel_button", "cancelled", "already", "connected",
    "end_button", "closed", "helped", "yes_button", "no_button", "thanks", "released", "out_of_hours", "nobody",
    "lines", "leave_button", "leave_prompt", "left", "answer_intro", "not_set_up", "topic_gone",
    "reconnect_button", "silence", "wait_button", "idle_end", "give_up", "lines_button", "muted",
)
STAFF_KEYS = (
    "default_alias", "card", "card_urgent", "card_taken", "card_message", "take_button", "release_button",
    "end_button", "taken_already", "at_capacity", "not_yours", "not_taken", "gone", "urgent_note", "topic_only",
    "person_blocked", "person_left", "person_forgot", "ended", "released_note", "answer_sent", "silence_note",
    "idle_note", "reconnected", "duty_on", "duty_off", "alias_set", "alias_usage", "gave_up_note", "muted_note",
    "unmuted", "admins_only",
)
NUMBERS = {"capacity": 3, "minutes_per_conversation": 15, "refresh_seconds": 60, "silence_minutes": 10,
           "idle_minutes": 60, "give_up_minutes": 20}
TOPIC_NAME_MAX = 128      # Telegram's limit for a forum topic name
TEXT_MAX = 4096           # Telegram's limit for one message
ZONE = ZoneInfo(TIMEZONE_DEFAULT)


def _empty() -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class WarmlineText:
    """flows/warmline.yaml, loaded: hours, numbers, and the words for both sides in every language."""

    hours: str = "24/7"
    staff_language: str = "en"
    capacity: int = 3
    minutes_per_conversation: int = 15
    refresh_seconds: int = 60
    silence_minutes: int = 10
    idle_minutes: int = 60
    # nobody took a waiting person this long: say so, offer choices (bot.channels.telegram.warmline)
    give_up_minutes: int = 20
    person: Mapping[str, Mapping[str, str]] = field(default_factory=_empty)
    staff: Mapping[str, Mapping[str, str]] = field(default_factory=_empty)
    schedule: Any = field(default=None, compare=False, repr=False)   # opening_hours.OpeningHours

    def say(self, key: str, lang: str, **values: object) -> str:
        """A person-facing text in `lang` (English if missing), with {names} filled in."""
        return _fill(self.person.get(key, {}), lang, values)

    def staff_say(self, key: str, **values: object) -> str:
        """A supporter-facing text in the group's language."""
        return _fill(self.staff.get(key, {}), self.staff_language, values)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(by_lang: Mapping[str, str], lang: str, values: Mapping[str, object]) -> str:
    raw = by_lang.get(lang) or by_lang.get("en", "")
    try:
        return string.Formatter().vformat(raw, (), _Blank({k: str(v) for k, v in values.items()}))
    except (ValueError, IndexError):
        return raw


def load_warmline(path: Path, display: str | None = None) -> tuple[WarmlineText | None, list[Problem]]:
    """Read and check flows/warmline.yaml; None with problems (file:line:col) when anything is wrong."""
    shown = display or str(path)
    if not path.is_file():
        return None, [Problem(shown, 0, 0, "", "is missing: the warm line needs its hours and words",
                              subject="file")]
    data, pos, problems = read_yaml(path, shown)
    if problems or not isinstance(data, Mapping):
        return None, problems or [pos.problem((), "", "must be a mapping with hours, person and staff",
                                              subject="file")]
    hours = str(data.get("hours", ""))
    schedule = None
    try:
        schedule = opening_hours.OpeningHours(hours)
    except Exception as exc:  # the parser raises several types; any of them means the same to staff
        problems.append(pos.problem(("hours",), "hours", f"'{hours}' is not OpenStreetMap opening_hours "
                                    f"({str(exc).splitlines()[0][:80]}); e.g. \"Mo-Fr 10:00-22:00\"",
                                    subject="key"))
    numbers: dict[str, int] = {}
    for name, default in NUMBERS.items():
        value = data.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(pos.problem((name,), name, f"must be a whole number of at least 1, not {value!r}",
                                        subject="key"))
            value = default
        numbers[name] = value
    staff_language = str(data.get("staff_language", "en"))
    if staff_language not in LANGUAGES:
        problems.append(pos.problem(("staff_language",), "staff_language",
                                    f"must be one of {', '.join(LANGUAGES)}", subject="key"))
    person = _strings(data, "person", PERSON_KEYS, pos, problems)
    staff = _strings(data, "staff", STAFF_KEYS, pos, problems)
    if problems:
        return None, problems
    return WarmlineText(hours=hours, staff_language=staff_language, person=person, staff=staff,
                        schedule=schedule, **numbers), []


def _strings(data: Mapping[str, Any], section: str, keys: Sequence[str], pos: Any,
             problems: list[Problem]) -> Mapping[str, Mapping[str, str]]:
    raw = data.get(section)
    if not isinstance(raw, Mapping):
        problems.append(pos.problem((section,), section, "must be a mapping of text keys", subject="key"))
        return MappingProxyType({})
    for key in raw:
        if key not in keys:
            problems.append(pos.problem((section, key), f"{section}.{key}", "is not a key the bot uses "
                                        f"(known: {', '.join(keys)})", subject="key", warning=False))
    texts: dict[str, Mapping[str, str]] = {}
    for key in keys:
        value = raw.get(key)
        if not isinstance(value, Mapping):
            problems.append(pos.problem((section,), f"{section}.{key}", "is missing; write it in "
                                        f"{', '.join(LANGUAGES)}", subject="key"))
            continue
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value.get(lang, "").strip():
                problems.append(pos.problem((section, key), f"{section}.{key}",
                                            f"has no '{lang}' text: add `{lang}: ...`", subject="key"))
        texts[key] = MappingProxyType({str(k): str(v) for k, v in value.items()})
    return MappingProxyType(texts)


# -- hours ------------------------------------------------------------------------------------------------

def is_open(text: WarmlineText, now: datetime, zone: ZoneInfo = ZONE) -> bool:
    """Whether the warm line's hours include `now` (aware: converted to Calgary time; naive: taken as local)."""
    if text.schedule is None:
        return True
    local = now.astimezone(zone).replace(tzinfo=None) if now.tzinfo else now
    return bool(text.schedule.is_open(local))


# -- who the person is to supporters ----------------------------------------------------------------------

def new_token() -> str:
    """A random per-handoff token: the alias derives from it, never from the person key or a Telegram id."""
    return secrets.token_hex(4)


def alias(token: str) -> str:
    """The neutral name supporters see: 'Guest 4F2'."""
    return f"Guest {token[:3].upper()}"


def topic_name(guest: str, language: str, topic: str, *, urgent: bool = False) -> str:
    """The forum topic's name: 'Guest 4F2 · es · work' (⚠ first when urgent), within Telegram's 128 chars."""
    name = f"{'⚠ ' if urgent else ''}{guest} · {language} · {topic}"
    return name[:TOPIC_NAME_MAX]


def card_text(text: WarmlineText, *, guest: str, language: str, path: Sequence[str], minutes: int,
              urgent: bool = False, taken_by: str | None = None, message: bool = False) -> str:
    """The card supporters see: language, the doors chosen and the wait; no identifiers, none of their words."""
    doors = " › ".join(path) or "—"
    body = text.staff_say("card_message" if message else "card", alias=guest, language=language, path=doors,
                          minutes=minutes)
    if urgent:
        body += "\n" + text.staff_say("card_urgent")
    if taken_by:
        body += "\n" + text.staff_say("card_taken", supporter=taken_by)
    return body


# -- the queue --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Supporter:
    """A supporter as the queue sees them: which group, on duty or not, how many conversations they hold."""

    user_id: int
    group_chat: int
    on_duty: bool
    active: int = 0


def free_slots(supporters: Iterable[Supporter], capacity: int, group_chat: int | None = None) -> int:
    """Conversations the on-duty supporters (of one group, or all) could take now."""
    return sum(max(0, capacity - s.active) for s in supporters
               if s.on_duty and (group_chat is None or s.group_chat == group_chat))


def on_duty(supporters: Iterable[Supporter], group_chat: int | None = None) -> int:
    return sum(1 for s in supporters if s.on_duty and (group_chat is None or s.group_chat == group_chat))


def may_take(active: int, capacity: int) -> bool:
    """A supporter may take one more conversation while under their capacity."""
    return active < capacity


def estimate_minutes(position: int, free: int, duty: int, per_conversation: int) -> int | None:
    """An honest wait for the person at `position` (1-based): 0 when someone is free for them, else how many
    conversations must end first, spread over the supporters on duty. None when nobody is on duty."""
    if duty <= 0:
        return None
    ahead = position - free
    if ahead <= 0:
        return 0
    return math.ceil(ahead / duty) * per_conversation


def wait_words(text: WarmlineText, lang: str, minutes: int | None) -> str:
    """'a few minutes' or 'about 30 minutes' in the person's language."""
    if not minutes or minutes <= 5:
        return text.say("wait_soon", lang)
    return text.say("wait_minutes", lang, minutes=minutes)


def choose_group(groups: Sequence[int], supporters: Sequence[Supporter], queued: Mapping[int, int],
                 capacity: int) -> int:
    """The group a new request goes to: the most free room (free slots minus people already waiting);
    the first group when none has anyone on duty."""
    if not groups:
        raise ValueError("no warm-line groups are configured")
    staffed = [g for g in groups if on_duty(supporters, g)]
    if not staffed:
        return groups[0]
    return max(staffed, key=lambda g: (free_slots(supporters, capacity, g) - queued.get(g, 0), -groups.index(g)))


def silent(last_person: int | None, last_supporter: int | None, now: int, minutes: int) -> bool:
    """The person wrote last and the supporter has not answered for `minutes`."""
    if last_person is None:
        return False
    return (last_supporter or 0) <= last_person and now - last_person >= minutes * 60  # seconds: a tie is silence


def idle(last_person: int | None, last_supporter: int | None, now: int, minutes: int) -> bool:
    """Nobody has written for `minutes`."""
    return now - max(last_person or 0, last_supporter or 0) >= minutes * 60


# -- pacing a group under Telegram's limit ----------------------------------------------------------------

@dataclass
class Pacer:
    """A token bucket per group: `burst` sends at once, then `per_minute - burst` more per minute, so no
    60-second window ever holds more than `per_minute` sends. per_minute <= 0 turns pacing off."""

    per_minute: int = 20
    burst: int = 4
    tokens: float = -1.0
    at: float = 0.0

    @property
    def rate(self) -> float:
        return max(1, self.per_minute - self.burst) / 60.0

    def delay(self, now: float) -> float:
        """Seconds to wait before the next send may go (0 when it may go now)."""
        if self.per_minute <= 0:
            return 0.0
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def spend(self, now: float) -> None:
        if self.per_minute <= 0:
            return
        self._refill(now)
        self.tokens -= 1

    def _refill(self, now: float) -> None:
        if self.tokens < 0 and self.at == 0.0:
            self.tokens, self.at = float(self.burst), now
            return
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now


@dataclass(frozen=True, slots=True)
class Item:
    """One message waiting to go into a group: row id in the store, its topic, and its text when it is
    plain text (only text can be merged; anything else is copied as it is)."""

    row: int
    thread: int
    text: str | None


def next_batch(pending: Sequence[Item], separator: str = "\n\n") -> tuple[Item, ...]:
    """The items to send in one call: the first item, plus the texts right after it in the same topic while
    they fit in one message. Order is kept: a batch never skips over an item."""
    if not pending:
        return ()
    first = pending[0]
    if first.text is None:
        return (first,)
    batch = [first]
    size = len(first.text)
    for item in pending[1:]:
        if item.thread != first.thread or item.text is None or size + len(separator) + len(item.text) > TEXT_MAX:
            break
        batch.append(item)
        size += len(separator) + len(item.text)
    return tuple(batch)
