"""The labelled query set (tests/search_labelled.yaml) read into records and scored against the real search.

Shared by tests/test_search_labelled.py (which asserts the aims) and tests/bench/bench_search.py (which prints
figures per language and kind).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from bot.core.vocabulary import CATEGORIES
from bot.directory.resources import Directory
from bot.directory.search import search

LABELLED = Path(__file__).parent / "search_labelled.yaml"
FRIDAY_2PM = datetime(2026, 11, 27, 14, 0)


@dataclass(frozen=True, slots=True)
class Query:
    """One labelled query: what a person typed, in which language, and what a good answer contains."""

    text: str
    lang: str
    kind: str
    expect_category: str
    expect_service: tuple[str, ...]
    out_of_scope: bool
    held_out: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What search gave for one query: the top-3 ids and whether each aim was met (None: not asked)."""

    query: Query
    ids: tuple[str, ...]
    category_ok: bool | None
    service_ok: bool | None
    nothing_ok: bool | None


def load_queries(path: Path = LABELLED) -> list[Query]:
    """The labelled queries, with every field checked (a wrong category or a missing field fails loudly)."""
    raw = yaml.safe_load(path.read_text("utf-8"))["queries"]
    queries = []
    for item in raw:
        out = bool(item.get("out_of_scope", False))
        category = str(item.get("expect_category", ""))
        if not out and category not in CATEGORIES:
            raise ValueError(f"{path.name}: {item['text']!r} has no known expect_category ({category!r})")
        queries.append(
            Query(
                text=str(item["text"]),
                lang=str(item["lang"]),
                kind=str(item["kind"]),
                expect_category=category,
                expect_service=tuple(item.get("expect_service", ())),
                out_of_scope=out,
                held_out=bool(item.get("held_out", False)),
            )
        )
    return queries


def score(directory: Directory, queries: Iterable[Query], *, now: datetime = FRIDAY_2PM) -> list[Outcome]:
    """Run every query through the real search (top 3) and judge it."""
    outcomes = []
    for query in queries:
        hits = search(directory, query.text, lang=query.lang, now=now, limit=3)
        ids = tuple(h.resource.id for h in hits)
        if query.out_of_scope:
            outcomes.append(Outcome(query, ids, None, None, not hits))
            continue
        category_ok = any(query.expect_category in h.resource.categories for h in hits)
        service_ok = any(i in query.expect_service for i in ids) if query.expect_service else None
        outcomes.append(Outcome(query, ids, category_ok, service_ok, None))
    return outcomes


@dataclass(frozen=True, slots=True)
class Rates:
    """Share of outcomes meeting each aim, with how many were asked (a rate of nothing is None)."""

    category: float | None
    categories: int
    service: float | None
    services: int
    nothing: float | None
    nothings: int


def rates(outcomes: Sequence[Outcome]) -> Rates:
    """The three aims' rates over `outcomes`."""

    def rate(pick: Callable[[Outcome], bool | None]) -> tuple[float | None, int]:
        asked = [v for v in map(pick, outcomes) if v is not None]
        return (sum(asked) / len(asked) if asked else None), len(asked)

    return Rates(*rate(lambda o: o.category_ok), *rate(lambda o: o.service_ok), *rate(lambda o: o.nothing_ok))


def misses(outcomes: Sequence[Outcome]) -> list[str]:
    """One line per unmet aim, to read when a figure drops."""
    lines = []
    for o in outcomes:
        q = o.query
        if o.category_ok is False or o.service_ok is False or o.nothing_ok is False:
            want = "nothing" if q.out_of_scope else f"{q.expect_category} {list(q.expect_service) or ''}"
            lines.append(f"[{q.lang} {q.kind}] {q.text!r}: want {want}, got {list(o.ids)}")
    return lines
