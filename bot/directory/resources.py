"""The resource directory: resources/*.yaml parsed once into frozen objects, with every fact checked.

Staff edit YAML; `load_directory` reads it, validates it against resources/schema.json and against what the
schema cannot say (categories, phone numbers, opening hours, URLs, duplicates, stale verification, unpublished
numbers), and returns only the resources that passed, plus the problems with file, line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import jsonschema
import opening_hours
import phonenumbers
from phonenumbers import shortnumberinfo

from bot.core.clock import system_clock
from bot.core.languages import read_languages
from bot.core.problems import Problem, Severity
from bot.core.text import did_you_mean
from bot.core.vocabulary import CATEGORIES
from bot.core.yamlfile import read_yaml
from bot.directory.lexicon import Lexicon, load_lexicon  # search.yaml is search's (bot/directory/lexicon.py)

LANGUAGES: tuple[str, ...] = read_languages()  # flows/bot.yaml's, the one list
NOT_DIRECTORY_FILES = frozenset({"labels.yaml", "search.yaml", "report-words.yaml"})  # other data in the same folder
STALE_AFTER_MONTHS = 12
UNDATED = "undated"  # `verified` when the source shows no date: the card says "last checked: not known"
ContactKind = Literal["phone", "text", "web", "email"]
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_NUMBER_IN_TEXT = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_ForbiddenWords = ("unknown", "lead_unverified", "unverified")
_NOT_FACTS = (("id",), ("name",), ("sources",), ("keywords",))  # fields the unknown-check leaves alone

Marks = dict[tuple[str | int, ...], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Contact:
    """One way to reach a service. `display` is what a person reads (tappable in Telegram), `dial` the E.164
    or short number for a phone or text contact."""

    kind: ContactKind
    value: str
    display: str
    dial: str = ""
    keyword: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who a program is for, as its source says; anything left out is not known."""

    min_age: int | None = None
    max_age: int | None = None
    genders: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    any_age: bool = False
    any_gender: bool = False
    children: str = ""  # "welcome", "no" (adults only) or "" (not known)


@dataclass(frozen=True, slots=True)
class Resource:
    """One service, as staff wrote it and `check` accepted it."""

    id: str
    name: str
    summary: tuple[tuple[str, str], ...]
    categories: tuple[str, ...]
    keywords: tuple[tuple[str, tuple[str, ...]], ...]
    contacts: tuple[Contact, ...]
    hours: str
    languages: tuple[str, ...]
    interpreters: bool
    eligibility: Eligibility
    flags: frozenset[str]
    address: str
    sources: tuple[str, ...]
    verified: str
    notes_for_staff: str
    path: str
    line: int
    cost: str = ""  # "fee", "sliding_scale", "health_coverage"; free is the `free` flag; "" is not known
    id_required: bool = False
    access: str = ""  # "walk_in", "call_first", "remote", "referral", "apply"; "" is not known
    reporting_line: bool = False
    police: bool = False
    led_by: tuple[str, ...] = ()
    schedule: Any = field(default=None, compare=False, hash=False, repr=False)  # opening_hours.OpeningHours

    def summary_in(self, lang: str) -> str:
        texts = dict(self.summary)
        return texts.get(lang) or texts["en"]

    def keywords_in(self, lang: str) -> tuple[str, ...]:
        return dict(self.keywords).get(lang, ())

    @property
    def verified_on(self) -> date | None:
        """`verified` as a date (a month counts from its first day), or None when the source shows no date."""
        return None if self.verified == UNDATED else _verified_date(self.verified)

    def is_stale(self, today: date) -> bool:
        """Whether the facts were last checked more than STALE_AFTER_MONTHS ago, or never with a date."""
        checked = self.verified_on
        return checked is None or _months_between(checked, today) > STALE_AFTER_MONTHS


@dataclass(frozen=True)
class Labels:
    """The card words from resources/labels.yaml: language -> key -> text (or a list/mapping of texts)."""

    words: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, lang: str, key: str) -> Any:
        """The word for `key` in `lang`, or in English when that language lacks it."""
        own = self.words.get(lang, {})
        return own[key] if key in own else self.words.get("en", {}).get(key, "")


