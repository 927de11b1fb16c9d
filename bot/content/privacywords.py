"""flows/privacy-text.yaml, loaded and checked: the words of /privacy, quiet erase and "can't talk now".

`load_privacy_words` reads and checks them (file:line problems, as `check` prints them) for each language
flows/bot.yaml declares; bot.conversation.privacy builds the screens from them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content.flows import Text, display_path
from bot.core.languages import read_languages
from bot.core.problems import Problem
from bot.core.text import fold
from bot.core.yamlfile import Positions, read_yaml

WORDS_FILE = "privacy-text.yaml"

# Each text, and the {blanks} it may use.
TEXT_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "title": frozenset(),
        "identity": frozenset(),
        "session": frozenset({"days"}),
        "handoff": frozenset({"days"}),
        "handoff_kept": frozenset(),
        "group": frozenset({"days"}),
        "group_kept": frozenset(),
        "message_ids": frozenset({"hours"}),
        "words": frozenset(),
        "counts": frozenset(),
        "forget": frozenset(),
        "quiet_off": frozenset(),
        "quiet_on": frozenset({"hours"}),
        "quiet_set": frozenset({"hours"}),
        "quiet_cleared": frozenset(),
        "quiet_off_button": frozenset(),
        "hour": frozenset(),
        "hours": frozenset({"n"}),
        "day": frozenset(),
        "days": frozenset({"n"}),
        "yes_button": frozenset(),
        "no_button": frozenset(),
        "brief_supporter": frozenset(),
        "brief_supporter_off": frozenset(),
    }
)


@dataclass(frozen=True, slots=True)
class PrivacyWords:
    """flows/privacy-text.yaml, loaded: each text in every language, and the "can't talk now" words."""

    texts: Mapping[str, Text]
    brief_words: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def text(self, key: str, lang: str, **values: object) -> str:
        """The text `key` in `lang` (English if missing there), with its {blanks} filled."""
        raw = self.texts[key].get(lang, "en")
        return raw.format(**values) if values else raw


def load_privacy_words(
    folder: Path, languages: Sequence[str] | None = None
) -> tuple[PrivacyWords | None, list[Problem]]:
    """Read and check folder/privacy-text.yaml for `languages` (default: those folder/bot.yaml declares);
    None (and the problems) when it cannot be used."""
    languages = read_languages(folder) if languages is None else languages
    path = folder / WORDS_FILE
    shown = display_path(path)
    if not path.is_file():
        return None, [
            Problem(shown, 0, 0, "", "is missing: restore it from git (the /privacy words live there)", subject="file")
        ]
    data, pos, problems = read_yaml(path, shown)
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        problems.append(pos.problem((), "", "needs a `texts:` mapping of text names to languages", subject="file"))
        return None, problems
    texts: dict[str, Text] = {}
    for key, blanks in TEXT_KEYS.items():
        raw = data["texts"].get(key)
        if not isinstance(raw, dict):
            problems.append(
                pos.problem(
                    ("texts",),
                    key,
                    f"is missing: add it in each language ({', '.join(languages)})",
                    subject="text",
                    on_key=True,
                )
            )
            continue
        by_lang = {str(lang): str(value) for lang, value in raw.items() if isinstance(value, str) and value}
        for lang in languages:
            if lang not in by_lang:
                problems.append(
                    pos.problem(
                        ("texts", key), key, f"has no '{lang}' text: add `{lang}: ...`", subject="text", on_key=True
                    )
                )
        for lang, value in by_lang.items():
            here = pos.problem(("texts", key, lang), key, "", subject="text")
            problems += _blank_problems(value, blanks, here)
        texts[key] = Text(MappingProxyType(by_lang))
    for key in data["texts"]:
        if key not in TEXT_KEYS:
            problems.append(
                pos.problem(
                    ("texts", key),
                    str(key),
                    f"is not a text the bot uses: use one of {', '.join(TEXT_KEYS)}",
                    subject="text",
                    on_key=True,
                    warning=True,
                )
            )
    brief = _brief_words(data.get("brief_words"), pos, problems)
    if any(p.is_error for p in problems):
        return None, problems
    return PrivacyWords(MappingProxyType(texts), brief), problems


def _blank_problems(value: str, allowed: frozenset[str], at: Problem) -> list[Problem]:
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError:
        return [
            Problem(
                at.path, at.line, at.col, at.node, "has an unmatched { or }: write {{ or }} for a brace", subject="text"
            )
        ]
    wrong = sorted(used - allowed)
    if not wrong:
        return []
    may = ", ".join(f"{{{b}}}" for b in sorted(allowed)) or "no blanks"
    return [
        Problem(
            at.path, at.line, at.col, at.node, f"uses {{{wrong[0]}}}, but this text may use only {may}", subject="text"
        )
    ]


def _brief_words(raw: Any, pos: Positions, problems: list[Problem]) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.append(
            pos.problem(
                (), "brief_words", 'is missing: add a list of "can\'t talk now" phrases per language', subject="key"
            )
        )
        return MappingProxyType({})
    found: dict[str, tuple[str, ...]] = {}
    for lang, words in raw.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and fold(w) for w in words):
            problems.append(
                pos.problem(("brief_words", lang), str(lang), "should be a list of phrases", subject="brief_words")
            )
            continue
        found[str(lang)] = tuple(dict.fromkeys(fold(w) for w in words))
    return MappingProxyType(found)
