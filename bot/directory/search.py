"""Search over the resource directory: pure, per language, forgiving of typos and whole sentences, honest when
nothing fits.

The index is built once per directory (`prepare`), one per language: the person's language plus English, never
another (so French "coucher" is not English "couch", nor "manager" French "manger"). Text is split into Unicode
words of any script, each reduced to its lemma (simplemma: "obligan" -> obligar, "dors" -> dormir, "nagugutom"
-> gutom) and, for en/fr/es, a Snowball stem; stop words per language are dropped. Names, keywords, category
words and summaries point at the services they describe, weighted by where they came from and how rare they
are; a word that is only part of a phrase counts for less until the whole phrase is written. Staff teach
everyday words in resources/search.yaml (synonyms: "paycheque" -> wages). A query word finds its exact lemma,
its stem, and, only when it is not a word of its language, near spellings (rapidfuzz). A service's score is
the sum over query words of its best match, plus phrase and name bonuses; below MIN_SCORE nothing is returned,
so the caller can say honestly that nothing close was found and offer 211 and a person.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import simplemma
import snowballstemmer
from rapidfuzz import fuzz, process

from bot.directory.hours import is_open
from bot.directory.lexicon import LANGUAGES
from bot.directory.resources import Directory, Resource

MIN_SCORE = 0.5  # one strong word (a keyword or a name) clears it; a stray summary word does not
NAME_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
CATEGORY_WEIGHT = (0.85, 0.65)  # the first (main) category, then the others
SUMMARY_WEIGHT = 0.4
PART_OF_PHRASE = 0.45  # a word met only inside a phrase ("plan" of "safety plan") counts this much alone
PHRASE_BONUS = 0.35  # every word of a keyword phrase ("kept my passport") was written
NAME_BONUS = 0.5  # every word of the service's name was written
STEM_SIMILARITY = 0.9  # the same stem, another form ("abusada", "abusar")
SYNONYM_SIMILARITY = 0.95  # a word staff taught search to read as another ("paycheque" -> wages)
OPEN_NOW_BOOST = 1.12
FILTER_BOOST = 1.3
STRONG = 0.85  # a word this close to an indexed one may carry a result on its own
CANDIDATES = 60  # re-ranking by hours and fit looks only at this many best text matches
# Per word, only its heaviest postings are read: a word shared by thousands of services (a category word)
# gives them all the same weight, so reading more would change ties, not what comes first.
POSTINGS_READ = 400


def _marks() -> str:
    """Every combining mark below U+10000 as a regex class body (Devanagari vowel signs, Arabic harakat...)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# letters and digits of every script, with the marks that belong to them ("नमस्ते" is one word)
_TOKEN = re.compile(rf"[^\W_](?:[^\W_]|[{_marks()}])*")
# In another language's index, English words are kept apart under this mark, so a spelling both languages use
# ("pain": French bread, English hurt) finds only the person's meaning when their language has the word.
EN_MARK = "~"
_STEMMERS = {"en": "english", "fr": "french", "es": "spanish"}  # Snowball has no Tagalog; its lemmas suffice
# Tagalog verb affixes, tried only when simplemma does not know a form ("pinapasweldo" -> sweldo)
_TL_PREFIXES = (
    "ipinag",
    "pinapa",
    "nakaka",
    "pinag",
    "nagpa",
    "magpa",
    "naka",
    "maka",
    "pina",
    "nag",
    "mag",
    "na",
    "ma",
    "pa",
    "ka",
    "i",
)
_TL_SUFFIXES = ("han", "hin", "an", "in")


def fold(text: str) -> str:
    """Lowercase, without the accents of Latin letters ('Hébergement' -> 'hebergement'); other scripts' marks
    (Devanagari vowel signs, Arabic harakat) are part of their words and stay."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text.casefold()):
        if unicodedata.combining(ch) and out and out[-1] < "\u0250":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def words(text: str) -> list[str]:
    """Folded words of any script: 'Hébergement, ce soir!' -> ['hebergement', 'ce', 'soir']; 'пицца' stays."""
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True, slots=True)
class Word:
    """One written word, analysed in one language: its folded form, lemma and stem."""

    surface: str
    lemma: str
    stem: str


@lru_cache(maxsize=1 << 16)
def analyse(token: str, lang: str) -> Word:
    """A casefolded token (accents kept, so the lemmatizer can read them) in `lang`."""
    surface = fold(token)
    try:
        lemma = fold(simplemma.lemmatize(token, lang=lang))
    except ValueError:  # a language simplemma does not ship
        lemma = surface
    name = _STEMMERS.get(lang)
    stem = _stemmer(name).stemWord(lemma) if name else lemma
    return Word(surface, lemma, stem)


@lru_cache(maxsize=4)
def _stemmer(name: str) -> Any:
    return snowballstemmer.stemmer(name)


@lru_cache(maxsize=1 << 16)
def _known(token: str, lang: str) -> bool:
    """Whether a word is in the language's dictionary (then it is taken as meant, never as a typo)."""
    try:
        return bool(simplemma.is_known(token, lang=lang))
    except ValueError:
        return False