@dataclass(frozen=True)
class Directory:
    """All accepted resources, in file order. `cache` holds the search index built once per directory."""

    resources: tuple[Resource, ...]
    lexicon: Lexicon = field(default_factory=Lexicon)
    labels: Labels = Labels()
    report_words: frozenset[str] = frozenset()  # resources/report-words.yaml: "the person asks to report"
    cache: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def get(self, resource_id: str) -> Resource | None:
        by_id = self.cache.get("by_id")
        if by_id is None:
            by_id = self.cache["by_id"] = {r.id: r for r in self.resources}
        found: Resource | None = by_id.get(resource_id)
        return found

    def __len__(self) -> int:
        return len(self.resources)


# ---------------------------------------------------------------- YAML with positions


def _compose(file: Path, shown: str) -> tuple[Any, Marks, list[Problem]]:
    """Plain values, the 1-based (line, col) of every value by its path, and YAML's own problems
    (syntax, duplicate keys), read the same way as flows (bot.core.yamlfile: YAML 1.2 scalars, dates as text)."""
    data, positions, problems = read_yaml(file, shown)
    return data, dict(positions.marks), problems


def _pos(marks: Marks, path: tuple[str | int, ...]) -> tuple[int, int]:
    while path and path not in marks:
        path = path[:-1]
    return marks.get(path, (0, 0))


# ---------------------------------------------------------------- phone numbers, URLs, hours, dates


def normalize_phone(value: str) -> tuple[str, str] | None:
    """(display, dial) for a Canadian number or short code, or None if libphonenumber cannot read it.

    Long numbers display as +1 833 900 1010 (Telegram makes that tappable); short codes (211, 988) and
    Alberta's 310- numbers stay as people know them.
    """
    try:
        number = phonenumbers.parse(value, "CA")
    except phonenumbers.NumberParseException:
        return None
    digits = str(number.national_number)
    # 5-6 digit codes (686868) are SMS short codes only when written as one word: "403-12" is a broken number.
    if shortnumberinfo.is_valid_short_number(number) and (len(digits) <= 3 or value.strip().isdigit()):
        return digits, digits
    if not phonenumbers.is_valid_number(number):
        return None
    national = str(number.national_number)
    if len(national) == 7:  # Alberta's 310- numbers: dialled without an area code
        return f"{national[:3]}-{national[3:]}", national
    display = f"+{number.country_code} {national[:3]} {national[3:6]} {national[6:]}"
    return display, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_hours(value: str) -> tuple[Any, str]:
    """(OpeningHours, "") or (None, the parser's first complaint)."""
    try:
        return opening_hours.OpeningHours(value, country="CA"), ""
    except (opening_hours.ParserError, SyntaxError, ValueError) as error:  # type: ignore[attr-defined]
        at = re.search(r"--> \d+:(\d+)", str(error))  # the parser's own words are grammar jargon
        return None, f"stuck at '{value[int(at.group(1)) - 1 :]}'" if at else "unreadable"


def _verified_date(value: str) -> date:
    parts = [int(p) for p in value.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 12, parts[2] if len(parts) > 2 else 1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


# ---------------------------------------------------------------- loading


@dataclass
class _FileCheck:
    """Collects problems for one file; `node` is the resource id being checked."""

    path: str
    marks: Marks
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: tuple[str | int, ...], node: str, message: str, severity: Severity = "error") -> None:
        line, col = _pos(self.marks, where)
        self.problems.append(Problem(self.path, line, col, node, message, severity, "resource" if node else ""))


def _schema() -> dict[str, Any]:
    # the package's copy (bot/directory/schemas/schema.json links to resources/schema.json; a wheel holds the file)
    schema: dict[str, Any] = json.loads(files("bot.directory").joinpath("schemas", "schema.json").read_text("utf-8"))
    return schema


def _schema_errors(data: Any, schema: dict[str, Any]) -> Iterator[jsonschema.ValidationError]:
    validator = jsonschema.Draft202012Validator(schema)
    yield from sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))


