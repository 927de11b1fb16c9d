"""Service cards: a resource written for a person, in their language, as plain text (no parse mode).

A card says what the service is in one line, how to reach it (numbers written so Telegram makes them
tappable), whether it is open now or when it opens (America/Edmonton), the flags that lower barriers,
languages, who it is for, and where the facts come from and when they were checked. Every word comes from
resources/labels.yaml; this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from bot.core.types import Button, Reply
from bot.directory.hours import local_time, schedule_status
from bot.directory.resources import Contact, Directory, Labels, Resource

PER_SCREEN = 3
FLAG_ORDER = ("no_id_required", "free", "walk_in", "anonymous")


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


def _who(labels: Labels, resource: Resource, lang: str) -> str:
    rule = resource.eligibility
    parts: list[str] = [labels.get(lang, "genders").get(g, g) for g in rule.genders]
    if rule.min_age is not None and rule.max_age is not None:
        parts.append(_fill(labels, lang, "ages_range", min=str(rule.min_age), max=str(rule.max_age)))
    elif rule.min_age is not None:
        parts.append(_fill(labels, lang, "ages_min", min=str(rule.min_age)))
    elif rule.max_age is not None:
        parts.append(_fill(labels, lang, "ages_max", max=str(rule.max_age)))
    parts += [labels.get(lang, "status").get(s, s) for s in rule.status]
    return str(labels.get(lang, "list_separator")).join(parts)


def source_domain(url: str) -> str:
    return urlparse(url).netloc.removeprefix("www.")


def card(directory: Directory, resource: Resource, lang: str, now: datetime) -> str:
    """The whole card as plain text: name, one line, contacts, hours, flags, languages, who, source."""
    labels = directory.labels
    lines = [resource.name, resource.summary_in(lang)]
    lines += [contact_line(labels, c, lang) for c in resource.contacts]
    if resource.address:
        lines.append(_fill(labels, lang, "address", address=resource.address))
    hours = hours_line(labels, resource, lang, now)
    if hours:
        lines.append(hours)
    flags = [str(labels.get(lang, f)) for f in FLAG_ORDER if f in resource.flags]
    if flags:
        lines.append(str(labels.get(lang, "flags_separator")).join(flags))
    names: list[str] = [labels.get(lang, "language_names").get(code, code) for code in resource.languages]
    if resource.interpreters:
        names.append(str(labels.get(lang, "interpreters")))
    if names:
        lines.append(_fill(labels, lang, "languages", languages=str(labels.get(lang, "list_separator")).join(names)))
    who = _who(labels, resource, lang)
    if who:
        lines.append(_fill(labels, lang, "for_whom", who=who))
    lines.append(_fill(labels, lang, "source", domain=source_domain(resource.sources[0]), date=resource.verified))
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