def _tagalog_roots(word: str) -> tuple[str, ...]:
    """Plausible roots of a Tagalog form the dictionary lacks: affixes and a doubled first syllable removed."""
    roots: list[str] = []
    for prefix in _TL_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            roots.append(word[len(prefix) :])
    for base in (word, *roots):
        if len(base) >= 6 and base[:2] == base[2:4]:
            roots.append(base[2:])  # reduplication: "papasweldo" -> "pasweldo"
        if len(base) >= 6 and base[1:3] in ("in", "um"):
            roots.append(base[0] + base[3:])  # infix: "sinaktan" -> "saktan"
    for base in tuple(roots) or (word,):
        for suffix in _TL_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= 4:
                roots.append(base[: -len(suffix)])
    return tuple(dict.fromkeys(r for r in roots if r != word))


@dataclass(frozen=True)
class Analyser:
    """How one language reads text: its stop words (folded forms and lemmas) and, for queries, English too."""

    lang: str
    stop: frozenset[str]

    def seq(self, text: str, lang: str | None = None) -> list[Word]:
        """Every word of `text` analysed in `lang` (default: this language), stop words included."""
        return [analyse(t, lang or self.lang) for t in _TOKEN.findall(text.casefold())]

    def is_stop(self, word: Word) -> bool:
        return word.surface in self.stop or word.lemma in self.stop or len(word.surface) < 2

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        """The lemmas that count: stop words and single letters left out."""
        return [w.lemma for w in self.seq(text, lang) if not self.is_stop(w)]


@dataclass(frozen=True)
class LangIndex:
    """One language's index (that language's words plus English): lemmas -> {resource position: weight}."""

    lang: str
    postings: dict[str, dict[int, float]]
    impact: dict[str, tuple[tuple[int, float], ...]]  # the same, heaviest first, at most POSTINGS_READ long
    stems: dict[str, tuple[str, ...]]  # stem -> the indexed lemmas that share it
    forms: dict[str, str]  # written forms of indexed words -> their lemma
    pools: dict[tuple[int, str, int], list[str]]  # forms by (0, first letter, length) and (1, second letter, length)
    phrases: tuple[tuple[tuple[frozenset[str], float], ...], ...]  # per resource: its own phrases and bonus
    category_phrases: dict[str, tuple[tuple[frozenset[str], float], ...]]  # shared by a category's services
    synonyms: dict[tuple[str, ...], tuple[str, ...]]  # written lemmas -> meant lemmas
    synonym_starts: frozenset[str]
    analyser: Analyser
    english: Analyser
    names: tuple[frozenset[str], ...]  # per resource: the keys of its name's words
    mark: str  # "" in the English index, EN_MARK in the others

    def english_key(self, lemma: str) -> str:
        """Where an English word is kept in this index."""
        return self.mark + lemma


@dataclass(frozen=True)
class Index:
    """The per-language indexes, built once, read by every query."""

    langs: dict[str, LangIndex]
    names: tuple[frozenset[str], ...]  # per resource: the lemmas of its name

    @property
    def postings(self) -> dict[str, dict[int, float]]:
        """The English index's postings (the bench reports its size)."""
        return self.langs["en"].postings


def _analysers(directory: Directory) -> dict[str, Analyser]:
    out = {}
    for lang in LANGUAGES:
        stop: set[str] = set()
        for word in directory.lexicon.stopwords(lang):
            for token in _TOKEN.findall(word.casefold()):
                w = analyse(token, lang)
                stop.update((w.surface, fold(token)))
        out[lang] = Analyser(lang, frozenset(stop))
    return out


