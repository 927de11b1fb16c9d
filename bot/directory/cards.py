"""Service cards: a resource written for a person, in their language, as plain text (no parse mode).

A card says what the service is in one line, how to reach it (numbers written so Telegram makes them
tappable), whether it is open now or when it opens (America/Edmonton), then the facts a person needs that a
source gives (cost, ID, walk in or call first, who it is for: age, gender, children, status; languages), one
"Not known:" line naming each of those no source gives, and when the facts were last checked (with a nudge to
confirm when that is old).
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
# What every card says, each either known or named on its "Not known:" line (keys of labels.yaml fact_names).
FACT_ORDER = ("contact", "hours", "cost", "id", "access", "languages", "gender", "age", "children", "status")


def _fill(labels: Labels, lang: str, key: str, **values: str) -> str:
    return str(labels.get(lang, key)).format(**values)


def clock(labels: Labels, lang: str, moment: datetime) -> str:
    """8:15 a.m. in English, 8 h 15 in French, as labels.yaml says each language writes a time."""
    twelve = int(labels.get(lang, "clock")) == 12
    h12 = moment.hour % 12 or 12
    ampm = labels.get(lang, "am") if moment.hour < 12 else labels.get(lang, "pm")
    text = str(labels.get(lang, "time")).format(
        H=moment.hour, h=h12 if twelve else moment.hour, mm=f"{moment.minute:02d}", ampm=ampm
    )
    return text.strip()


def hours_line(labels: Labels, resource: Resource, lang: str, now: datetime) -> str:
    """ "Open 24/7", "Open now, until 4:30 p.m.", "Closed now, opens Monday at 8:15 a.m.", or "" if unknown."""
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


def unknown_facts(resource: Resource) -> list[str]:
    """The facts a person needs that no source gives for this service, in FACT_ORDER (keys of fact_names)."""
    rule, flags = resource.eligibility, resource.flags
    missing = {
        "contact": not any(c.kind in ("phone", "text") or c.note == "chat" for c in resource.contacts),
        "hours": resource.schedule is None,
        "cost": "free" not in flags and not resource.cost,
        "id": "no_id_required" not in flags and not resource.id_required,
        "access": "walk_in" not in flags and not resource.access,
        "languages": not resource.languages and not resource.interpreters,
        "gender": not rule.genders and not rule.any_gender,
        "age": not rule.any_age and rule.min_age is None and rule.max_age is None,
        # a line you call has no beds, so whether children may come does not arise
        "children": not rule.children and resource.access != "remote",
        "status": not rule.status,
    }
    return [fact for fact in FACT_ORDER if missing[fact]]


def not_known_line(labels: Labels, resource: Resource, lang: str) -> str:
    """ "Not known: hours, cost, age" naming every needed fact no source gives, or "" when all are known."""
    names = labels.get(lang, "fact_names")
    missing = [str(names[fact]) for fact in unknown_facts(resource)]
    if not missing:
        return ""
    return _fill(labels, lang, "not_known", facts=str(labels.get(lang, "list_separator")).join(missing))


def who_line(labels: Labels, resource: Resource, lang: str) -> str:
    """ "For: women, ages 18+, children welcome, any immigration status" from what the source says, or ""."""
    rule = resource.eligibility
    known: list[str] = [labels.get(lang, "genders").get(g, g) for g in rule.genders]
    if rule.any_gender:
        known = [str(labels.get(lang, "any_gender"))]
    if rule.any_age:
        known.append(str(labels.get(lang, "any_age")))
    elif rule.min_age is not None and rule.max_age is not None:
        known.append(_fill(labels, lang, "ages_range", min=str(rule.min_age), max=str(rule.max_age)))
    elif rule.min_age is not None:
        known.append(_fill(labels, lang, "ages_min", min=str(rule.min_age)))
    elif rule.max_age is not None:
        known.append(_fill(labels, lang, "ages_max", max=str(rule.max_age)))
    if rule.children:
        known.append(str(labels.get(lang, f"children_{rule.children}")))
    known += [labels.get(lang, "status").get(s, s) for s in rule.status]
    if not known:
        return ""
    return _fill(labels, lang, "for_whom", who=str(labels.get(lang, "list_separator")).join(known))


def access_line(labels: Labels, resource: Resource, lang: str) -> str:
    """What lowers the barrier, as the source says: cost · ID · walk in or call first · anonymous (or "")."""
    flags = resource.flags
    keys = [
        "free" if "free" in flags else resource.cost,
        "no_id_required" if "no_id_required" in flags else "id_required" if resource.id_required else "",
        "walk_in" if "walk_in" in flags else resource.access,
        "anonymous" if "anonymous" in flags else "",
    ]
    return str(labels.get(lang, "flags_separator")).join(str(labels.get(lang, k)) for k in keys if k)


def languages_line(labels: Labels, resource: Resource, lang: str) -> str:
    names: list[str] = [labels.get(lang, "language_names").get(code, code) for code in resource.languages]
    if resource.interpreters:
        names.append(str(labels.get(lang, "interpreters")))
    if not names:
        return ""
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


def shown_contacts(resource: Resource) -> list[Contact]:
    """Phone, text, chat and email contacts, and at most one plain website (the cards stay short)."""
    webs = [c for c in resource.contacts if c.kind == "web" and c.note != "chat"]
    return [c for c in resource.contacts if c.kind != "web" or c.note == "chat" or c is webs[0]]


def card(directory: Directory, resource: Resource, lang: str, now: datetime) -> str:
    """The whole card as plain text: name, one line, contacts, then what is known (hours, cost/ID/walk-in, who,
    languages), one line naming every needed fact that is not known, and when the facts were last checked."""
    labels = directory.labels
    lines = [resource.name, resource.summary_in(lang)]
    lines += [contact_line(labels, c, lang) for c in shown_contacts(resource)]
    if resource.address:
        lines.append(_fill(labels, lang, "address", address=resource.address))
    lines += [
        hours_line(labels, resource, lang, now),
        access_line(labels, resource, lang),
        who_line(labels, resource, lang),
        languages_line(labels, resource, lang),
        not_known_line(labels, resource, lang),
    ]
    lines.append(checked_line(labels, resource, lang, local_time(now).date()))
    return "\n".join(line for line in lines if line)


def card_buttons(directory: Directory, resource: Resource, lang: str) -> tuple[Button, ...]:
    """URL buttons for the card's web contacts (chat first), at most two so the screen stays calm."""
    webs = sorted((c for c in resource.contacts if c.kind == "web"), key=lambda c: c.note != "chat")
    buttons = []
    for contact in webs[:2]:
        key = "chat_button" if contact.note == "chat" else "website_button"
        label = f"{directory.labels.get(lang, key)} · {source_domain(contact.value)}"
        buttons.append(Button(label, contact.value, url=contact.value))
    return tuple(buttons)


def screen(
    directory: Directory,
    resources: Sequence[Resource],
    lang: str,
    now: datetime,
    *,
    offset: int = 0,
    more_data: str = "search:more",
    intro: str = "",
) -> Reply:
    """One screen of at most PER_SCREEN cards from `offset`, with a "More" button when more remain."""
    page = resources[offset : offset + PER_SCREEN]
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
