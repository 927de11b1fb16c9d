"""Rank by fit over the real flows and directory: door lists put what fits the person first, leave out what rules
them out, and show reporting lines and police only to someone who asks to report."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content.loader import Content, load_content
from bot.conversation.engine import advance, enter
from bot.core.types import Event, Session
from bot.directory import fit
from bot.directory.hours import status
from bot.directory.resources import Resource
from bot.directory.search import search
from bot.settings import ROOT

EDMONTON = ZoneInfo("America/Edmonton")
AFTERNOON = datetime(2026, 11, 27, 14, 0, tzinfo=EDMONTON)  # a Friday
TWO_AM = datetime(2026, 11, 28, 2, 0, tzinfo=EDMONTON)  # the Saturday night after
LOADED, _PROBLEMS = load_content(ROOT / "flows", ROOT / "resources")
assert LOADED is not None, "\n".join(map(str, _PROBLEMS))
CONTENT: Content = LOADED
DIRECTORY = CONTENT.directory
SEARCH_NODES = sorted(n.id for n in CONTENT.flows.nodes.values() if n.search is not None)


def _listed(node_id: str, now: datetime = AFTERNOON, lang: str = "en") -> list[Resource]:
    turn = enter(CONTENT, Session(language=lang), node_id, now)
    ids = dict(turn.session.search).get("ids", [])
    found = [DIRECTORY.get(str(i)) for i in ids]
    assert all(r is not None for r in found)
    return [r for r in found if r is not None]


def _typed(text: str, now: datetime) -> list[Resource]:
    turn = advance(CONTENT, Session(language="en", node=CONTENT.flows.entry("menu")), Event("text", text=text), now)
    return [r for r in (DIRECTORY.get(str(i)) for i in dict(turn.session.search).get("ids", [])) if r is not None]


def test_young_bed_starts_with_a_youth_shelter_never_a_reporting_line() -> None:
    """ "I'm 24 or younger -> a bed" starts with a shelter for young people and lists no reporting line or police."""
    listed = _listed("tonight.young")
    assert listed[0].id == "avenue-15-youth-shelter"
    assert "shelter" in listed[0].categories
    assert not any(r.reporting_line or r.police for r in listed)
    assert all((r.eligibility.min_age or 0) <= 24 for r in listed)


def test_me_and_my_children_never_lists_an_adults_only_shelter_and_starts_with_one_that_takes_children() -> None:
    """ "Me and my children" leaves out adults-only shelters and puts those that welcome children first."""
    listed = _listed("tonight.family")
    assert listed[0].eligibility.children == "welcome"
    assert not any(r.eligibility.children == "no" for r in listed)
    assert "calgary-drop-in-centre" not in [r.id for r in listed]


@pytest.mark.parametrize("node_id", [n for n in SEARCH_NODES if n.startswith("sexwork.")])
def test_sex_work_screens_never_list_police(node_id: str) -> None:
    """No sex-work screen lists the police-run Bad Date Line or any police service unless the person asks to report."""
    listed = _listed(node_id)
    assert listed, node_id
    assert not listed[0].police
    assert "calgary-police-bad-date-line" not in [r.id for r in listed]


def test_mens_shelter_door_lists_no_womens_shelter_and_starts_with_one_for_men() -> None:
    """Men asking for a bed see no women-only shelter; the first takes men, and the men's transition house is in
    the first two."""
    listed = _listed("men.shelter")
    assert "men" in listed[0].eligibility.genders or listed[0].eligibility.any_gender
    assert "ccmf-transition-house" in [r.id for r in listed[:2]]
    assert not any(
        r.eligibility.genders and "men" not in r.eligibility.genders and not r.eligibility.any_gender for r in listed
    )
    assert "fear-is-not-love-shelter" not in [r.id for r in listed]


@pytest.mark.parametrize(
    "node_id",
    [n for n in SEARCH_NODES if n != "someone.report" and "report" not in CONTENT.flows.node(n).search.filters],
)  # type: ignore[union-attr]
def test_no_door_list_sends_a_person_to_police_or_a_tip_line_unasked(node_id: str) -> None:
    """Crime Stoppers, tip lines and police appear on no door list except where the person chose to report."""
    assert not any(r.reporting_line or r.police for r in _listed(node_id))


def test_the_report_door_lists_places_to_report() -> None:
    """The separate "I want to report it" door shows the hotline's and tip lines' kind of places."""
    listed = {r.id for r in _listed("someone.report")}
    assert {"crime-stoppers", "tfw-abuse-tip-line"} <= listed


def test_sexual_assault_at_two_in_the_morning_shows_an_open_service_first() -> None:
    """Typing "sexual assault" at 2 a.m. shows a 24/7 service first, not a police line or one with no known hours."""
    found = _typed("sexual assault", TWO_AM)
    assert found
    assert status(found[0], TWO_AM).state == "always"
    assert not found[0].police


def test_sexual_violence_door_at_two_in_the_morning_starts_with_24_7_care() -> None:
    """The sexual-violence door at 2 a.m. starts with a service open now and lists no police line."""
    listed = _listed("hurt.sexual", TWO_AM)
    assert status(listed[0], TWO_AM).state == "always"
    assert not any(r.police for r in listed)


@pytest.mark.parametrize(
    ("text", "lang"), [("I want to report a bad date", "en"), ("quiero denunciar un mal cliente", "es")]
)
def test_asking_to_report_keeps_the_reporting_line_in_view(text: str, lang: str) -> None:
    """Free text that asks to report keeps the Bad Date Line among the first cards; without the report words the
    same search moves it behind the services that help."""
    hits = search(DIRECTORY, text, lang=lang, now=AFTERNOON, limit=12)
    found = [(h.resource, h.score) for h in hits]
    asked = fit.reorder_found(found, AFTERNOON, report=fit.asks_to_report(text, DIRECTORY.report_words))
    assert "calgary-police-bad-date-line" in [r.id for r in asked[:3]]
    unasked = fit.reorder_found(found, AFTERNOON, report=False)
    helping = [r for r in unasked if not (r.police or r.reporting_line)]
    assert unasked[: len(helping)] == helping


def test_report_words_are_heard_in_each_language() -> None:
    """Report words count in the person's own language, and ordinary requests do not."""
    assert fit.asks_to_report("quiero denunciar a mi jefe", DIRECTORY.report_words)
    assert not fit.asks_to_report("I need a bed tonight", DIRECTORY.report_words)


