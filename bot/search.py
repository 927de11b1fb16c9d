"""Search over the resource directory: pure, forgiving of typos and whole sentences, honest when nothing fits.

The index is built once per directory (`prepare`): every word from names, everyday keywords, category words
and one-line summaries, in every language, points at the resources it describes with a weight for where it
came from and how rare it is. A query is split into words; each word finds its exact and fuzzy (rapidfuzz)
matches among the indexed words; a resource's score is the sum, over query words, of its best match. Services
open now and fitting the person's filters rank higher. Below MIN_SCORE nothing is returned, so the caller can
say honestly that nothing close was found and offer 211 and a person.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from bot.hours import is_open
from bot.resources import Directory, Resource

MIN_SCORE = 0.5  # one strong word (a keyword or a name) clears it; a stray summary word does not
NAME_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
CATEGORY_WEIGHT = (0.85, 0.65)  # the first (main) category, then the others
SUMMARY_WEIGHT = 0.4
PHRASE_BONUS = 0.35
NAME_BONUS = 0.5  # every word of a keyword phrase ("kept my passport") was written
OPEN_NOW_BOOST = 1.12
FILTER_BOOST = 1.3
STRONG = 0.85            # a word this close to an indexed one may carry a result on its own
CANDIDATES = 60  # re-ranking by hours and fit looks only at this many best text matches

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the resource, its score, and whether it is open at the time asked (None: unknown)."""

    resource: Resource
    score: float
    open_now: bool | None = None


@dataclass(frozen=True)
class Index:
    """Words -> {resource position: weight}; built once, read by every query."""

    postings: dict[str, dict[int, float]]
    by_length: dict[int, list[str]]
    phrases: tuple[tuple[tuple[str, ...], ...], ...]  # per resource: its multi-word keywords, as word tuples
    names: tuple[frozenset[str], ...]  # per resource: the words of its name
    stopwords: frozenset[str]


def words(text: str) -> list[str]:
    """Lowercase words without accents: 'Hébergement, ce soir!' -> ['hebergement', 'ce', 'soir']."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(ch for ch in folded if not unicodedata.combining(ch)))


def prepare(directory: Directory) -> Index:
    """Build (once) and return the directory's search index."""
    cached = directory.cache.get("index")
    if isinstance(cached, Index):
        return cached
    stop = frozenset(w for s in directory.lexicon.stopwords for w in words(s))
    raw: dict[str, dict[int, float]] = defaultdict(dict)
    phrases: list[tuple[tuple[str, ...], ...]] = []
    names: list[frozenset[str]] = []

    def add(text: str, position: int, weight: float) -> None:
        for word in words(text):
            if len(word) > 1 and word not in stop and raw[word].get(position, 0.0) < weight:
                raw[word][position] = weight

    for position, resource in enumerate(directory.resources):
        add(resource.name, position, NAME_WEIGHT)
        names.append(frozenset(w for w in words(resource.name) if len(w) > 1 and w not in stop))
        add(resource.id.replace("-", " "), position, NAME_WEIGHT)
        own_phrases = []
        for _, keywords in resource.keywords:
            for keyword in keywords:
                add(keyword, position, KEYWORD_WEIGHT)
                tokens = tuple(w for w in words(keyword) if w not in stop and len(w) > 1)
                if len(tokens) > 1:
                    own_phrases.append(tokens)
        phrases.append(tuple(own_phrases))
        for rank, category in enumerate(resource.categories):
            weight = CATEGORY_WEIGHT[min(rank, 1)]
            add(category.replace("_", " "), position, weight)
            for _, category_words in directory.lexicon.words_for(category):
                for word in category_words:
                    add(word, position, weight)
        for _, summary in resource.summary:
            add(summary, position, SUMMARY_WEIGHT)
    total = max(len(directory.resources), 1)
    postings: dict[str, dict[int, float]] = {}
    for word, weights in raw.items():
        # Rare words say more: a word on every card ("calgary") counts about half as much as a unique one.
        rarity = 0.5 + 0.5 * math.log(1 + total / len(weights)) / math.log(1 + total)
        postings[word] = {position: weight * rarity for position, weight in weights.items()}
    by_length: dict[int, list[str]] = defaultdict(list)
    for word in postings:
        by_length[len(word)].append(word)
    index = Index(postings, dict(by_length), tuple(phrases), tuple(names), stop)
    directory.cache["index"] = index
    directory.cache["expand"] = lru_cache(maxsize=4096)(lambda w: _expand(index, w))
    return index


def _cutoff(length: int) -> float:
    return 100.0 if length <= 3 else 74.0 if length <= 5 else 78.0


