"""Crisis heard however it is typed: suicide and self-harm, and immediate danger, in every language at once.

Pure. Staff keep the phrases in flows/danger-words.yaml (bot/conversation/dangerwords.py reads and checks it, and
`build` indexes it once). For each language, a message's shorthand is spelled out ("gonna" -> "going to") and a
number of MANY or more becomes "0"; each word is known by its form, its lemma (simplemma, offline: "pills" ->
"pill"), its Snowball stem (en, fr, es) or its Tagalog root (bot/conversation/tagalog.py: "papatayin" ->
"patay"), and a word no dictionary knows is matched to the phrases' words with one or two typos forgiven
("sucide"). A phrase is heard when its words come in order (one extra word allowed between them in phrases of
three or more words); a net (a small grammar: "someone" + "will" + "kill me") when one phrase of each of its parts
follows the one before within a few words.
A calm phrase ("is killing me", "me muero de hambre") silences a crisis phrase it covers, so idioms do not alarm;
a joke marker anywhere in the message ("lol", "if im late") silences threats from someone else ("my boss is gonna
kill me lol"), never suicide, self-harm, weapons or being locked in ("lol i want to die" alarms).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

import simplemma
import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.conversation.learned import NOTHING, Learned
from bot.conversation.tagalog import affixed, roots
from bot.core.text import fold

Kind = Literal["suicide", "danger"]
CRISIS = ("suicide", "suicide_now", "danger", "threat")  # lists that raise the alarm ("threat" as danger)
# "alone": suicide when it is the whole message ("ayoko na"); "now" marks a suicide phrase as happening now;
# "calm" silences what it covers; "joke" silences threats
LISTS = (*CRISIS, "alone", "now", "calm", "joke")
LEMMA_LANGUAGES = frozenset(("en", "fr", "es", "tl"))  # what simplemma ships; other languages match word forms
# Snowball stems catch what a dictionary lemma misses ("frappe" is a noun to simplemma, a verb here)
STEMMERS = {"en": "english", "fr": "french", "es": "spanish"}
# a shorter stem joins unrelated words ("tu" of "tuer"; "mat" of "matarme" and "matando")
MIN_STEM = {"en": 3, "fr": 4, "es": 4, "tl": 4}
FUZZY_FROM = 4  # a phrase word this long forgives one typo in a word no dictionary knows...
FUZZY_TWO_FROM = 8  # ...and two from this long
CACHE = 50_000  # words remembered per language (their ids), then forgotten at once
WINDOW = 3  # words allowed between two parts of a net, unless it says `within`
NUMBER = "0"  # a number from MANY up, in messages and phrases alike: "took 30 pills" hears "took 12 pills"...
MANY = 5  # ...while a dose stays as typed ("took 2 advil")
_WORD = re.compile(r"\w+", re.UNICODE)


def split_words(text: str) -> list[str]:
    """Lower-case words with their accents kept (the lemmatizers need them); apostrophes joined ("j'ai" -> "jai",
    as people who skip them type it)."""
    return _WORD.findall(text.casefold().replace("'", "").replace("’", ""))


@lru_cache(maxsize=65536)
def _lemma(word: str, lang: str) -> str:
    """The word's base form in `lang` (simplemma, offline), accents off; the word itself when none is known."""
    return fold(simplemma.lemmatize(word, lang=lang)) if lang in LEMMA_LANGUAGES else fold(word)


@lru_cache(maxsize=65536)
def _lemmas(word: str, lang: str) -> frozenset[str]:
    """The base forms a typed word may have: from it as typed, and without its accents (people skip them)."""
    return frozenset((_lemma(word, lang), _lemma(fold(word), lang)))