def _describe(error: jsonschema.ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """(where in the file, message) for one schema failure; an unknown field points at its own line."""
    at = tuple(error.absolute_path)
    where = ".".join(str(p) for p in at[1:])
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return [((*at, x), f"'{x}' is not a known field" + did_you_mean(x, allowed)) for x in extra]
    return [(at, _message(error, where))]


def _message(error: jsonschema.ValidationError, where: str) -> str:
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return (f"{where}: " if where else "") + f"missing required field {', '.join(repr(m) for m in missing)}"
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return f"{where}: {error.instance!r} is not one of {', '.join(choices)}" + did_you_mean(
            str(error.instance), choices
        )
    return f"{where}: {error.message}" if where else error.message


def load_directory(path: Path, *, today: date | None = None) -> tuple[Directory, list[Problem]]:
    """Read every directory file in `path` (resources/*.yaml except labels and search words).

    Returns the resources that passed every check and all problems found; a resource with an error is left
    out, so the caller decides (by `any(p.is_error ...)`) whether to keep the last good directory.
    """
    today = today or system_clock().date()
    schema = _schema()
    problems: list[Problem] = []
    accepted: list[Resource] = []
    first_seen: dict[str, str] = {}
    base = path.parent
    for file in sorted(path.glob("*.yaml")):
        if file.name in NOT_DIRECTORY_FILES:
            continue
        shown = str(file.relative_to(base)) if file.is_relative_to(base) else str(file)
        resources, file_problems = _load_file(file, shown, schema, today, first_seen)
        accepted.extend(resources)
        problems.extend(file_problems)
    lexicon, lexicon_problems = load_lexicon(path / "search.yaml", base)
    labels, label_problems = load_labels(path / "labels.yaml", base)
    report_words, word_problems = load_report_words(path / "report-words.yaml", base)
    problems.extend(lexicon_problems + label_problems + word_problems)
    return Directory(tuple(accepted), lexicon, labels, report_words), problems


def _load_file(
    file: Path, shown: str, schema: dict[str, Any], today: date, first_seen: dict[str, str]
) -> tuple[list[Resource], list[Problem]]:
    data, marks, found = _compose(file, shown)
    if found:
        return [], found
    check = _FileCheck(shown, marks)
    if data is None:
        return [], []
    broken: set[int] = set()
    for failure in _schema_errors(data, schema):
        at = tuple(failure.absolute_path)
        if len(at) == 3 and at[1] == "categories" and failure.validator == "enum":
            continue  # _build names the vocabulary and the closest category instead
        index = at[0] if at and isinstance(at[0], int) else None
        node = ""
        if index is not None and isinstance(data[index], dict):
            node = str(data[index].get("id", f"#{index + 1}"))
            broken.add(index)
        for place, message in _describe(failure):
            check.add(place, node, message)
    if not isinstance(data, list):
        return [], check.problems
    accepted = []
    for index, raw in enumerate(data):
        if index in broken:
            continue
        before = len(check.problems)
        resource = _build(raw, (index,), check, today, first_seen)
        if not any(p.is_error for p in check.problems[before:]):
            accepted.append(resource)
    return accepted, check.problems


def _build(
    raw: dict[str, Any], at: tuple[str | int, ...], check: _FileCheck, today: date, first_seen: dict[str, str]
) -> Resource:
    rid = raw["id"]
    line, col = _pos(check.marks, at)
    where = f"{check.path}:{line}:{col}"
    if rid in first_seen:
        check.add(
            (*at, "id"),
            rid,
            f"duplicate id, first defined at {first_seen[rid]}; give each service its own id",
        )
    else:
        first_seen[rid] = where
    for i, category in enumerate(raw["categories"]):
        if category not in CATEGORIES:  # the schema lists them too; this names the vocabulary and the fix
            check.add(
                (*at, "categories", i),
                rid,
                f"category '{category}' is not in the vocabulary" + did_you_mean(category, list(CATEGORIES)),
            )
    contacts = tuple(_contact(c, (*at, "contacts", i), rid, check) for i, c in enumerate(raw.get("contacts", [])))
    staff_numbers = {re.sub(r"\D", "", n)[-10:] for n in _NUMBER_IN_TEXT.findall(raw.get("notes_for_staff", ""))}
    for i, contact in enumerate(contacts):
        if contact.dial and re.sub(r"\D", "", contact.dial)[-10:] in staff_numbers:
            check.add(
                (*at, "contacts", i),
                rid,
                f"{contact.value} is also in notes_for_staff as unconfirmed; "
                "publish a number only once a source confirms it",
            )
    _check_no_unknowns(raw, at, rid, check)
    schedule = None
    if "hours" in raw:
        schedule, complaint = parse_hours(raw["hours"])
        if schedule is None:
            check.add(
                (*at, "hours"),
                rid,
                f"hours '{raw['hours']}' is not OpenStreetMap opening_hours "
                f"({complaint}); write e.g. 24/7 or Mo-Fr 08:15-16:30",
            )
    for i, url in enumerate(raw["sources"]):
        if not _URL.match(url):
            check.add((*at, "sources", i), rid, f"source '{url}' is not a web address (https://...)")
    verified = _verified_date(raw["verified"]) if _verified_ok(raw["verified"]) else None
    if raw["verified"] == UNDATED:
        check.add(
            (*at, "verified"),
            rid,
            "the source shows no date; check the facts at the source and record it with "
            f"`python -m bot verify --done {rid}`",
            "warning",
        )
    elif verified is None:
        check.add((*at, "verified"), rid, f"verified '{raw['verified']}' is not a real date (YYYY-MM)")
    elif verified > today:
        check.add((*at, "verified"), rid, f"verified {raw['verified']} is in the future")
    elif _months_between(verified, today) > STALE_AFTER_MONTHS:
        check.add(
            (*at, "verified"),
            rid,
            f"verified {raw['verified']} is more than {STALE_AFTER_MONTHS} months "
            f"old; re-check the source and record it with `python -m bot verify --done {rid}`",
            "warning",
        )
    eligibility = raw.get("eligibility", {})
    low, high = eligibility.get("min_age"), eligibility.get("max_age")
    if low is not None and high is not None and low > high:
        check.add((*at, "eligibility"), rid, f"min_age {low} is above max_age {high}")
    if "shelter" in raw["categories"] and raw.get("address"):
        check.add((*at, "address"), rid, "a shelter's address must never be published; remove 'address'")
    flags = set(raw.get("flags", ()))
    if "free" in flags and raw.get("cost"):
        check.add((*at, "cost"), rid, "both the free flag and a cost: keep the one the source says")
    if "no_id_required" in flags and raw.get("id_required"):
        check.add((*at, "id_required"), rid, "both no_id_required and id_required: keep the one the source says")
    if not contacts and not raw.get("address"):
        check.add(at, rid, "no way to reach this service: add a sourced phone, text or web contact", "warning")
    return Resource(
        id=rid,
        name=raw["name"],
        summary=tuple((lang, raw["summary"][lang]) for lang in LANGUAGES),
        categories=tuple(raw["categories"]),
        keywords=tuple((lang, tuple(words)) for lang, words in raw["keywords"].items()),
        contacts=contacts,
        hours=raw.get("hours", ""),
        languages=tuple(raw.get("languages", ())),
        interpreters=bool(raw.get("interpreters", False)),
        eligibility=Eligibility(
            low,
            high,
            tuple(eligibility.get("genders", ())),
            tuple(eligibility.get("status", ())),
            bool(eligibility.get("any_age")),
            bool(eligibility.get("any_gender")),
            str(eligibility.get("children", "")),
        ),
        flags=frozenset(raw.get("flags", ())),
        address=raw.get("address", ""),
        sources=tuple(raw["sources"]),
        verified=raw["verified"],
        notes_for_staff=raw.get("notes_for_staff", ""),
        path=check.path,
        line=line,
        schedule=schedule,
        cost=str(raw.get("cost", "")),
        id_required=bool(raw.get("id_required", False)),
        access=str(raw.get("access", "")),
        reporting_line=bool(raw.get("reporting_line", False)),
        police=bool(raw.get("police", False)),
        led_by=tuple(raw.get("led_by", ())),
    )


def _verified_ok(value: str) -> bool:
    try:
        _verified_date(value)
    except ValueError:
        return False
    return True


def _check_no_unknowns(raw: dict[str, Any], at: tuple[str | int, ...], rid: str, check: _FileCheck) -> None:
    """A published field never carries 'unknown' or 'unverified': leave the field out instead."""

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "notes_for_staff":
                    walk(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i))
        elif isinstance(value, str) and path[len(at) : len(at) + 1] not in _NOT_FACTS:
            lowered = value.lower()
            if any(word in lowered for word in _ForbiddenWords):
                check.add(
                    path,
                    rid,
                    f"'{value}' is marked unknown or unverified; leave the field out "
                    "and put the lead in notes_for_staff",
                )

    walk(raw, at)


