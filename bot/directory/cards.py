"""Service cards: a resource written for a person, in their language, as plain text (no parse mode).

A card says what the service is in one line, how to reach it (numbers written so Telegram makes them
tappable), whether it is open now or when it opens (America/Edmonton), then the facts a person needs, each
said as "not known" when no source gives it: cost, ID, walk in or call first, languages, who it is for (age,
gender, children, status), and when the facts were last checked (with a nudge to confirm when that is old).
The source itself stays in the YAML, `search --json` and staff views. Every word comes from
resources/labels.yaml; this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from bot.core.types import Button, Reply
from bot.directory.hours import local_time, schedule_status
from bot.directory.resources import Contact, Directory, Labels, Resource

PER_SCREEN = 3
FLAG_ORDER = ("no_id_required", "free", "walk_in", "anonymous")
FACT_LINES = ("contact", "hours", "access", "languages", "for", "checked")  # what every card says, or "not known"


def _fill(labels: Labels, lang: str, key: str, **values: str) -> str:
    return str(labels.get(lang, key)).format(**values)


def clock(labels: Labels, lang: str, moment: datetime) -> str:
    """8:15 a.m. in English, 8 h 15 in French, as labels.yaml says each language writes a time."""
    twelve = int(labels.get(lang, "clock")) == 12
    h12 = moment.hour % 12 or 12
    ampm = labels.get(lang, "am") if moment.hour < 12 else labels.get(lang, "pm")
    text = str(labels.get(lang, "time")).format(H=moment.hour, h=h12 if twelve else moment.hour,
                                                mm=f"{moment.minute:02d}", ampm=ampm)
    return text.strip()


def hours_line(labels: Labels, resource: Resource, lang: str, now: datetime) -> str:
    """"Open 24/7", "Open now, until 4:30 p.m.", "Closed now, opens Monday at 8:15 a.m.", or "" if unknown."""
    return schedule_line(labels, resource.schedule, lang, now)


def schedule_line(labels: Labels, schedule: Any, lang: str, now: datetime) -> str:
    """The hours line for any opening_hours schedule (a service's, or the warm line's)."""
    state = schedule_status(schedule, now)
    if state.state == "always":
        return _fill(labels, lang, "open_always")
    if state.state == "unknown":
        return ""
    local = local_time(now)
    change = state.change
    if state.state == "open":
        if change is None or change - local > timedelta(hours=24):
            return _fill(labels, lang, "open_now")
        return _fill(labels, lang, "open_until", time=clock(labels, lang, change))
    if change is None:
        return _fill(labels, lang, "closed")
    time = clock(labels, lang, change)
    days = (change.date() - local.date()).days
    if days == 0:
        return _fill(labels, lang, "opens_at", time=time)
    if days == 1:
        return _fill(labels, lang, "opens_tomorrow", time=time)
    day = labels.get(lang, "weekdays")[change.weekday()]
    return _fill(labels, lang, "opens_day", day=day, time=time)


def contact_line(labels: Labels, contact: Contact, lang: str) -> str:
    if contact.kind == "phone":
        line = _fill(labels, lang, "call", number=contact.display)
    elif contact.kind == "text" and contact.keyword:
        line = _fill(labels, lang, "text_keyword", keyword=contact.keyword, number=contact.display)
    elif contact.kind == "text":
        line = _fill(labels, lang, "text", number=contact.display)
    elif contact.kind == "email":
        line = _fill(labels, lang, "email", address=contact.value)
    else:
        line = _fill(labels, lang, "web", url=contact.value.split("://", 1)[-1].rstrip("/"))
    if contact.note:
        note = labels.get(lang, "contact_notes").get(contact.note, "")
        line = _fill(labels, lang, "note", contact=line, note=note) if note else line
    return line


def who_line(labels: Labels, resource: Resource, lang: str) -> str:
    """"For: women, ages 18+, children welcome; not known: status", or "For: not known"."""
    rule = resource.eligibility
    sep = str(labels.get(lang, "list_separator"))
    known: list[str] = []
    unknown: list[str] = []
    parts = labels.get(lang, "who_parts")
    genders = [labels.get(lang, "genders").get(g, g) for g in rule.genders]
    if rule.any_gender:
        genders = [str(labels.get(lang, "any_gender"))]
    (known.extend(genders) if genders else unknown.append(parts["gender"]))
    if rule.any_age:
        known.append(str(labels.get(lang, "any_age")))
    elif rule.min_age is not None and rule.max_age is not None:
        known.append(_fill(labels, lang, "ages_range", min=str(rule.min_age), max=str(rule.max_age)))
    elif rule.min_age is not None:
        known.append(_fill(labels, lang, "ages_min", min=str(rule.min_age)))
    elif rule.max_age is not None:
        known.append(_fill(labels, lang, "ages_max", max=str(rule.max_age)))
    else:
        unknown.append(parts["age"])
    if rule.children:
        known.append(str(labels.get(lang, f"children_{rule.children}")))
    elif resource.access != "remote":  # a line you call has no beds, so children do not come into it
        unknown.append(parts["children"])
    statuses = [labels.get(lang, "status").get(s, s) for s in rule.status]
    (known.extend(statuses) if statuses else unknown.append(parts["status"]))
    if not known:
        return str(labels.get(lang, "who_unknown"))
    who = sep.join(known)
    if unknown:
        who = _fill(labels, lang, "who_partly", known=who, unknown=sep.join(unknown))
    return _fill(labels, lang, "for_whom", who=who)


def access_line(labels: Labels, resource: Resource, lang: str) -> str:
    """Cost · ID · walk in or call first (· anonymous), each said as "not known" when no source gives it."""
    flags = resource.flags
    cost = "free" if "free" in flags else resource.cost or "cost_unknown"
    id_word = "no_id_required" if "no_id_required" in flags else "id_required" if resource.id_required else "id_unknown"
    access = "walk_in" if "walk_in" in flags else resource.access or "access_unknown"
    words = [str(labels.get(lang, key)) for key in (cost, id_word, access)]
    if "anonymous" in flags:
        words.append(str(labels.get(lang, "anonymous")))
    return str(labels.get(lang, "flags_separator")).join(words)


def languages_line(labels: Labels, resource: Resource, lang: str) -> str:
    names: list[str] = [labels.get(lang, "language_names").get(code, code) for code in resource.languages]
    if resource.interpreters:
        names.append(str(labels.get(lang, "interpreters")))
    if not names:
        return str(labels.get(lang, "languages_unknown"))
    return _fill(labels, lang, "languages", languages=str(labels.get(lang, "list_separator")).join(names))


def checked_line(labels: Labels, resource: Resource, lang: str, today: date) -> str:
    """When the facts were last checked at their source ("March 2024"), with a nudge when that is old or unknown."""
    checked = resource.verified_on
    if checked is None:
        return str(labels.get(lang, "checked_unknown"))
    parts = resource.verified.split("-")
    shown = parts[0] if len(parts) == 1 else f"{labels.get(lang, 'months')[checked.month - 1]} {checked.year}"
    key = "checked_stale" if resource.is_stale(today) else "checked"
    return _fill(labels, lang, key, date=shown)


def source_domain(url: str) -> str:
    return urlparse(url).netloc.removeprefix("www.")


def card(directory: Directory, resource: Resource, lang: str, now: datetime) -> str:
    """The whole card as plain text: name, one line, contacts, then every fact line of FACT_LINES."""
    labels = directory.labels
    lines = [resource.name, resource.summary_in(lang)]
    lines += [contact_line(labels, c, lang) for c in resource.contacts]
    if not any(c.kind in ("phone", "text") or c.note == "chat" for c in resource.contacts):
        lines.append(str(labels.get(lang, "contact_unknown")))
    if resource.address:
        lines.append(_fill(labels, lang, "address", address=resource.address))
    lines.append(hours_line(labels, resource, lang, now) or str(labels.get(lang, "hours_unknown")))
    lines.append(access_line(labels, resource, lang))
    lines.append(languages_line(labels, resource, lang))
    lines.append(who_line(labels, resource, lang))
    lines.append(checked_line(labels, resource, lang, local_time(now).date()))
    return "\n".join(lines)


def card_buttons(directory: Directory, resource: Resource, lang: str) -> tuple[Button, ...]:
    """URL buttons for the card's web contacts (chat first), at most two so the screen stays calm."""
    webs = sorted((c for c in resource.contacts if c.kind == "web"), key=lambda c: c.note != "chat")
    buttons = []
    for contact in webs[:2]:
        key = "chat_button" if contact.note == "chat" else "website_button"
        label = f"{directory.labels.get(lang, key)} · {source_domain(contact.value)}"
        buttons.append(Button(label, contact.value, url=contact.value))
    return tuple(buttons)


def screen(directory: Directory, resources: Sequence[Resource], lang: str, now: datetime, *, offset: int = 0,
           more_data: str = "search:more", intro: str = "") -> Reply:
    """One screen of at most PER_SCREEN cards from `offset`, with a "More" button when more remain."""
    page = resources[offset:offset + PER_SCREEN]
    body = "\n\n".join(card(directory, r, lang, now) for r in page)
    text = f"{intro}\n\n{body}" if intro else body
    rows: list[tuple[Button, ...]] = []
    if len(resources) > offset + PER_SCREEN:
        rows.append((Button(str(directory.labels.get(lang, "more")), more_data),))
    return Reply(text, tuple(rows))


def nothing_found(directory: Directory, lang: str) -> str:
    """The honest answer when no service is close: 211 and a person."""
    return str(directory.labels.get(lang, "nothing_found"))


def labels_for(directory: Directory, lang: str) -> dict[str, Any]:
    """Every card word in `lang` (English where missing), for the flows engineer and tests."""
    english = dict(directory.labels.words.get("en", {}))
    return {**english, **dict(directory.labels.words.get(lang, {}))}
