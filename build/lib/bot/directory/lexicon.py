"""resources/search.yaml: the words search uses that belong to no single service, read once and checked.

Per language: `stopwords` (ignored in queries and the index), `categories` (everyday words that find every
service of a category) and `synonyms` (a word or phrase people write -> words the directory uses, so staff can
teach search "paycheque" or "chamba" without touching a service). Problems name file:line and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.problems import Problem
from bot.core.vocabulary import CATEGORIES
from bot.core.yamlfile import Positions, read_yaml

LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "tl")
SECTIONS = ("stopwords", "categories", "synonyms")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Search words per language: stop words, category words, and synonyms (written -> meant)."""

    stopwords_by_lang: tuple[tuple[str, tuple[str, ...]], ...] = ()
    category_words: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()
    synonyms: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()  # lang -> ((written, meant))

    def words_for(self, category: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(language, words) for one category."""
        return dict(self.category_words).get(category, ())

    def stopwords(self, lang: str) -> tuple[str, ...]:
        """The stop words of one language."""
        return dict(self.stopwords_by_lang).get(lang, ())

    def synonyms_in(self, lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(written, meant words) pairs of one language."""
        return dict(self.synonyms).get(lang, ())


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _words(value: Any, where: tuple[str | int, ...], pos: Positions, problems: list[Problem]) -> tuple[str, ...]:
    """A list of non-empty words, or a problem at its line."""
    if not isinstance(value, list) or not value:
        problems.append(
            pos.problem(where, str(where[-1]), "must be a non-empty list of words, like [bed, sleep]", subject="words")
        )
        return ()
    out = []
    for i, word in enumerate(value):
        if not isinstance(word, str) or not word.strip():
            problems.append(
                pos.problem((*where, i), str(where[-1]), f"item {i + 1} must be a word, not {word!r}", subject="words")
            )
        else:
            out.append(word)
    return tuple(out)


def _per_language(value: Any, where: tuple[str, ...], pos: Positions, problems: list[Problem]) -> Mapping[str, Any]:
    """A mapping keyed by our four language codes, or a problem naming the unknown one."""
    if not isinstance(value, dict):
        problems.append(pos.problem(where, where[-1], "must map language codes (en, fr, es, tl) to words"))
        return {}
    for lang in value:
        if lang not in LANGUAGES:
            problems.append(
                pos.problem(
                    (*where, lang),
                    lang,
                    f"is not one of {', '.join(LANGUAGES)}" + _did_you_mean(lang, LANGUAGES),
                    on_key=True,
                    subject="language",
                )
            )
    return {lang: v for lang, v in value.items() if lang in LANGUAGES}


def load_lexicon(file: Path, base: Path) -> tuple[Lexicon, list[Problem]]:
    """Read and check resources/search.yaml; a missing file is an empty lexicon (search still works)."""
    if not file.exists():
        return Lexicon(), []
    shown = str(file.relative_to(base)) if file.is_relative_to(base) else str(file)
    data, pos, problems = read_yaml(file, shown)
    if problems or data is None:
        return Lexicon(), problems
    if not isinstance(data, dict):
        return Lexicon(), [pos.problem((), "search.yaml", "must be a mapping with stopwords, categories, synonyms")]
    for key in data:
        if key not in SECTIONS:
            problems.append(
                pos.problem(
                    (key,),
                    key,
                    f"is not a section of search.yaml (use {', '.join(SECTIONS)})" + _did_you_mean(key, SECTIONS),
                    on_key=True,
                    subject="section",
                )
            )
    stop = tuple(
        (lang, _words(ws, ("stopwords", lang), pos, problems))
        for lang, ws in _per_language(data.get("stopwords") or {}, ("stopwords",), pos, problems).items()
    )
    categories = []
    for category, per_lang in (data.get("categories") or {}).items():
        if category not in CATEGORIES:
            problems.append(
                pos.problem(
                    ("categories", category),
                    category,
                    "is not in the vocabulary (bot/core/vocabulary.py)" + _did_you_mean(category, CATEGORIES),
                    on_key=True,
                    subject="category",
                )
            )
            continue
        where = ("categories", category)
        langs = _per_language(per_lang, where, pos, problems)
        categories.append(
            (category, tuple((lang, _words(ws, (*where, lang), pos, problems)) for lang, ws in langs.items()))
        )
    synonyms = []
    for lang, pairs in _per_language(data.get("synonyms") or {}, ("synonyms",), pos, problems).items():
        if not isinstance(pairs, dict):
            problems.append(
                pos.problem(
                    ("synonyms", lang),
                    lang,
                    "must map a written word to the words it means, like {paycheque: [wages, pay]}",
                    subject="language",
                )
            )
            continue
        synonyms.append(
            (
                lang,
                tuple(
                    (str(written), _words(meant, ("synonyms", lang, written), pos, problems))
                    for written, meant in pairs.items()
                ),
            )
        )
    return Lexicon(stop, tuple(categories), tuple(synonyms)), problems