ACCENTS = {
    "fr": {"a": "àâ", "i": "î", "o": "ô", "u": "ûù", "c": "ç"},  # and every e may be é, è or ê
    "es": {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"},
}
MAX_E = 5  # French words with more unaccented e's than this are tried with their other letters only


@lru_cache(maxsize=65536)
def _restored(word: str, lang: str) -> tuple[str, ...]:
    """The spellings with accents that a word typed without them has in `lang`'s dictionary ("enervee" ->
    "énervée"): in French every e may be é, è or ê, or one other letter take its accent; in Spanish one letter."""
    marks = ACCENTS.get(lang)
    if marks is None or not word.isalpha() or word != fold(word) or simplemma.is_known(word, lang=lang):
        return ()
    spellings = {word[:i] + m + word[i + 1 :] for i, c in enumerate(word) for m in marks.get(c, "")}
    if lang == "fr" and 0 < word.count("e") <= MAX_E:
        combos = {""}
        for c in word:
            combos = {w + m for w in combos for m in ("eéèê" if c == "e" else c)}
        spellings |= combos
    return tuple(sorted(w for w in spellings if w != word and simplemma.is_known(w, lang=lang)))


@lru_cache(maxsize=65536)
def _stems(word: str, lang: str) -> frozenset[str]:
    """The word's Snowball stems in `lang` (its roots in Tagalog), as typed and without accents; none when too
    short to tell apart."""
    if lang == "tl":
        return frozenset(r for r in roots(fold(word)) if len(r) >= MIN_STEM[lang])
    name = STEMMERS.get(lang)
    if name is None:
        return frozenset()
    stemmer = _stemmer(name)
    found = {fold(stemmer.stemWord(w)) for w in (word, fold(word))}
    return frozenset(stem for stem in found if len(stem) >= MIN_STEM[lang])


@lru_cache(maxsize=8)
def _stemmer(name: str) -> Any:
    return snowballstemmer.stemmer(name)


@lru_cache(maxsize=65536)
def _known_in(word: str, lang: str) -> bool:
    return lang in LEMMA_LANGUAGES and bool(simplemma.is_known(word, lang=lang))


@lru_cache(maxsize=65536)
def _known(word: str) -> bool:
    """True when a dictionary knows the word in any language we lemmatize, as typed, with the accents it was typed
    without ("enervee"), or as a form the lemmatizer reads ("contarme", tell me): a real word is never a typo."""
    return any(
        simplemma.is_known(word, lang=lang) or _restored(word, lang) or _read_as(word, lang) for lang in LEMMA_LANGUAGES
    )


def _read_as(word: str, lang: str) -> bool:
    """True when the lemmatizer reads the word as a form of a word its dictionary has ("contarme" -> "contar")."""
    lemma = simplemma.lemmatize(word, lang=lang)
    return lemma != word and bool(simplemma.is_known(lemma, lang=lang))


@dataclass(frozen=True, slots=True)
class Heard:
    """What a message was heard as: the kind, whether the words say it is happening now, and the phrase
    (as staff wrote it) that was heard. Never logged with the person's text."""

    kind: Kind
    now: bool
    phrase: str  # for the learned model (`learned`), the example it is nearest to
    lang: str
    learned: bool = False  # heard by the model of flows/crisis-examples.yaml, no phrase or net covering it


@dataclass(frozen=True, slots=True)
class Combo:
    """A net staff cast in one language, a small grammar: a phrase of each part in turn, each within `within`
    words of the one before ("he" ... "is going to" ... "hurt my kids"), is heard as `kind`."""

    kind: str
    lang: str
    parts: tuple[tuple[str, ...], ...]
    within: int = WINDOW
    name: str = ""  # what it hears, for people reading the file


@dataclass(frozen=True, slots=True)
class _Pattern:
    group: str  # one of LISTS, or a net's part ("2:0", "2:1": net 2, its first and second part)
    phrase: str
    tokens: tuple[int, ...]  # ids of the phrase's words in the language's vocabulary
    gap: int  # words allowed between two of its words


@dataclass(eq=False, slots=True)
class _Index:
    """One language's phrases, indexed for matching: word forms -> word ids, patterns by their first word."""

    lang: str
    shorthand: Mapping[str, tuple[str, ...]]
    surface: dict[str, set[int]] = field(default_factory=dict)  # a phrase word as written -> its ids
    base: dict[str, set[int]] = field(default_factory=dict)  # a phrase word written in its base form -> ids
    stems: dict[str, set[int]] = field(default_factory=dict)  # the stem of such a base form -> ids
    fuzzy: list[str] = field(default_factory=list)
    first: dict[int, list[_Pattern]] = field(default_factory=dict)
    signatures: dict[tuple[str, bool], int] = field(default_factory=dict)
    seen: dict[str, frozenset[int]] = field(default_factory=dict)  # word -> ids, as messages come

    def spelled(self, text: str) -> list[str]:
        out: list[str] = []
        for word in split_words(text):
            many = word.isdecimal() and (len(word) > 1 or int(word) >= MANY)
            out += (NUMBER,) if many else self.shorthand.get(fold(word), (word,))
        return out

    def add(self, group: str, phrase: str) -> None:
        """Index a phrase: a word written in its base form ("matar", "pill") hears every form of it (by its lemma
        or its stem); a word written in another form ("quiero", "pills") hears that form only, so "me voy a
        matar" (I) and "me va a matar" (he) stay apart."""
        ids = []
        for word in self.spelled(phrase):
            plain = fold(word)
            # a base form the dictionary knows; "matarme", "lastimarme" (a pronoun joined on) stay as written
            base = _lemma(word, self.lang) == plain and _known_in(word, self.lang)
            ids.append(self.signatures.setdefault((plain, base), len(self.signatures)))
            self.surface.setdefault(plain, set()).add(ids[-1])
            if base or self.lang == "tl":  # a Tagalog verb's person is its own word: every form is the same act
                self.base.setdefault(plain, set()).add(ids[-1])
                for stem in _stems(word, self.lang):
                    self.stems.setdefault(stem, set()).add(ids[-1])
        if ids:
            gap = 1 if group in CRISIS and len(ids) >= 3 else 0
            self.first.setdefault(ids[0], []).append(_Pattern(group, phrase, tuple(ids), gap))

    def finish(self) -> None:
        self.fuzzy = sorted(k for k in self.surface if len(k) >= FUZZY_FROM)

    def ids(self, word: str) -> frozenset[int]:
        found = self.seen.get(word)
        if found is None:
            if len(self.seen) > CACHE:
                self.seen.clear()
            found = self.seen[word] = self._lookup(word)
        return found

    def _lookup(self, word: str) -> frozenset[int]:
        plain = fold(word)
        found = set(self.surface.get(plain, set()))
        for key in _lemmas(word, self.lang):
            found |= self.base.get(key, set())
        if self.lang != "tl" or affixed(plain):  # "patay" (dead) as typed is not "papatayin" (will kill)
            for stem in _stems(word, self.lang):
                found |= self.stems.get(stem, set())
        if found or len(plain) < FUZZY_FROM or not plain.isalpha() or _known(word):  # a real word is no typo
            return frozenset(found)
        for key, distance, _ in process.extract(plain, self.fuzzy, scorer=OSA.distance, score_cutoff=2, limit=None):
            if key[0] == plain[0] and distance <= (2 if len(key) >= FUZZY_TWO_FROM else 1):
                found |= self.surface[key]
        return frozenset(found)

    def matches(self, text: str) -> tuple[list[tuple[_Pattern, int, int]], int]:
        """Every (pattern, first word, last word) heard in `text`, and the number of words."""
        sets = [self.ids(w) for w in self.spelled(text)]
        found = []
        for start, here in enumerate(sets):
            for token in here:
                for pattern in self.first.get(token, ()):
                    end = _match_from(pattern, sets, start)
                    if end is not None:
                        found.append((pattern, start, end))
        return found, len(sets)


def _match_from(pattern: _Pattern, sets: list[frozenset[int]], start: int, word: int = 1) -> int | None:
    """The last word of `pattern` heard from word `start` on (its words in order, gaps as allowed), or None."""
    if word == len(pattern.tokens):
        return start
    for step in range(start + 1, min(start + 2 + pattern.gap, len(sets))):
        if pattern.tokens[word] in sets[step]:
            end = _match_from(pattern, sets, step, word + 1)
            if end is not None:
                return end
    return None


@dataclass(frozen=True, slots=True)
class DangerWords:
    """flows/danger-words.yaml as loaded: the phrases per list and language, and the index built from them."""

    phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: MappingProxyType({}))
    shorthand: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: MappingProxyType({}))
    combos: tuple[Combo, ...] = ()
    indexes: tuple[_Index, ...] = field(default=(), compare=False, repr=False)
    learned: Learned = field(default=NOTHING, compare=False, repr=False)  # asked when no phrase or net is heard

    def hear(self, text: str) -> Heard | None:
        """What `text` means, in any of the languages, or None when it raises no alarm: the phrases and nets
        first, then the model learned from flows/crisis-examples.yaml."""
        heard = self.hear_phrases(text)
        if heard is not None:
            return heard
        guess = self.learned.guess(text)
        return None if guess is None else Heard(guess.kind, guess.now, guess.nearest, guess.lang, learned=True)

    def of(self, group: str, lang: str) -> tuple[str, ...]:
        """The phrases staff wrote for one list ("suicide", "danger", "calm", ...) in `lang`."""
        return self.phrases.get(group, {}).get(lang, ())

    def phrases_kind(self, text: str) -> str | None:
        """The kind the phrases and nets hear in `text` ("suicide", "danger"), or None."""
        heard = self.hear_phrases(text)
        return None if heard is None else heard.kind

    def hear_phrases(self, text: str) -> Heard | None:
        """What the phrases and nets hear in `text`, in any of the languages, or None."""
        best: dict[str, tuple[str, str]] = {}
        joking = False
        for index in self.indexes:
            found, count = index.matches(text)
            calm = [(a, b) for p, a, b in found if p.group == "calm"] + _calm_spans(self.combos, index.lang, found)
            heard: dict[str, list[tuple[str, int, int]]] = {}  # list or net part -> (phrase, first, last word)
            for pattern, start, end in found:
                if pattern.group == "joke":
                    joking = True
                elif pattern.group != "calm" and not any(a <= start and end <= b for a, b in calm):
                    heard.setdefault(pattern.group, []).append((pattern.phrase, start, end))
            for group in (*CRISIS, "now"):
                if group in heard:
                    best.setdefault(group, (heard[group][0][0], index.lang))
            whole = [phrase for phrase, start, end in heard.get("alone", ()) if (start, end) == (0, count - 1)]
            if whole:
                best.setdefault("suicide", (whole[0], index.lang))
            for n, net in enumerate(self.combos):
                if net.lang == index.lang and net.kind != "calm" and net.kind not in best:
                    said = _net_heard(net, n, heard)
                    if said is not None:
                        best[net.kind] = (said, index.lang)
        if joking:
            best.pop("threat", None)  # "my boss is gonna kill me if im late lol"
        suicide = best.get("suicide_now") or best.get("suicide")
        if suicide is not None:
            now = "suicide_now" in best or "now" in best or "danger" in best or "threat" in best
            return Heard("suicide", now, *suicide)
        danger = best.get("danger") or best.get("threat")
        if danger is not None:
            return Heard("danger", True, *danger)
        return None