def prepare(directory: Directory) -> Index:
    """Build (once) and return the directory's search indexes."""
    cached = directory.cache.get("index")
    if isinstance(cached, Index):
        return cached
    analysers = _analysers(directory)
    english = analysers["en"]
    names = tuple(frozenset(english.terms(r.name)) for r in directory.resources)
    langs = {lang: _build(directory, analysers[lang], english, names) for lang in LANGUAGES}
    index = Index(langs, names)  # names: English lemmas, as the English index keeps them
    directory.cache["index"] = index
    directory.cache["expand"] = lru_cache(maxsize=8192)(lambda lang, token: _expand(index.langs[lang], token))
    return index


def _build(directory: Directory, own: Analyser, english: Analyser, names: tuple[frozenset[str], ...]) -> LangIndex:
    lang = own.lang
    read_in = ("en",) if lang == "en" else ("en", lang)
    mark = "" if lang == "en" else EN_MARK

    def key(lemma: str, text_lang: str) -> str:
        return mark + lemma if text_lang == "en" else lemma

    raw: dict[str, dict[int, float]] = defaultdict(dict)
    forms: dict[str, str] = {}  # every written form (and lemma) of an indexed word -> its lemma, for typos
    tagalog: set[str] = set()
    phrases: list[tuple[tuple[frozenset[str], float], ...]] = []

    def analyser(text_lang: str) -> Analyser:
        return english if text_lang == "en" else own

    def entries(texts: Iterable[tuple[str, str]]) -> list[tuple[tuple[str, ...], frozenset[str]]]:
        """(counted lemmas, all lemmas) of each text, read in its own language."""
        out = []
        for text_lang, text in texts:
            a = analyser(text_lang)
            seq = a.seq(text, text_lang)
            for w in seq:
                if not a.is_stop(w):
                    k = key(w.lemma, text_lang)
                    for form in (w.surface, w.lemma):
                        if text_lang == lang:  # the person's own language wins a spelling both share
                            forms[form] = k
                        else:
                            forms.setdefault(form, k)
                    if text_lang == "tl":
                        tagalog.add(k)
            out.append(
                (
                    tuple(key(w.lemma, text_lang) for w in seq if not a.is_stop(w)),
                    frozenset(key(w.lemma, text_lang) for w in seq),
                )
            )
        return out

    category_entries = {
        category: entries(
            (text_lang, text)
            for text_lang, ws in directory.lexicon.words_for(category)
            if text_lang in read_in
            for text in ws
        )
        for category in {c for r in directory.resources for c in r.categories}
    }

    category_terms: dict[str, tuple[tuple[str, float], ...]] = {}  # each category's words, split once
    for category, found in category_entries.items():
        shares: dict[str, float] = {}
        for counted, every in found:
            share = PART_OF_PHRASE if _is_phrase(counted, every) else 1.0
            for term in counted:
                shares[term] = max(shares.get(term, 0.0), share)
        category_terms[category] = tuple(shares.items())

    def add(terms: Iterable[str], position: int, weight: float) -> None:
        for term in terms:
            if raw[term].get(position, 0.0) < weight:
                raw[term][position] = weight

    def add_entries(
        found: list[tuple[tuple[str, ...], frozenset[str]]],
        position: int,
        weight: float,
        own_phrases: list[tuple[frozenset[str], float]],
    ) -> None:
        for counted, every in found:
            if _is_phrase(counted, every):
                add(counted, position, weight * PART_OF_PHRASE)
                # written whole, a phrase of one telling word ("a la rue") is worth that word alone, at least
                bonus = PHRASE_BONUS * min(len(counted), 3) / 2 if len(counted) > 1 else 1 - PART_OF_PHRASE
                own_phrases.append((every, weight * bonus))
            else:
                add(counted, position, weight)

    for position, resource in enumerate(directory.resources):
        own_phrases: list[tuple[frozenset[str], float]] = []
        for counted, _ in entries([("en", resource.name), ("en", resource.id.replace("-", " "))]):
            # one word of a longer name ("phone" of Kids Help Phone) says less than the whole name (NAME_BONUS)
            add(counted, position, NAME_WEIGHT * (PART_OF_PHRASE if len(counted) > 1 else 1.0))
        keywords = [(k_lang, k) for k_lang, ks in resource.keywords if k_lang in read_in for k in ks]
        add_entries(entries(keywords), position, KEYWORD_WEIGHT, own_phrases)
        for rank, category in enumerate(resource.categories):  # category phrases are kept once, per category
            weight = CATEGORY_WEIGHT[min(rank, 1)]
            for term, share in category_terms[category]:
                if raw[term].get(position, 0.0) < weight * share:
                    raw[term][position] = weight * share
        for s_lang, summary in resource.summary:
            if s_lang in read_in:
                add(entries([(s_lang, summary)])[0][0], position, SUMMARY_WEIGHT)
        best: dict[frozenset[str], float] = {}
        for phrase, bonus in own_phrases:
            best[phrase] = max(best.get(phrase, 0.0), bonus)
        phrases.append(tuple(best.items()))

    category_phrases: dict[str, tuple[tuple[frozenset[str], float], ...]] = {}
    for category, found in category_entries.items():
        shared: list[tuple[frozenset[str], float]] = []
        add_entries([f for f in found if _is_phrase(*f)], -1, 1.0, shared)
        category_phrases[category] = tuple(dict(shared).items())
    for term in list(raw):
        raw[term].pop(-1, None)
        if not raw[term]:
            del raw[term]
    total = max(len(directory.resources), 1)
    postings: dict[str, dict[int, float]] = {}
    for term, weights in raw.items():
        # Rare words say more: a word on every card ("calgary") counts about half as much as a unique one.
        rarity = 0.5 + 0.5 * math.log(1 + total / len(weights)) / math.log(1 + total)
        postings[term] = {position: weight * rarity for position, weight in weights.items()}
    stems: dict[str, list[str]] = defaultdict(list)
    pools: dict[tuple[int, str, int], list[str]] = defaultdict(list)
    for term in postings:
        if lang == "en" or term.startswith(mark):
            stems[mark + analyse(term[len(mark) :], "en").stem].append(term)
        elif lang != "tl":
            stems[analyse(term, lang).stem].append(term)
        if term in tagalog:
            for root in _tagalog_roots(term):
                stems[root].append(term)
    forms = {form: lemma for form, lemma in forms.items() if lemma in postings}
    for form in forms:
        if len(form) > 1:
            for place in (0, 1):
                pools[(place, form[place], len(form))].append(form)
    impact = {
        term: tuple(sorted(weights.items(), key=lambda item: -item[1])[:POSTINGS_READ])
        for term, weights in postings.items()
    }
    synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
    for syn_lang in read_in:
        a = analyser(syn_lang)
        for written, meant in directory.lexicon.synonyms_in(syn_lang):
            said = tuple(key(w.lemma, syn_lang) for w in a.seq(written, syn_lang))
            targets = tuple(k for m in meant for t in a.terms(m, syn_lang) if (k := key(t, syn_lang)) in postings)
            if said and targets:
                synonyms[said] = tuple(dict.fromkeys((*synonyms.get(said, ()), *targets)))
    return LangIndex(
        lang,
        postings,
        impact,
        {s: tuple(dict.fromkeys(t)) for s, t in stems.items()},
        forms,
        dict(pools),
        tuple(phrases),
        category_phrases,
        synonyms,
        frozenset(k[0] for k in synonyms),
        own,
        english,
        tuple(frozenset(mark + t for t in n) for n in names),
        mark,
    )


