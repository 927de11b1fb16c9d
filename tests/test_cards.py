"""Cards show a service honestly in the person's language: contacts, hours now, every fact or "not known", and when
the facts were last checked (the source stays off the card)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.directory import cards
from bot.directory.resources import LANGUAGES, Directory, Resource, load_directory

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY, _ = load_directory(ROOT / "resources", today=date(2026, 11, 28))
EDMONTON = ZoneInfo("America/Edmonton")
FRIDAY_2PM = datetime(2026, 11, 27, 14, 0, tzinfo=EDMONTON)


def _get(directory: Directory, rid: str) -> Resource:
    resource = directory.get(rid)
    assert resource is not None
    return resource


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("resource", DIRECTORY.resources, ids=lambda r: r.id)
def test_every_card_renders_in_every_language(resource: Resource, lang: str) -> None:
    """Each card has the name, the translated line, every needed fact either shown or named on its "Not known:"
    line, when it was last checked (last), no source line, and no unfilled placeholder."""
    labels = DIRECTORY.labels
    text = cards.card(DIRECTORY, resource, lang, FRIDAY_2PM)
    lines = text.splitlines()
    assert lines[0] == resource.name
    assert lines[1] == resource.summary_in(lang)
    missing = cards.unknown_facts(resource)
    names = labels.get(lang, "fact_names")
    if missing:
        assert cards.not_known_line(labels, resource, lang) in lines
    for fact, shown in [
        ("hours", cards.hours_line(labels, resource, lang, FRIDAY_2PM)),
        ("languages", cards.languages_line(labels, resource, lang)),
    ]:
        assert (fact in missing) != (shown in lines and bool(shown)), fact
    rule = resource.eligibility
    who = cards.who_line(labels, resource, lang)
    if (
        rule.genders
        or rule.any_gender
        or rule.any_age
        or rule.min_age is not None
        or rule.max_age is not None
        or rule.children
        or rule.status
    ):
        assert who in lines
    else:
        assert who == ""
    assert set(missing) <= set(names)
    assert lines[-1] == cards.checked_line(labels, resource, lang, FRIDAY_2PM.date())
    assert str(labels.get(lang, "source")).split("{")[0] not in text  # "Source: " stays in staff views
    assert "{" not in text
    assert "}" not in text


@pytest.mark.parametrize("resource", DIRECTORY.resources, ids=lambda r: r.id)
def test_every_needed_fact_is_shown_or_named_not_known(resource: Resource) -> None:
    """Contact, hours, cost, ID, walk-in, languages, gender, age, children and status: each is either on the card
    from its source or named on the "Not known:" line, never both and never neither."""
    labels = DIRECTORY.labels
    missing = set(cards.unknown_facts(resource))
    access = cards.access_line(labels, resource, "en")
    known = {
        "contact": any(c.kind in ("phone", "text") or c.note == "chat" for c in resource.contacts),
        "hours": bool(cards.hours_line(labels, resource, "en", FRIDAY_2PM)),
        "cost": any(w in access for w in ("Free", "There is a fee", "Cost depends on income", "Covered by Alberta")),
        "id": "ID needed" in access,
        "access": any(
            w in access for w in ("Walk in", "Call first", "By phone, text or chat", "Through a referral", "You apply")
        ),
        "languages": bool(cards.languages_line(labels, resource, "en")),
    }
    for fact, shown in known.items():
        assert shown != (fact in missing), fact
    rule = resource.eligibility
    assert ("status" in missing) == (not rule.status)
    assert ("age" in missing) == (not rule.any_age and rule.min_age is None and rule.max_age is None)
    assert ("gender" in missing) == (not rule.genders and not rule.any_gender)


def test_last_checked_is_plain_and_old_facts_say_so() -> None:
    """A recent check reads "Last checked: May 2019"; an old one asks the person to confirm; undated says not known."""
    labels = DIRECTORY.labels
    hotline = _get(DIRECTORY, "human-trafficking-hotline")
    assert cards.checked_line(labels, hotline, "en", date(2019, 8, 1)) == "Last checked: May 2019"
    assert cards.checked_line(labels, hotline, "en", date(2026, 11, 28)) == "Last checked: May 2019. Call to confirm."
    assert cards.checked_line(labels, hotline, "fr", date(2019, 8, 1)) == "Vérifié : mai 2019"
    assert (
        cards.checked_line(labels, _get(DIRECTORY, "emergency-911"), "en", date(2026, 11, 28))
        == "Last checked: not known. Call to confirm."
    )
    assert cards.checked_line(labels, _get(DIRECTORY, "sagesse"), "en", date(2018, 12, 20)) == "Last checked: 2018"


def test_a_card_shows_at_most_one_plain_website() -> None:
    """Phone, text and chat stay; plain web addresses are cut to one so the card stays short."""
    resource = _get(DIRECTORY, "metis-nation-alberta")
    text = cards.card(DIRECTORY, resource, "en", FRIDAY_2PM)
    assert text.count("🌐") == 1
    assert "albertametis.com" in text


@pytest.mark.parametrize("resource", DIRECTORY.resources, ids=lambda r: r.id)
def test_staff_notes_never_reach_a_card(resource: Resource) -> None:
    """Nothing from notes_for_staff (unverified numbers, caveats) is shown to a person."""
    text = "\n".join(cards.card(DIRECTORY, resource, lang, FRIDAY_2PM) for lang in LANGUAGES)
    for number in re.findall(r"\d{3}-\d{3}-\d{4}", resource.notes_for_staff):
        published = {c.value for c in resource.contacts}
        if number not in published:
            digits = number.replace("-", "")
            assert f"{digits[:3]} {digits[3:6]} {digits[6:]}" not in text


def test_phone_numbers_are_written_to_be_tappable() -> None:
    """Long numbers read +1 833 900 1010 (Telegram links them); short codes stay 211 and 988."""
    hotline = cards.card(DIRECTORY, _get(DIRECTORY, "human-trafficking-hotline"), "en", FRIDAY_2PM)
    assert "📞 Call +1 833 900 1010 (toll-free)" in hotline
    info = cards.card(DIRECTORY, _get(DIRECTORY, "alberta-211"), "en", FRIDAY_2PM)
    assert "📞 Call 211" in info
    assert "💬 Text INFO to 211" in info


@pytest.mark.parametrize(
    ("moment", "lang", "expected"),
    [
        (datetime(2026, 11, 27, 10, 0), "en", "🕐 Open now, until 4:30 p.m."),
        (datetime(2026, 11, 27, 7, 0), "en", "🕐 Closed now, opens at 8:15 a.m."),
        (datetime(2026, 11, 26, 18, 0), "en", "🕐 Closed now, opens tomorrow at 8:15 a.m."),
        (datetime(2026, 11, 28, 12, 0), "en", "🕐 Closed now, opens Monday at 8:15 a.m."),
        (datetime(2026, 11, 28, 12, 0), "fr", "🕐 Fermé, ouvre lundi à 8 h 15"),
        (datetime(2026, 11, 28, 12, 0), "es", "🕐 Cerrado, abre el lunes a las 8:15"),
        (datetime(2026, 11, 28, 12, 0), "tl", "🕐 Sarado ngayon, magbubukas sa Lunes nang 8:15 AM"),
    ],
)
def test_hours_say_open_now_or_when_it_opens(moment: datetime, lang: str, expected: str) -> None:
    """Employment Standards (Mo-Fr 08:15-16:30) reads open until, opens at, tomorrow or a weekday, in Calgary time."""
    resource = _get(DIRECTORY, "alberta-employment-standards")
    assert cards.hours_line(DIRECTORY.labels, resource, lang, moment.replace(tzinfo=EDMONTON)) == expected


def test_hours_use_calgary_time_for_an_aware_moment() -> None:
    """A UTC moment is read in America/Edmonton: 15:00 UTC on a Friday is 8:00 in Calgary, before opening."""
    resource = _get(DIRECTORY, "alberta-employment-standards")
    utc = datetime(2026, 11, 27, 15, 0, tzinfo=ZoneInfo("UTC"))
    assert cards.hours_line(DIRECTORY.labels, resource, "en", utc) == "🕐 Closed now, opens at 8:15 a.m."


def test_always_open_and_unknown_hours() -> None:
    """24/7 services say so; a card without sourced hours says "Hours: not known"."""
    assert cards.hours_line(DIRECTORY.labels, _get(DIRECTORY, "suicide-crisis-988"), "en", FRIDAY_2PM) == "🕐 Open 24/7"
    assert cards.hours_line(DIRECTORY.labels, _get(DIRECTORY, "sagesse"), "en", FRIDAY_2PM) == ""
    assert "hours" in cards.not_known_line(DIRECTORY.labels, _get(DIRECTORY, "sagesse"), "en")


def test_flags_languages_and_eligibility_are_shown() -> None:
    """No ID, anonymous, languages with interpreters, and who the service is for appear in the person's words."""
    text = cards.card(DIRECTORY, _get(DIRECTORY, "human-trafficking-hotline"), "es", FRIDAY_2PM)
    assert "No necesitas identificación" in text
    assert "Idiomas: inglés, francés, intérpretes en muchos idiomas" in text
    assert "Para: cualquier género, cualquier edad, cualquier estatus migratorio" in text
    assert "Revisado: mayo 2019. Llama para confirmar." in text
    assert "Fuente" not in text


def test_buttons_are_url_buttons() -> None:
    """Web contacts become URL buttons, chat first, at most two."""
    buttons = cards.card_buttons(DIRECTORY, _get(DIRECTORY, "human-trafficking-hotline"), "en")
    assert 1 <= len(buttons) <= 2
    assert buttons[0].url == "https://www.canadianhumantraffickinghotline.ca/chat/"
    assert buttons[0].label.startswith("Chat")


def test_a_screen_holds_three_cards_and_more() -> None:
    """At most three cards per screen; a More button when more remain, none on the last screen."""
    resources = list(DIRECTORY.resources[:5])
    first = cards.screen(DIRECTORY, resources, "en", FRIDAY_2PM)
    assert first.text.count("Last checked: ") == 3
    assert first.buttons[0][0].label == "More"
    last = cards.screen(DIRECTORY, resources, "en", FRIDAY_2PM, offset=3)
    assert last.text.count("Last checked: ") == 2
    assert last.buttons == ()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_nothing_found_offers_211_and_a_person(lang: str) -> None:
    """The honest no-match words name 211 in every language."""
    assert "211" in cards.nothing_found(DIRECTORY, lang)