def _net_reach(
    net: Combo, n: int, heard: Mapping[str, list[tuple[str, int, int]]]
) -> dict[int, tuple[int, tuple[str, ...]]]:
    """Where net `n` ends -> (where it begins, the phrases that heard it): one phrase of each part, in order,
    each beginning within `net.within` words after the one before it ends. Empty when it is not heard."""
    reach: dict[int, tuple[int, tuple[str, ...]]] = {}
    for part in range(len(net.parts)):
        hits = heard.get(f"{n}:{part}", [])
        after: dict[int, tuple[int, tuple[str, ...]]] = {}
        for phrase, start, end in hits:
            for before, (first, said) in reach.items() if part else [(start - 1, (start, ()))]:
                if 0 <= start - before - 1 <= net.within and (end not in after or first < after[end][0]):
                    after[end] = (first, (*said, phrase))  # the widest reach, for a calm net's span
        reach = after
        if not reach:
            return {}
    return reach


def _net_heard(net: Combo, n: int, heard: Mapping[str, list[tuple[str, int, int]]]) -> str | None:
    """The phrases that heard net `n` ("he ... is going to ... kill me"), joined, or None."""
    reach = _net_reach(net, n, heard)
    return " ... ".join(next(iter(reach.values()))[1]) if reach else None