def _is_phrase(counted: tuple[str, ...], every: frozenset[str]) -> bool:
    """Several words, even if only one of them counts alone ("avec mon chien" is a phrase, not "chien")."""
    return len(counted) > 1 or (len(counted) == 1 and len(every) > 1)


def _cutoff(length: int) -> float:
    return 100.0 if length <= 3 else 74.0 if length <= 5 else 78.0


def _near(index: LangIndex, word: str) -> dict[str, float]:
    """Indexed lemmas spelled close to `word`, with a similarity in (0, 1)."""
    found: dict[str, float] = {}
    cutoff = _cutoff(len(word))
    if cutoff < 100:
        # Near spellings share the first or the second letter ("shleter", "vrugs"); comparing only with those
        # keeps a never-seen word cheap even with 20,000 indexed words.
        for length in range(len(word) - 2, len(word) + 3):
            for place in (0, 1):
                pool = index.pools.get((place, word[place], length))
                if pool:
                    for candidate, score, _ in process.extract(
                        word, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
                    ):
                        lemma = index.forms[candidate]
                        found[lemma] = max(found.get(lemma, 0.0), score / 100.0)
    # A long word written as the start of an indexed one ("traffick" -> "trafficking") counts too.
    if len(word) >= 5 and not found:
        for length in range(len(word) + 3, len(word) + 7):
            for candidate in index.pools.get((0, word[0], length), ()):
                if candidate.startswith(word):
                    found[index.forms[candidate]] = 0.85
    return found