def _contact(raw: dict[str, Any], at: tuple[str | int, ...], rid: str, check: _FileCheck) -> Contact:
    kind, value = raw["kind"], raw["value"]
    display, dial = value, ""
    if kind in ("phone", "text"):
        normalized = normalize_phone(value)
        if normalized is None:
            check.add(
                (*at, "value"),
                rid,
                f"'{value}' is not a phone number libphonenumber can read; "
                "write it like 1-833-900-1010, 310-1818 or 211",
            )
        else:
            display, dial = normalized
    elif kind == "web" and not _URL.match(value):
        check.add((*at, "value"), rid, f"'{value}' is not a web address; write it with https://")
    elif kind == "email" and not _EMAIL.match(value):
        check.add((*at, "value"), rid, f"'{value}' is not an email address")
    return Contact(kind, value, display, dial, raw.get("keyword", ""), raw.get("note", ""))


def load_report_words(file: Path, base: Path) -> tuple[frozenset[str], list[Problem]]:
    """resources/report-words.yaml: `{lang: [word, ...]}`, lowercased; a missing file means no words."""
    if not file.exists():
        return frozenset(), []
    shown = str(file.relative_to(base)) if file.is_relative_to(base) else str(file)
    data, marks, problems = _compose(file, shown)
    if problems or not isinstance(data, dict):
        return frozenset(), problems
    for lang, words in data.items():
        if lang not in LANGUAGES or not isinstance(words, list):
            line, col = _pos(marks, (lang,))
            problems.append(
                Problem(shown, line, col, "", f"'{lang}' must be one of {', '.join(LANGUAGES)} with a list of words")
            )
    return frozenset(str(w).lower() for ws in data.values() if isinstance(ws, list) for w in ws), problems


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load_labels(file: Path, base: Path) -> tuple[Labels, list[Problem]]:
    """resources/labels.yaml: every language has every English key, with the same {placeholders}.

    `time` is the exception: a 24-hour language writes {H} where a 12-hour one writes {h} and {ampm}.
    """
    shown = str(file.relative_to(base)) if file.is_relative_to(base) else str(file)
    if not file.exists():
        return Labels(), [Problem(shown, 0, 0, "", "labels.yaml is missing; cards need their words")]
    data, marks, problems = _compose(file, shown)
    if problems or data is None:
        return Labels(), problems
    english = data.get("en") or {}
    for lang in LANGUAGES:
        own = data.get(lang)
        line, col = _pos(marks, (lang,))
        if not isinstance(own, dict):
            problems.append(Problem(shown, line, col, lang, "has no labels", subject="language"))
            continue
        for key, value in english.items():
            if key not in own:
                problems.append(
                    Problem(shown, line, col, lang, f"lacks '{key}' (English: {value!r})", subject="language")
                )
            elif (
                key != "time"
                and isinstance(value, str)
                and set(_PLACEHOLDER.findall(value)) != set(_PLACEHOLDER.findall(str(own[key])))
            ):
                kline, kcol = _pos(marks, (lang, key))
                problems.append(
                    Problem(
                        shown,
                        kline,
                        kcol,
                        lang,
                        f"'{key}' must keep the placeholders of English {value!r}",
                        subject="language",
                    )
                )
    return Labels({k: v for k, v in data.items() if isinstance(v, dict)}), problems
