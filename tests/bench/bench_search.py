"""Search latency and quality: our index vs a plain difflib baseline, on the real directory and on 5,000 entries.

Run: .venv/bin/python tests/bench/bench_search.py   (prints figures; not a pass/fail test)

- quality: tests/search_labelled.yaml (289 queries, 4 languages, 46 out of scope, 87 held out) scored as
  tests/test_search_labelled.py does (top 3: right category, right service, honest nothing), per language and
  per kind, tuned vs held out; and the older tests/search_queries.yaml (category in the top 3)
- latency queries: both sets (typos, sentences, fr/es/tl)
- "cold": the word-expansion cache is emptied before every query (a stream of never-seen words);
  "warm": it is kept, as in the running bot where words repeat
- difflib baseline: for every resource, difflib.SequenceMatcher(query, name + keywords + categories).ratio(),
  top 3; the same data, no index
- the machine is shared (2 cores), so p99 includes other people's work; gc.freeze() after loading, as a
  long-running process would
- the 5,000-entry directory clones the real services with invented names and extra invented words, so the
  vocabulary grows as a real directory's would
"""

from __future__ import annotations

import difflib
import gc
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tests"))

from labelled import Outcome, load_queries, rates, score  # noqa: E402

from bot.directory.resources import Directory, Resource, load_directory  # noqa: E402
from bot.directory.search import analyse, prepare, search, words  # noqa: E402

NOW = datetime(2026, 11, 27, 14, 0)
OLD: list[dict[str, Any]] = yaml.safe_load((ROOT / "tests" / "search_queries.yaml").read_text())["queries"]
LABELLED = load_queries()
QUERIES: list[dict[str, Any]] = OLD + [{"q": q.text, "lang": q.lang, "category": q.expect_category} for q in LABELLED]
SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "sel", "bri", "an", "os", "quin", "del", "mar", "tu", "zen"]