EMPTY = DangerWords()


def _calm_spans(combos: tuple[Combo, ...], lang: str, found: list[tuple[_Pattern, int, int]]) -> list[tuple[int, int]]:
    """The words covered by calm nets of `lang` ("my friend ... overdosed ... last year"): like a calm phrase,
    a calm net silences the crisis phrases inside it, never one that reaches past it."""
    heard: dict[str, list[tuple[str, int, int]]] = {}
    for pattern, start, end in found:
        heard.setdefault(pattern.group, []).append((pattern.phrase, start, end))
    return [
        (first, end)
        for n, net in enumerate(combos)
        if net.kind == "calm" and net.lang == lang
        for end, (first, _said) in _net_reach(net, n, heard).items()
    ]


def build(
    phrases: Mapping[str, Mapping[str, tuple[str, ...]]],
    shorthand: Mapping[str, Mapping[str, tuple[str, ...]]],
    combos: tuple[Combo, ...] = (),
) -> DangerWords:
    """Index the phrases once, at load: every language's phrases are listened for whatever the chat's language."""
    langs = sorted({lang for by_lang in phrases.values() for lang in by_lang} | {c.lang for c in combos})
    indexes = []
    for lang in langs:
        index = _Index(lang, MappingProxyType(dict(shorthand.get(lang, {}))))
        for group in LISTS:
            for phrase in phrases.get(group, {}).get(lang, ()):
                index.add(group, phrase)
        for n, net in enumerate(combos):
            if net.lang == lang:
                for part, items in enumerate(net.parts):
                    for phrase in items:
                        index.add(f"{n}:{part}", phrase)
        index.finish()
        indexes.append(index)
    return DangerWords(MappingProxyType(dict(phrases)), MappingProxyType(dict(shorthand)), combos, tuple(indexes))


def hear(words: DangerWords, text: str) -> Heard | None:
    """What `text` means: suicide or self-harm (happening now or not), immediate danger, or None."""
    return words.hear(text) if text.strip() else None


def is_danger(words: DangerWords, text: str) -> bool:
    """True when `text` says suicide, self-harm or immediate danger, in any language, typos and all."""
    return hear(words, text) is not None