@pytest.mark.parametrize(
    ("filters", "ruled_out"),
    [
        (("with_children",), "calgary-drop-in-centre"),
        (("men",), "yw-calgary"),
        (("women",), "ccmf-transition-house"),
        (("under_18", "youth"), "calgary-drop-in-centre"),
        (("no_id_required",), "ircc-open-work-permit-vulnerable-workers"),
        (("no_police", "report"), "calgary-police"),
        ((), "crime-stoppers"),
    ],
)
def test_sourced_eligibility_rules_a_person_out(filters: tuple[str, ...], ruled_out: str) -> None:
    """A service whose sourced facts exclude what the person said is left out of their list."""
    resource = DIRECTORY.get(ruled_out)
    assert resource is not None
    assert fit.fit(resource, fit.Person.from_filters(filters)) is None


def test_unknown_eligibility_ranks_below_a_stated_fit_but_stays() -> None:
    """A shelter that says it takes children ranks above one whose rule on children is not known; both are kept."""
    welcome, unknown = DIRECTORY.get("inn-from-the-cold"), DIRECTORY.get("fear-is-not-love-shelter")
    assert welcome is not None
    assert unknown is not None
    person = fit.Person.from_filters(["with_children"])
    assert fit.order([unknown, welcome], person, AFTERNOON) == [welcome, unknown]


def test_every_person_filter_is_in_the_shared_vocabulary() -> None:
    """Flows may only use filters DESIGN.md's vocabulary lists, and each of fit's is among them."""
    from bot.core.vocabulary import FILTERS

    assert set(fit.PERSON_FILTERS) <= set(FILTERS)


@pytest.mark.parametrize(
    ("node_id", "first"),
    [
        ("sexwork.services", "safelink-shift"),
        ("sexwork.peers", "sagesse"),
        ("sexwork.health", "safelink-shift"),
        ("indigenous.shelter", "awo-taan-healing-lodge"),
        ("newcomers.women", "ciwa"),
    ],
)
def test_the_service_made_for_the_door_comes_first(node_id: str, first: str) -> None:
    """Where a service is made for both the door's group and need, it leads the list (not a general line)."""
    assert _listed(node_id)[0].id == first