def invented(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def generated(real: Directory, size: int, seed: int = 7) -> Directory:
    rng = random.Random(seed)
    clones: list[Resource] = []
    for i in range(size):
        base = real.resources[i % len(real.resources)]
        name = f"{invented(rng).title()} {rng.choice(['Society', 'Centre', 'House', 'Line', 'Project'])}"
        extra = tuple(invented(rng) for _ in range(6))
        keywords = tuple((lang, (*ws, *extra) if lang == "en" else ws) for lang, ws in base.keywords)
        clones.append(replace(base, id=f"{base.id}-{i}", name=name, keywords=keywords))
    return Directory(tuple(clones), real.lexicon, real.labels)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def time_ours(directory: Directory, rounds: int, *, cold: bool) -> tuple[list[float], list[float]]:
    """(wall-clock ms, CPU ms) per query; CPU time leaves out the moments other processes had the core."""
    prepare(directory)
    expand = directory.cache["expand"]
    wall, cpu = [], []
    for _ in range(rounds):
        for item in QUERIES:
            if cold:
                expand.cache_clear()
                analyse.cache_clear()
            start, start_cpu = time.perf_counter(), time.thread_time()
            search(directory, item["q"], lang=item["lang"], now=NOW, limit=12)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def baseline_texts(directory: Directory) -> list[str]:
    return [
        " ".join([r.name, *(k for _, ks in r.keywords for k in ks), *r.categories]).lower() for r in directory.resources
    ]


def difflib_search(texts: list[str], directory: Directory, query: str) -> list[Resource]:
    q = " ".join(words(query))
    scored = []
    for position, text in enumerate(texts):
        matcher = difflib.SequenceMatcher(None, q, text, autojunk=False)
        scored.append((matcher.ratio(), position))
    scored.sort(reverse=True)
    return [directory.resources[p] for _, p in scored[:3]]


def time_difflib(directory: Directory, queries: list[dict[str, Any]]) -> list[float]:
    texts = baseline_texts(directory)
    samples = []
    for item in queries:
        start = time.perf_counter()
        difflib_search(texts, directory, item["q"])
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def hit_rate_ours(directory: Directory) -> float:
    good = sum(
        any(
            item["category"] in h.resource.categories
            for h in search(directory, item["q"], lang=item["lang"], now=NOW, limit=3)
        )
        for item in OLD
    )
    return good / len(OLD)


def hit_rate_difflib(directory: Directory) -> float:
    texts = baseline_texts(directory)
    good = sum(
        any(item["category"] in r.categories for r in difflib_search(texts, directory, item["q"])) for item in OLD
    )
    return good / len(OLD)


def _pct(value: float | None) -> str:
    return "    -" if value is None else f"{value:6.1%}"


def quality(real: Directory) -> None:
    """The labelled set's figures: all, tuned vs held out, per language and per kind (each split tuned/held)."""
    outcomes = score(real, LABELLED, now=NOW)
    print(f"{'labelled set':<26}{'category':>10}{'n':>5}{'service':>10}{'n':>5}{'nothing':>10}{'n':>5}")

    def row(label: str, part: list[Outcome]) -> None:
        r = rates(part)
        print(
            f"{label:<26}{_pct(r.category):>10}{r.categories:>5}{_pct(r.service):>10}{r.services:>5}"
            f"{_pct(r.nothing):>10}{r.nothings:>5}"
        )

    row("all", outcomes)
    for held, name in ((False, "tuned"), (True, "held out")):
        row(name, [o for o in outcomes if o.query.held_out is held])
    print()
    for label, pick in (
        ("1-3 words", lambda o: len(o.query.text.split()) <= 3),
        ("4-7 words", lambda o: 4 <= len(o.query.text.split()) <= 7),
        ("8+ words (long)", lambda o: len(o.query.text.split()) >= 8),
    ):
        for held, name in ((False, "tuned"), (True, "held out")):
            part = [o for o in outcomes if pick(o) and o.query.held_out is held]
            if part:
                row(f"{label} {name}", part)
    for attr in ("lang", "kind"):
        print()
        for value in sorted({getattr(o.query, attr) for o in outcomes}):
            for held, name in ((False, "tuned"), (True, "held out")):
                part = [o for o in outcomes if getattr(o.query, attr) == value and o.query.held_out is held]
                if part:
                    row(f"{value} {name}", part)
    print()


def main() -> None:
    real, _ = load_directory(ROOT / "resources", today=date(2026, 11, 28))
    big = generated(real, 5000)
    start = time.perf_counter()
    index = prepare(big)
    build_ms = (time.perf_counter() - start) * 1000
    gc.freeze()  # what a long-running bot does after loading: the loaded directory never pays for GC passes
    quality(real)
    print(
        f"queries: {len(QUERIES)} labelled; real directory {len(real)} services; generated {len(big)} "
        f"({len(index.postings)} indexed words, index built in {build_ms:.0f} ms)\n"
    )
    print(
        f"{'directory':<12}{'method':<16}{'p50 ms':>10}{'p99 ms':>10}{'CPU p50':>10}{'CPU p99':>10}"
        f"{'vs difflib p50':>16}"
    )
    for label, directory, rounds, baseline_queries in (
        (f"real ({len(real)})", real, 20, QUERIES),
        ("5,000", big, 10, QUERIES[::5]),
    ):
        base_p50, base_p99 = percentiles(time_difflib(directory, baseline_queries))
        for method, cold in (("ours, cold", True), ("ours, warm", False)):
            wall, cpu = time_ours(directory, rounds, cold=cold)
            (p50, p99), (c50, c99) = percentiles(wall), percentiles(cpu)
            print(f"{label:<12}{method:<16}{p50:>10.3f}{p99:>10.3f}{c50:>10.3f}{c99:>10.3f}{base_p50 / p50:>15.0f}x")
        print(f"{label:<12}{'difflib':<16}{base_p50:>10.3f}{base_p99:>10.3f}{'':>10}{'':>10}{'1':>15}x")
    print(
        f"\ntests/search_queries.yaml, top-3 category hit rate on the real directory: "
        f"ours {hit_rate_ours(real):.0%}, difflib {hit_rate_difflib(real):.0%}"
    )


if __name__ == "__main__":
    main()
