"""Tagalog word roots for the crisis words: the affixes of aspect and focus taken off, so every form of a verb
meets its phrase ("papatayin", "pinatay", "pumatay" -> "patay"; "sinasaktan", "sasaktan" -> "sakt";
"nagpakamatay", "magpapakamatay" -> "magpakamatay").

Pure, no data: Snowball has no Tagalog stemmer and simplemma knows only part of the forms people type ("kinulong"
is "kulo", boil, to it). One pass, in order, each step kept only when at least MIN_ROOT letters remain:

1. a prefix of aspect or focus: pinag-, ipag-, i-, ni- before l or y, "in-" before a vowel (tried with and
   without) go ("ininom" -> "inom"); nag-/mag-, na-/ma-, naka-/nakaka-/maka- stay, as mag-, ma-, maka- (a
   stative verb is another act: "nasaktan", got hurt, is not "saktan", to hurt): "nagpapakamatay" -> "mag" +
   "papakamatay";
2. without such a prefix, the infix -um- or -in- after the first consonant: "pumatay" -> "patay", "sinaktan" ->
   "saktan";
3. the repeated first syllable of the future and the ongoing: "papakamatay" -> "pakamatay", "sasaktan" -> "saktan";
4. a suffix -in/-an (-hin/-han, -nin/-nan): "patayin" -> "patay", "saktan" -> "sakt";
5. o and u, e and i written alike (they swap as suffixes come: "bugbog", "bugbugin").

Derivational affixes stay ("magpakamatay", to kill oneself, is not "mamatay", to die, nor "patay"), so
"namatay" (died) never meets "magpakamatay". A root is a key to match on, not a word to show.
"""

from __future__ import annotations

from functools import lru_cache

MIN_ROOT = 4  # letters a root keeps: a shorter one would join unrelated words
VOWELS = frozenset("aeiou")
# longest first: "nakaka" before "naka" before "na". The stative ones stay, as their infinitive ("nasaktan", got
# hurt, is "masaktan", not "saktan", to hurt someone); the others go.
PREFIXES = {
    "nakaka": "maka",
    "makaka": "maka",
    "ipinag": "",
    "pinag": "",
    "naka": "maka",
    "maka": "maka",
    "ipag": "",
    "nag": "mag",
    "mag": "mag",
    "na": "ma",
    "ma": "ma",
    "i": "",
}
SUFFIXES = ("hin", "han", "nin", "nan", "in", "an")


def _vowel(letter: str) -> bool:
    return letter in VOWELS


def _prefix(word: str, vowel_in: bool) -> tuple[str, str]:
    """(the prefix as kept, the rest)."""
    if vowel_in and word.startswith("in") and len(word) > 2 and _vowel(word[2]) and len(word) - 2 >= MIN_ROOT:
        return "", word[2:]  # "ininom" -> "inom"
    if word[:3] in ("nil", "niy") and len(word) - 2 >= MIN_ROOT:
        return "", word[2:]  # "nilunok" -> "lunok"
    for prefix, kept in PREFIXES.items():
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= MIN_ROOT and (prefix != "i" or not _vowel(rest[0])):
            return kept, rest
    return "", word


def _infix(word: str) -> str:
    if len(word) >= MIN_ROOT + 2 and not _vowel(word[0]) and word[1:3] in ("um", "in") and _vowel(word[3]):
        return word[0] + word[3:]
    if word.startswith("um") and len(word) >= MIN_ROOT + 2 and _vowel(word[2]):
        return word[2:]  # "uminom" -> "inom"
    return word


def _reduplication(word: str) -> str:
    if len(word) >= MIN_ROOT + 2 and not _vowel(word[0]) and _vowel(word[1]) and word[:2] == word[2:4]:
        return word[2:]
    if len(word) >= MIN_ROOT + 1 and _vowel(word[0]) and word[0] == word[1]:
        return word[1:]  # "iinom" -> "inom"
    return word


def _suffix(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT:
            return word[: -len(suffix)]
    return word


def _plain(word: str) -> str:
    return word.replace("o", "u").replace("e", "i")


@lru_cache(maxsize=65536)
def roots(word: str) -> frozenset[str]:
    """The word's possible roots, as matching keys: `word` is lower case without accents ("sinasaktan" ->
    {"sakt"}). Two when a leading "in" may be the infix of a vowel verb or part of the root ("ininom", "inumin")."""
    if not word.isalpha() or len(word) <= MIN_ROOT:
        return frozenset((_plain(word),))
    found = set()
    for vowel_in in (True, False):
        kept, rest = _prefix(word, vowel_in)
        found.add(_plain(kept + _suffix(_reduplication(rest if kept else _infix(rest)))))
    return frozenset(found)


def affixed(word: str) -> bool:
    """True when the word carries an affix to take off: a bare root as typed ("patay", dead) is not a form of
    the verbs built on it ("papatayin", will kill), so it only meets itself."""
    return roots(word) != {_plain(word)}
