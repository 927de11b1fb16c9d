"""Search over the resource directory: pure, forgiving of typos and whole sentences, honest when nothing fits.

The index is built once per directory (`prepare`): every word from names, everyday keywords, category words
and one-line summaries, in every language, points at the resources it describes with a weight for where it
came from and how rare it is. A query is split into words; each word finds its exact and fuzzy (rapidfuzz)
matches among the indexed words; a resource's score is the sum, over query words, of its best match. Services
open now and fitting the person's filters rank higher. Below MIN_SCORE nothing is returned, so the caller can
say honestly that nothing close was found and offer 211 and a person.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.text import strip_marks
from bot.directory.hours import is_open
from bot.directory.resources import Directory, Resource

MIN_SCORE = 0.5  # one strong word (a keyword or a name) clears it; a stray summary word does not
NAME_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
CATEGORY_WEIGHT = (0.85, 0.65)  # the first (main) category, then the others
SUMMARY_WEIGHT = 0.4
PHRASE_BONUS = 0.35  # every word of a keyword phrase ("kept my passport") was written
NAME_BONUS = 0.5  # every word of the service's name was written
OPEN_NOW_BOOST = 1.12
FILTER_BOOST = 1.3
STRONG = 0.85  # a word this close to an indexed one may carry a result on its own
CANDIDATES = 60  # re-ranking by hours and fit looks only at this many best text matches
# Per word, only its heaviest postings are read: a word shared by thousands of services (a category word)
# gives them all the same weight, so reading more would change ties, not what comes first.
POSTINGS_READ = 400

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
    impact: dict[str, tuple[tuple[int, float], ...]]  # the same, heaviest first, at most POSTINGS_READ long
    pools: dict[tuple[int, str, int], list[str]]  # (0, first letter, length) and (1, second letter, length)
    phrases: tuple[tuple[tuple[frozenset[str], float], ...], ...]  # per resource: keyword phrases, their bonus
    names: tuple[frozenset[str], ...]  # per resource: the words of its name
    stopwords: frozenset[str]


def words(text: str) -> list[str]:
    """Lowercase words without accents: 'Hébergement, ce soir!' -> ['hebergement', 'ce', 'soir']."""
    return _WORD.findall(strip_marks(text))


def prepare(directory: Directory) -> Index:
    """Build (once) and return the directory's search index."""
    cached = directory.cache.get("index")
    if isinstance(cached, Index):
        return cached
    stop = frozenset(w for s in directory.lexicon.stopwords for w in words(s))
    raw: dict[str, dict[int, float]] = defaultdict(dict)
    phrases: list[tuple[tuple[frozenset[str], float], ...]] = []
    names: list[frozenset[str]] = []

    def add(text: str, position: int, weight: float) -> None:
        add_words(words(text), position, weight)

    def add_words(tokens: Iterable[str], position: int, weight: float) -> None:
        for word in tokens:
            if len(word) > 1 and word not in stop and raw[word].get(position, 0.0) < weight:
                raw[word][position] = weight

    category_tokens = {  # every service of a category shares its words: split them once
        category: tuple(
            dict.fromkeys(
                [
                    *words(category.replace("_", " ")),
                    *(w for _, ws in directory.lexicon.words_for(category) for text in ws for w in words(text)),
                ]
            )
        )
        for category in {c for r in directory.resources for c in r.categories}
    }

    for position, resource in enumerate(directory.resources):
        add(resource.name, position, NAME_WEIGHT)
        names.append(frozenset(w for w in words(resource.name) if len(w) > 1 and w not in stop))
        add(resource.id.replace("-", " "), position, NAME_WEIGHT)
        own_phrases = []
        for _, keywords in resource.keywords:
            for keyword in keywords:
                add(keyword, position, KEYWORD_WEIGHT)
                tokens = frozenset(w for w in words(keyword) if w not in stop and len(w) > 1)
                if len(tokens) > 1:
                    own_phrases.append((tokens, PHRASE_BONUS * min(len(tokens), 3) / 2))
        phrases.append(tuple(own_phrases))
        for rank, category in enumerate(resource.categories):
            add_words(category_tokens[category], position, CATEGORY_WEIGHT[min(rank, 1)])
        for _, summary in resource.summary:
            add(summary, position, SUMMARY_WEIGHT)
    total = max(len(directory.resources), 1)
    postings: dict[str, dict[int, float]] = {}
    for word, weights in raw.items():
        # Rare words say more: a word on every card ("calgary") counts about half as much as a unique one.
        rarity = 0.5 + 0.5 * math.log(1 + total / len(weights)) / math.log(1 + total)
        postings[word] = {position: weight * rarity for position, weight in weights.items()}
    pools: dict[tuple[int, str, int], list[str]] = defaultdict(list)
    for word in postings:
        for place in (0, 1):
            pools[(place, word[place], len(word))].append(word)
    impact = {
        word: tuple(sorted(weights.items(), key=lambda item: -item[1])[:POSTINGS_READ])
        for word, weights in postings.items()
    }
    index = Index(postings, impact, dict(pools), tuple(phrases), tuple(names), stop)
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
        # Near spellings share the first or the second letter ("shleter", "vrugs"); comparing only with those
        # keeps a never-seen word cheap even with 20,000 indexed words.
        for length in range(len(word) - 2, len(word) + 3):
            for place in (0, 1):
                pool = index.pools.get((place, word[place], length))
                if pool:
                    for candidate, score, _ in process.extract(
                        word, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
                    ):
                        found[candidate] = max(found.get(candidate, 0.0), score / 100.0)
    # A long word written as the start of an indexed one ("traffick" -> "trafficking") counts too.
    if len(word) >= 5 and not found:
        for length in range(len(word) + 3, len(word) + 7):
            for candidate in index.pools.get((0, word[0], length), ()):
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
    `filters` (bot.core.vocabulary.FILTERS) re-rank: fitting services first, others still shown. `now` (aware, or
    naive in the bot's time zone) decides "open now"; without it hours play no part.
    """
    index = prepare(directory)
    expand = directory.cache["expand"]
    query_words = [w for w in dict.fromkeys(words(query)) if len(w) > 1 and w not in index.stopwords]
    wanted = set(categories)
    scores: dict[int, float] = {}
    matched: set[str] = set()
    add = scores.get
    for word in query_words:
        expansions = expand(word)
        for candidate, similarity in expansions:
            if similarity >= STRONG:
                matched.add(candidate)
        if len(expansions) == 1:  # the usual case, kept tight: one known word, its postings added in place
            candidate, similarity = expansions[0]
            closeness = similarity * similarity
            for position, weight in index.impact[candidate]:
                scores[position] = add(position, 0.0) + closeness * weight
            continue
        best: dict[int, float] = {}
        for candidate, similarity in expansions:
            closeness = similarity * similarity  # a near spelling counts for less than the word itself
            for position, weight in index.impact[candidate]:
                value = closeness * weight
                if value > best.get(position, 0.0):
                    best[position] = value
        for position, value in best.items():
            scores[position] = add(position, 0.0) + value
    resources = directory.resources
    if not query_words and wanted:
        scores = {
            p: 1.0 + 0.2 * (r.categories[0] in wanted) for p, r in enumerate(resources) if wanted & set(r.categories)
        }
    elif wanted:
        scores = {p: s for p, s in scores.items() if wanted & set(resources[p].categories)}
    ranked = heapq.nlargest(max(CANDIDATES, offset + limit), scores.items(), key=itemgetter(1))
    hits = []
    for position, score in ranked:
        resource = resources[position]
        if len(matched) > 1:
            score += max((bonus for phrase, bonus in index.phrases[position] if phrase <= matched), default=0.0)
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