def _expand(index: LangIndex, token: str) -> tuple[tuple[str, float], ...]:
    """The indexed lemmas a written (casefolded) word may mean, with a similarity in (0, 1]. The person's
    language is read first; English only when it finds nothing (so French "pain" stays bread once staff
    list it); near spellings only for a word neither language knows ("shleter", not "manager")."""
    readings = [analyse(token, index.lang)] + ([analyse(token, "en")] if index.lang != "en" else [])
    for word, mark, word_lang in zip(readings, ("", EN_MARK), (index.lang, "en"), strict=False):
        for form in (mark + word.lemma, mark + word.surface):
            if form in index.postings:
                # the word's family comes too: "obligan" is obligar, and "obligada" (obligado) shares its stem
                family = index.stems.get(mark + word.stem, ()) if word_lang != "tl" else ()
                return ((form, 1.0), *((t, STEM_SIMILARITY) for t in family if t != form))
    found: dict[str, float] = {}
    if index.lang == "tl":
        mine = readings[0]
        for root in dict.fromkeys((mine.lemma, *_tagalog_roots(mine.surface), *_tagalog_roots(mine.lemma))):
            if root in index.postings:
                found[root] = STEM_SIMILARITY
            for term in index.stems.get(root, ()):
                found.setdefault(term, STEM_SIMILARITY)
            if found:
                return tuple(found.items())
    for word, stem_lang in zip(readings, (index.lang, "en"), strict=False):
        stem = index.english_key(word.stem) if stem_lang == "en" else word.stem
        for term in index.stems.get(stem, ()) if stem_lang != "tl" else ():
            found[term] = STEM_SIMILARITY
    if found:
        return tuple(found.items())
    if any(_known(token, lang) for lang in dict.fromkeys((index.lang, "en"))) or not token.isalpha():
        return ()
    surface = readings[0].surface
    return tuple(_near(index, surface).items()) if len(surface) > 3 else ()


def _query_words(index: LangIndex, query: str) -> tuple[list[str], set[str]]:
    """The written words that count (casefolded, stop words out) and every lemma written (for phrases).
    In another language than English, an English stop word ("i", "need") is dropped too, unless the
    person's language indexes it."""
    own, english = index.analyser, index.english
    counted: list[str] = []
    present: set[str] = set()
    for token in _TOKEN.findall(query.casefold()):
        mine = analyse(token, index.lang)
        present.update((mine.lemma, mine.surface))
        if own.is_stop(mine):
            continue
        if index.lang != "en":
            theirs = analyse(token, "en")
            present.update((EN_MARK + theirs.lemma, EN_MARK + theirs.surface))
            if english.is_stop(theirs) and mine.lemma not in index.postings and mine.surface not in index.postings:
                continue
        counted.append(token)
    return list(dict.fromkeys(counted)), present