def _expand(index: Index, word: str) -> tuple[tuple[str, float], ...]:
    """The indexed words this query word may mean, with a similarity in (0, 1]: itself, and near spellings."""
    found: dict[str, float] = {}
    if word in index.postings:
        found[word] = 1.0  # a word we know is taken as meant, not as a typo of a neighbour ("refugee", "refuge")
    cutoff = _cutoff(len(word))
    if cutoff < 100 and not found:
        for length in range(len(word) - 2, len(word) + 3):
            pool = index.by_length.get(length)
            if not pool:
                continue
            for candidate, score, _ in process.extract(
                word, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
            ):
                found.setdefault(candidate, score / 100.0)
    # A long word written as the start of an indexed one ("traffick" -> "trafficking") counts too.
    if len(word) >= 5 and not found:
        for length in range(len(word) + 3, len(word) + 7):
            for candidate in index.by_length.get(length, ()):
                if candidate.startswith(word):
                    found[candidate] = 0.85
    return tuple(found.items())


def search(
    directory: Directory,
    query: str,
    *,
    lang: str = "en",
    categories: Sequence[str] = (),
    filters: Sequence[str] = (),
    now: datetime | None = None,
    limit: int = 3,
    offset: int = 0,
    min_score: float = MIN_SCORE,
) -> list[Hit]:
    """Resources that fit the person's words, best first; [] when nothing is close enough.

    `categories` narrow the results to those categories (with no words, they list the categories' services);
    `filters` (bot.vocabulary.FILTERS) re-rank: fitting services first, others still shown. `now` (aware, or
    naive in the bot's time zone) decides "open now"; without it hours play no part.
    """
    index = prepare(directory)
    expand = directory.cache["expand"]
    query_words = [w for w in dict.fromkeys(words(query)) if len(w) > 1 and w not in index.stopwords]
    wanted = set(categories)
    scores: dict[int, float] = defaultdict(float)
    matched: set[str] = set()
    for word in query_words:
        best: dict[int, float] = {}
        for candidate, similarity in expand(word):
            if similarity >= STRONG:
                matched.add(candidate)
            closeness = similarity**2  # a near spelling counts for less than the word itself
            for position, weight in index.postings[candidate].items():
                value = closeness * weight
                if value > best.get(position, 0.0):
                    best[position] = value
        for position, value in best.items():
            scores[position] += value
    resources = directory.resources
    if not query_words and wanted:
        scores = defaultdict(
            float,
            {
                p: 1.0 + 0.2 * (r.categories[0] in wanted)
                for p, r in enumerate(resources)
                if wanted & set(r.categories)
            },
        )
    elif wanted:
        scores = defaultdict(
            float, {p: s for p, s in scores.items() if wanted & set(resources[p].categories)}
        )
    ranked = sorted(scores.items(), key=lambda item: -item[1])[: max(CANDIDATES, offset + limit)]
    hits = []
    for position, score in ranked:
        resource = resources[position]
        score += _phrase_bonus(index.phrases[position], matched)
        if index.names[position] and index.names[position] <= matched:
            score += NAME_BONUS  # the person wrote the service's name
        if score < min_score or not ((wanted and not query_words) or _has_strong(index, position, matched)):
            continue
        open_now = is_open(resource, now) if now is not None else None
        hits.append(Hit(resource, round(score * _fit(resource, filters, open_now, lang), 4), open_now))
    hits.sort(key=lambda h: (-h.score, h.resource.name))
    return hits[offset : offset + limit]


def _has_strong(index: Index, position: int, matched: set[str]) -> bool:
    """Whether a written word, or a close spelling of it, points at this resource (not only a far one)."""
    return any(position in index.postings[word] for word in matched)


def _phrase_bonus(phrases: Iterable[tuple[str, ...]], matched: set[str]) -> float:
    bonus = 0.0
    for phrase in phrases:
        if all(word in matched for word in phrase):
            bonus = max(bonus, PHRASE_BONUS * min(len(phrase), 3) / 2)
    return bonus


def _fit(resource: Resource, filters: Sequence[str], open_now: bool | None, lang: str) -> float:
    """How much better a service fits than its words alone say: open now, the person's filters, language."""
    factor = OPEN_NOW_BOOST if open_now else 1.0
    for wanted in filters:
        if wanted == "open_now":
            factor *= FILTER_BOOST if open_now else 1.0 if open_now is None else 1 / FILTER_BOOST
        elif wanted == "youth":
            young = "youth" in resource.categories or (resource.eligibility.max_age or 99) <= 25
            factor *= FILTER_BOOST if young else 1.0
        elif wanted in resource.flags:
            factor *= FILTER_BOOST
    if lang != "en" and (lang in resource.languages or resource.interpreters):
        factor *= 1.05
    return factor


def hits_as_json(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """The CLI's `search --json` shape: id, name, categories, score, plus open_now and contacts."""
    return [
        {
            "id": hit.resource.id,
            "name": hit.resource.name,
            "categories": list(hit.resource.categories),
            "score": hit.score,
            "open_now": hit.open_now,
            "contacts": [{"kind": c.kind, "value": c.display} for c in hit.resource.contacts],
        }
        for hit in hits
    ]
