"""Rank by fit: services that fit what the person said come first, then those open now.

Pure decisions over accepted resources. A door list (a flow's search node) names what the person told us in
its `filters` (bot.core.vocabulary.FILTERS: `under_18`, `youth`, `women`, `men`, `trans`, `with_children`,
`no_status`, `no_id_required`, `no_police`, `report`, `peers`); `Person.from_filters` reads them. A service whose
sourced eligibility rules the person out (an adults-only shelter for a parent with children, a women's shelter
for a man, ID needed when they have none) is left out of the list; one that says it serves them ranks above one
whose eligibility is not known, and one only for a gender the person did not name goes after those open to all.
Reporting lines and police are shown only when the person asks to report
(`report`, or report words in their own message); the bot never sends someone to police who did not ask.
Ties keep the order they came in (search's relevance), after "open now" (24/7 or open at this moment) and
"hours not known" ahead of "closed now".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.directory.hours import is_open
from bot.directory.resources import Resource

PERSON_FILTERS: tuple[str, ...] = (
    "under_18",
    "youth",
    "peers",
    "women",
    "men",
    "trans",
    "with_children",
    "no_status",
    "no_id_required",
    "no_police",
    "report",
)
ALL_GENDERS = ("women", "men", "trans_gender_diverse")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Person:
    """What the person told us about themselves (never stored; read from the door they chose)."""

    under_18: bool = False
    youth: bool = False  # 24 or younger
    gender: str = ""  # "women", "men", "trans_gender_diverse" or "" (not said)
    children: bool = False
    no_status: bool = False
    no_id: bool = False
    no_police: bool = False
    report: bool = False
    peers: bool = False  # asked for people who have been there (peer-led, or run by sex workers or survivors)

    @classmethod
    def from_filters(cls, filters: Iterable[str]) -> Person:
        wanted = set(filters)
        gender = next(
            (g for f, g in (("women", "women"), ("men", "men"), ("trans", "trans_gender_diverse")) if f in wanted), ""
        )
        return cls(
            under_18="under_18" in wanted,
            youth="youth" in wanted or "under_18" in wanted,
            gender=gender,
            children="with_children" in wanted,
            no_status="no_status" in wanted,
            no_id="no_id_required" in wanted,
            no_police="no_police" in wanted,
            report="report" in wanted,
            peers="peers" in wanted,
        )


def asks_to_report(text: str, report_words: frozenset[str]) -> bool:
    """Whether the person's own words ask to report ("report", "denunciar", "signaler", "i-report")."""
    return any(word in report_words for word in _WORD.findall(text.lower()))


def fit(resource: Resource, person: Person) -> int | None:
    """None when the sourced facts rule the person out; otherwise how many of their facts the service says it
    serves (higher fits better; 0 means nothing said either way)."""
    rule = resource.eligibility
    if (resource.reporting_line or resource.police) and not person.report:
        return None
    if resource.police and person.no_police:
        return None
    score = 2 if person.report and (resource.reporting_line or resource.police) else 0
    if person.youth:
        if rule.min_age is not None and rule.min_age > (17 if person.under_18 else 24):
            return None
        if (rule.max_age is not None and rule.max_age <= 25) or "youth" in resource.categories:
            score += 2
        elif rule.any_age:
            score += 1
    if person.gender:
        named = person.gender in rule.genders
        if person.gender != "trans_gender_diverse" and rule.genders and not named and not rule.any_gender:
            return None
        if named or (person.gender == "trans_gender_diverse" and "lgbtq" in resource.categories):
            score += 2
        elif rule.any_gender:
            score += 1
        if person.gender == "men" and "men" in resource.categories:
            score += 1
    elif rule.genders and not rule.any_gender and not set(ALL_GENDERS) <= set(rule.genders):
        score -= 1  # only for some genders, and the person did not say they are one: after those open to all
    if not person.youth and rule.max_age is not None and rule.max_age < 25:
        score -= 1  # only for young people, and the person did not say they are young
    if person.children:
        if rule.children == "no":
            return None
        score += 2 if rule.children == "welcome" else 0
    if person.peers and (
        "peer_support" in resource.categories or {"peers", "sex_workers", "survivors"} & set(resource.led_by)
    ):
        score += 2
    if person.no_status and "any_status" in rule.status:
        score += 1
    if person.no_id:
        if resource.id_required:
            return None
        score += 1 if "no_id_required" in resource.flags else 0
    return score


def _open_rank(resource: Resource, now: datetime | None) -> int:
    """0 open now (or 24/7), 1 hours not known, 2 closed now."""
    if now is None:
        return 1
    state = is_open(resource, now)
    return 1 if state is None else 0 if state else 2


def need_fit(resource: Resource, need: Sequence[str]) -> int:
    """How closely a service is about the door's need: two per category of the door it has, one more when its
    main (first) category is one of them (so a door for sex workers' peers puts peer support for sex workers
    ahead of either alone)."""
    wanted = set(need)
    return 2 * len(wanted & set(resource.categories)) + (bool(resource.categories) and resource.categories[0] in wanted)


def order(
    resources: Sequence[Resource], person: Person, now: datetime | None, need: Sequence[str] = ()
) -> list[Resource]:
    """A door list: services that could serve the person, best fit (to the person, then to the door's `need`
    categories) first, then open now, else as given."""
    scored = [
        (score + need_fit(r, need), i, r) for i, r in enumerate(resources) if (score := fit(r, person)) is not None
    ]
    scored.sort(key=lambda item: (-item[0], _open_rank(item[2], now), item[1]))
    return [r for _, _, r in scored]


CLOSE_TO_BEST = 0.5  # free text: hits scoring at least this share of the best one count as equally relevant


def reorder_found(found: Sequence[tuple[Resource, float]], now: datetime | None, *, report: bool) -> list[Resource]:
    """Free-text results (resource, search score), best first, re-ranked by fit: reporting lines and police go
    last unless the person asked to report; among the hits close to the best score, open now comes first, then
    hours not known, then closed now; the rest keep search's order after them."""
    person = Person(report=report)
    best = max((score for _, score in found), default=0.0)

    def key(item: tuple[int, tuple[Resource, float]]) -> tuple[bool, bool, int, int]:
        i, (resource, score) = item
        close = score >= best * CLOSE_TO_BEST
        return (fit(resource, person) is None, not close, _open_rank(resource, now) if close else 1, i)

    return [resource for _, (resource, _) in sorted(enumerate(found), key=key)]
