"""Coverage: for each group and need the team's report names, the services in the directory that serve it.

Pure: `coverage(directory)` returns one `Cell` per group x need with the ids that serve it, judged from the
sourced facts only (categories, eligibility, languages, hours, who runs it). A reporting line or police service
never counts as help. `python -m bot check` prints the table and fails on an empty cell, so a directory edit
cannot quietly leave a group with nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.directory.hours import ZONE, status
from bot.directory.resources import Directory, Resource

Rule = Callable[[Resource], bool]
_ANY_MOMENT = datetime(2026, 1, 5, 2, 0, tzinfo=ZONE)


@dataclass(frozen=True, slots=True)
class Cell:
    group: str
    need: str
    services: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.services


def _help(resource: Resource) -> bool:
    return not (resource.reporting_line or resource.police)


def _shelter(resource: Resource) -> bool:
    return "shelter" in resource.categories and _help(resource)


def _serves_age(resource: Resource, age: int) -> bool:
    """The source says this age is served: any age, or a stated range that holds it."""
    rule = resource.eligibility
    if rule.any_age:
        return True
    if rule.min_age is None and rule.max_age is None:
        return False
    return (rule.min_age or 0) <= age <= (rule.max_age if rule.max_age is not None else 120)


def _serves_gender(resource: Resource, gender: str) -> bool:
    rule = resource.eligibility
    return rule.any_gender or gender in rule.genders


def _always_open(resource: Resource) -> bool:
    """Sourced hours that never close (24/7); any moment shows it, so a fixed one keeps this pure."""
    return status(resource, _ANY_MOMENT).state == "always"


def _speaks(lang: str) -> Rule:
    return lambda r: lang in r.languages or r.interpreters


def _work_help(resource: Resource) -> bool:
    return bool({"labour", "immigration"} & set(resource.categories)) and _help(resource)


CELLS: tuple[tuple[str, str, Rule], ...] = (
    ("men", "shelter", lambda r: _shelter(r) and _serves_gender(r, "men")),
    (
        "trans and gender-diverse people",
        "shelter",
        lambda r: _shelter(r) and (_serves_gender(r, "trans_gender_diverse") or "lgbtq" in r.categories),
    ),
    ("youth under 18", "shelter", lambda r: _shelter(r) and _serves_age(r, 15)),
    ("youth 18-24", "shelter", lambda r: _shelter(r) and _serves_age(r, 20)),
    ("women with children", "shelter", lambda r: _shelter(r) and r.eligibility.children == "welcome"),
    (
        "people leaving violence",
        "shelter",
        lambda r: _shelter(r) and bool({"family_violence", "trafficking"} & set(r.categories)),
    ),
    (
        "sex workers",
        "support led by sex workers or peers",
        lambda r: (
            "sex_work" in r.categories
            and _help(r)
            and ("peer_support" in r.categories or bool({"sex_workers", "peers"} & set(r.led_by)))
        ),
    ),
    (
        "sex workers",
        "harm reduction",
        lambda r: "sex_work" in r.categories and _help(r) and bool({"health", "addiction"} & set(r.categories)),
    ),
    (
        "survivors of sexual assault",
        "medical care 24/7",
        lambda r: {"sexual_violence", "health"} <= set(r.categories) and _always_open(r) and _help(r),
    ),
    (
        "survivors of violence or exploitation",
        "peer support",
        lambda r: (
            bool({"family_violence", "sexual_violence", "trafficking"} & set(r.categories))
            and _help(r)
            and ("peer_support" in r.categories or bool({"peers", "survivors"} & set(r.led_by)))
        ),
    ),
    ("Tagalog speakers", "labour and immigration help", lambda r: _work_help(r) and _speaks("tl")(r)),
    ("Spanish speakers", "labour and immigration help", lambda r: _work_help(r) and _speaks("es")(r)),
    ("people with disabilities", "disability-specific support", lambda r: "disability" in r.categories and _help(r)),
    ("Indigenous peoples", "Indigenous-led services", lambda r: "indigenous" in r.led_by and _help(r)),
)


def coverage(directory: Directory) -> list[Cell]:
    """Every group x need cell with the ids of the services that serve it, in directory order."""
    return [Cell(group, need, tuple(r.id for r in directory.resources if rule(r))) for group, need, rule in CELLS]


def report(cells: list[Cell]) -> list[str]:
    """One line per cell for `check`: "coverage: men x shelter: 3 (calgary-drop-in-centre, ...)"."""
    lines = []
    for cell in cells:
        served = f"{len(cell.services)} ({', '.join(cell.services)})" if cell.services else "NONE"
        lines.append(f"coverage: {cell.group} x {cell.need}: {served}")
    return lines
