"""flows/warmline.yaml, loaded and checked: the warm line's hours, numbers and words for both sides.

`load_warmline` reads it once into a frozen `WarmlineText` (file:line problems, as `check` prints them), for
each language flows/bot.yaml declares; bot.warmline.rules makes the warm line's decisions with it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import opening_hours

from bot.core.languages import SHIPPED_FLOWS, read_languages
from bot.core.problems import Problem
from bot.core.yamlfile import read_yaml
from bot.directory.hours import local_time

FILE = "warmline.yaml"
LANGUAGES = read_languages(SHIPPED_FLOWS)  # flows/bot.yaml's, the one list
PERSON_KEYS = (
    "queued",
    "place",
    "wait_soon",
    "wait_minutes",
    "cancel_button",
    "cancelled",
    "already",
    "connected",
    "end_button",
    "closed",
    "helped",
    "yes_button",
    "no_button",
    "thanks",
    "earlier",
    "stale",
    "waiting_taken",
    "waiting_closed",
    "edited",
    "replying",
    "share_contact",
    "share_location",
    "share_document",
    "share_yes_button",
    "share_no_button",
    "shared",
    "not_shared",
    "released",
    "out_of_hours",
    "nobody",
    "lines",
    "leave_button",
    "leave_prompt",
    "left",
    "answer_intro",
    "not_set_up",
    "topic_gone",
    "reconnect_button",
    "no_topic",
    "silence",
    "wait_button",
    "idle_end",
    "expired",
    "handed_over",
    "give_up",
    "lines_button",
    "muted",
    "media_note",
    "done_button",
    "done_words",
    "part_saved",
    "reply_button",
    "reply_prompt",
)
STAFF_KEYS = (
    "default_alias",
    "card",
    "card_urgent",
    "card_taken",
    "card_message",
    "take_button",
    "release_button",
    "end_button",
    "taken_already",
    "at_capacity",
    "not_yours",
    "not_taken",
    "gone",
    "note_mark",
    "edited",
    "replying",
    "contact_shared",
    "holder_only",
    "alias_too_long",
    "alias_plain",
    "alias_agency",
    "urgent_note",
    "topic_only",
    "person_blocked",
    "take_blocked",
    "topic_reopened",
    "topic_refused",
    "groups_busy",
    "person_left",
    "person_forgot",
    "ended",
    "released_note",
    "answer_sent",
    "silence_note",
    "idle_note",
    "expired_note",
    "card_help",
    "handover_usage",
    "handover_unknown",
    "handover_full",
    "handed_over_note",
    "queue_title",
    "queue_line",
    "queue_empty",
    "queue_left",
    "wrapup_ask",
    "wrapup_followup",
    "wrapup_done",
    "wrapup_talked",
    "wrapup_referred",
    "wrapup_left",
    "wrapup_other",
    "wrapup_yes",
    "wrapup_no",
    "reconnected",
    "duty_on",
    "duty_off",
    "alias_set",
    "alias_usage",
    "gave_up_note",
    "muted_note",
    "unmuted",
    "admins_only",
    "person_back",
    "handed_over",
)
NUMBERS = {
    "capacity": 3,
    "minutes_per_conversation": 15,
    "refresh_seconds": 60,
    "silence_minutes": 10,
    "idle_minutes": 60,
    "give_up_minutes": 20,
}


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
    give_up_minutes: int = 20  # nobody took a waiting person this long: say so, offer choices
    person: Mapping[str, Mapping[str, str]] = field(default_factory=_empty)
    staff: Mapping[str, Mapping[str, str]] = field(default_factory=_empty)
    schedule: Any = field(default=None, compare=False, repr=False)  # opening_hours.OpeningHours
    refused_aliases: tuple[str, ...] = ()  # /alias refuses these words (the police, agencies): bot.warmline.aliases

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


def load_warmline(
    path: Path, display: str | None = None, languages: Sequence[str] | None = None
) -> tuple[WarmlineText | None, list[Problem]]:
    """Read and check flows/warmline.yaml for `languages` (default: those its folder's bot.yaml declares); None
    with problems (file:line:col) when anything is wrong."""
    shown = display or str(path)
    languages = tuple(read_languages(path.parent) if languages is None else languages)
    if not path.is_file():
        return None, [Problem(shown, 0, 0, "", "is missing: the warm line needs its hours and words", subject="file")]
    data, pos, problems = read_yaml(path, shown)
    if problems or not isinstance(data, Mapping):
        return None, problems or [pos.problem((), "", "must be a mapping with hours, person and staff", subject="file")]
    hours = str(data.get("hours", ""))
    schedule = None
    try:
        schedule = opening_hours.OpeningHours(hours)
    except Exception as exc:  # the parser raises several types; any of them means the same to staff
        problems.append(
            pos.problem(
                ("hours",),
                "hours",
                f"'{hours}' is not OpenStreetMap opening_hours "
                f'({str(exc).splitlines()[0][:80]}); e.g. "Mo-Fr 10:00-22:00"',
                subject="key",
            )
        )
    numbers: dict[str, int] = {}
    for name, default in NUMBERS.items():
        value = data.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(
                pos.problem((name,), name, f"must be a whole number of at least 1, not {value!r}", subject="key")
            )
            value = default
        numbers[name] = value
    staff_language = str(data.get("staff_language", "en"))
    if staff_language not in languages:
        problems.append(
            pos.problem(("staff_language",), "staff_language", f"must be one of {', '.join(languages)}", subject="key")
        )
    refused = data.get("refused_aliases", [])
    if not isinstance(refused, list) or not all(isinstance(r, str) and r.strip() for r in refused):
        problems.append(
            pos.problem(("refused_aliases",), "refused_aliases", "must be a list of words, e.g. [police, RCMP]")
        )
        refused = []
    person = _strings(data, "person", PERSON_KEYS, pos, problems, languages)
    staff = _strings(data, "staff", STAFF_KEYS, pos, problems, languages)
    if problems:
        return None, problems
    return WarmlineText(
        hours=hours,
        staff_language=staff_language,
        person=person,
        staff=staff,
        schedule=schedule,
        refused_aliases=tuple(str(r) for r in refused),
        **numbers,
    ), []


def _strings(
    data: Mapping[str, Any],
    section: str,
    keys: Sequence[str],
    pos: Any,
    problems: list[Problem],
    languages: Sequence[str],
) -> Mapping[str, Mapping[str, str]]:
    raw = data.get(section)
    if not isinstance(raw, Mapping):
        problems.append(pos.problem((section,), section, "must be a mapping of text keys", subject="key"))
        return MappingProxyType({})
    for key in raw:
        if key not in keys:
            problems.append(
                pos.problem(
                    (section, key),
                    f"{section}.{key}",
                    f"is not a key the bot uses (known: {', '.join(keys)})",
                    subject="key",
                    warning=False,
                )
            )
    texts: dict[str, Mapping[str, str]] = {}
    for key in keys:
        value = raw.get(key)
        if not isinstance(value, Mapping):
            problems.append(
                pos.problem(
                    (section,), f"{section}.{key}", f"is missing; write it in {', '.join(languages)}", subject="key"
                )
            )
            continue
        for lang in languages:
            if not isinstance(value.get(lang), str) or not value.get(lang, "").strip():
                problems.append(
                    pos.problem(
                        (section, key), f"{section}.{key}", f"has no '{lang}' text: add `{lang}: ...`", subject="key"
                    )
                )
        texts[key] = MappingProxyType({str(k): str(v) for k, v in value.items()})
    return MappingProxyType(texts)


def is_open(text: WarmlineText, now: datetime, zone: ZoneInfo | None = None) -> bool:
    """Whether the warm line's hours include `now`, read as bot.directory.hours.local_time reads it (in now's
    own zone: BOT_TIMEZONE from the runtime; a UTC moment in Calgary time; naive: taken as local)."""
    if text.schedule is None:
        return True
    return bool(text.schedule.is_open(local_time(now, zone)))
