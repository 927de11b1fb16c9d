"""Safety checks on what a person writes: danger words, heard from any screen, with typos forgiven.

Pure: the words come from flows/danger-words.yaml (staff edit them), the text from the person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz

from bot.core.text import fold

_WORD = re.compile(r"\w+", re.UNICODE)
PHRASE_SCORE = 88     # partial_ratio for multi-word phrases ("going to kill me" ~ "gonna kill me")
WORD_SCORE = 85       # ratio for single words of 5+ letters ("sucide" ~ "suicide")


def _hits(phrase: str, folded: str, tokens: list[str]) -> bool:
    if " " in phrase:
        return phrase in folded or (len(folded) >= len(phrase) - 2 and
                                    fuzz.partial_ratio(phrase, folded) >= PHRASE_SCORE)
    if len(phrase) < 5:
        return phrase in tokens
    return any(token == phrase or (abs(len(token) - len(phrase)) <= 2 and fuzz.ratio(token, phrase) >= WORD_SCORE)
               for token in tokens)


def danger_phrases(words: Mapping[str, Iterable[str]], lang: str) -> list[str]:
    """The phrases to listen for in `lang`, plus English (people mix languages under stress)."""
    chosen = [*words.get(lang, ()), *(words.get("en", ()) if lang != "en" else ())]
    return list(dict.fromkeys(fold(w) for w in chosen if fold(w)))


def is_danger(words: Mapping[str, Iterable[str]], text: str, lang: str) -> bool:
    """True when `text` contains a danger word or phrase of `lang` or English, allowing small typos."""
    folded = fold(text)
    if not folded:
        return False
    tokens = folded.split()
    return any(_hits(phrase, folded, tokens) for phrase in danger_phrases(words, lang))