def _synonyms(index: LangIndex, query: str) -> list[str]:
    """The words staff taught search to read for what was written ("chamba" -> trabajo), as lemmas."""
    if not index.synonyms:
        return []
    readings = [[w.lemma for w in index.analyser.seq(query)]]
    if index.lang != "en":
        readings.append([EN_MARK + w.lemma for w in index.english.seq(query, "en")])
    out: list[str] = []
    for lemmas in readings:
        for start, lemma in enumerate(lemmas):
            if lemma not in index.synonym_starts:
                continue
            for key, targets in index.synonyms.items():
                if key[0] == lemma and tuple(lemmas[start : start + len(key)]) == key:
                    out.extend(targets)
    return list(dict.fromkeys(out))


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

    `lang` is the person's language: their words are read in it and in English. `categories` narrow the
    results to those categories (with no words, they list the categories' services); `filters`
    (bot.core.vocabulary.FILTERS) re-rank: fitting services first, others still shown. `now` (aware, or naive
    in the bot's time zone) decides "open now"; without it hours play no part.
    """
    index = prepare(directory)
    own = index.langs.get(lang) or index.langs["en"]
    expand: Callable[[str, str], tuple[tuple[str, float], ...]] = directory.cache["expand"]
    query_words, present = _query_words(own, query)
    expansions = [expand(own.lang, token) for token in query_words]
    expansions += [((term, SYNONYM_SIMILARITY),) for term in _synonyms(own, query)]
    wanted = set(categories)
    scores: dict[int, float] = {}
    matched: set[str] = set()
    add = scores.get
    impact = own.impact
    for found in expansions:
        for candidate, similarity in found:
            if similarity >= STRONG:
                matched.add(candidate)
        if len(found) == 1:  # the usual case, kept tight: one known word, its postings added in place
            candidate, similarity = found[0]
            closeness = similarity
            for position, weight in impact[candidate]:
                scores[position] = add(position, 0.0) + closeness * weight
            continue
        best: dict[int, float] = {}
        for candidate, similarity in found:
            closeness = similarity  # a near spelling counts for less than the word itself
            for position, weight in impact[candidate]:
                value = closeness * weight
                if value > best.get(position, 0.0):
                    best[position] = value
        for position, value in best.items():
            scores[position] = add(position, 0.0) + value
    resources = directory.resources
    worded = any(expansions)
    if not query_words and wanted:
        scores = {
            p: 1.0 + 0.2 * (r.categories[0] in wanted) for p, r in enumerate(resources) if wanted & set(r.categories)
        }
    elif wanted:
        scores = {p: s for p, s in scores.items() if wanted & set(resources[p].categories)}
    ranked = heapq.nlargest(max(CANDIDATES, offset + limit), scores.items(), key=itemgetter(1))
    written = present | matched
    category_bonus: dict[str, float] = {}  # the best phrase bonus of each category, worked out once per query
    hits = []
    for position, score in ranked:
        resource = resources[position]
        if worded:
            bonus = max((b for phrase, b in own.phrases[position] if phrase <= written), default=0.0)
            for rank, category in enumerate(resource.categories):
                if category not in category_bonus:
                    category_bonus[category] = max(
                        (b for phrase, b in own.category_phrases.get(category, ()) if phrase <= written), default=0.0
                    )
                bonus = max(bonus, category_bonus[category] * CATEGORY_WEIGHT[min(rank, 1)])
            score += bonus
        if own.names[position] and own.names[position] <= matched:
            score += NAME_BONUS  # the person wrote the service's name
        if score < min_score or not ((wanted and not query_words) or _has_strong(own, position, matched)):
            continue
        open_now = is_open(resource, now) if now is not None else None
        hits.append(Hit(resource, round(score * _fit(resource, filters, open_now, lang), 4), open_now))
    hits.sort(key=lambda h: (-h.score, h.resource.name))
    return hits[offset : offset + limit]


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the resource, its score, and whether it is open at the time asked (None: unknown)."""

    resource: Resource
    score: float
    open_now: bool | None = None


def _has_strong(index: LangIndex, position: int, matched: set[str]) -> bool:
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


def word_match(text: str, phrase: str, lang: str = "en") -> float:
    """How well `phrase` is written in `text` as whole words, in order: 0 when it is not ("horas extras" does
    not contain "trans", "je dors dans mon auto" not "autochtone"); 100 plus its number of words when it is,
    so a longer phrase wins over a shorter one. For a door word of five letters or more, another form counts
    ("dors" is "dormir" in French) and so does one typo."""
    said = [(w, analyse(t, lang).lemma) for t in _TOKEN.findall(text.casefold()) for w in (fold(t),)]
    wanted = [(w, analyse(t, lang).lemma) for t in _TOKEN.findall(phrase.casefold()) for w in (fold(t),)]
    if not wanted or len(wanted) > len(said):
        return 0.0
    for start in range(len(said) - len(wanted) + 1):
        if all(_same_word(said[start + i], w) for i, w in enumerate(wanted)):
            return 100.0 + len(wanted)
    return 0.0


def _same_word(written: tuple[str, str], meant: tuple[str, str]) -> bool:
    (form, lemma), (meant_form, meant_lemma) = written, meant
    if form == meant_form:
        return True
    # a short door word ("ako") is taken only as written: its other forms and near spellings are other words
    return len(meant_form) >= 5 and (lemma == meant_lemma or fuzz.ratio(form, meant_form) >= 85)


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
