"""Text helpers every layer shares: one way to fold text for matching, one "did you mean".

strip_marks("Enfermée!")  -> "enfermée!" without its accent: "enfermee!"
fold("Enfermée, là!")     -> "enfermee la"   (words only, one space between, apostrophes dropped)
did_you_mean("rihgts", ["rights", "work"]) -> " (did you mean 'rights'?)"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import get_close_matches

_WORD = re.compile(r"\w+", re.UNICODE)


def strip_marks(text: str) -> str:
    """Capitals and accents off, so 'Enfant' matches 'enfant' and 'víctima' matches 'victima'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower case, accents off, one space between words: 'Enfermée!' -> 'enfermee'."""
    plain = strip_marks(text)
    return " ".join(_WORD.findall(plain.replace("'", "").replace("’", "")))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or ''."""
    close = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
