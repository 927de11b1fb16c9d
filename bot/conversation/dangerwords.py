"""flows/danger-words.yaml read and checked: its shape (danger-words.schema.json) and what a schema cannot see (a
language without phrases, a phrase too short or never heard, a calm phrase or a joke marker that alarms), each
problem at its file:line:col with the fix. `python -m bot check`, `run` and `/reload` all read it here, through
the content loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.conversation.examples import FILE as EXAMPLES_FILE
from bot.conversation.examples import load_examples, unheard
from bot.conversation.learned import learn
from bot.conversation.safety import CRISIS, EMPTY, LISTS, WINDOW, Combo, DangerWords, build, split_words
from bot.core.problems import Problem, has_errors
from bot.core.text import fold
from bot.core.yamlfile import Positions, read_yaml

FILE = "danger-words.yaml"
__all__ = ["EXAMPLES_FILE", "FILE", "load_danger_words", "with_examples"]
MIN_SINGLE = 3  # a one-word crisis phrase shorter than this would match too much


def load_danger_words(path: Path, display: str, languages: tuple[str, ...]) -> tuple[DangerWords, list[Problem]]:
    """Read, shape-check and meaning-check flows/danger-words.yaml, and build its index."""
    from bot.content.flows import schema_problems  # the same reworded JSON Schema errors as every flow

    data, pos, problems = read_yaml(path, display)
    if data is None or problems:
        return EMPTY, problems or [
            pos.problem((), "", "is empty: add `suicide:` and `danger:` phrases per language", subject="file")
        ]
    problems += schema_problems(data, pos, "danger-words.schema.json")
    if problems:
        return EMPTY, problems
    phrases = {
        group: MappingProxyType(
            {str(lang): tuple(str(p) for p in items or ()) for lang, items in (data.get(group) or {}).items()}
        )
        for group in LISTS
    }
    shorthand = {
        str(lang): MappingProxyType({fold(str(k)): tuple(split_words(str(v))) for k, v in (table or {}).items()})
        for lang, table in (data.get("shorthand") or {}).items()
    }
    combos = tuple(
        Combo(
            str(c["kind"]),
            str(c["lang"]),
            tuple(tuple(map(str, part)) for part in c["parts"]),
            int(c.get("within", WINDOW)),
            str(c.get("name", "")),
        )
        for c in data.get("combine") or ()
    )
    words = build(MappingProxyType(phrases), MappingProxyType(shorthand), combos)
    return words, _meaning_problems(words, data, pos, languages)


def with_examples(
    words: DangerWords, path: Path, display: str, languages: tuple[str, ...], calm_words: tuple[str, ...]
) -> tuple[DangerWords, list[Problem]]:
    """The danger words with the model learned from flows/crisis-examples.yaml (bot/conversation/learned.py)
    beside them, and the file's problems: its shape, and every example the bot then hears otherwise."""
    examples, threshold, pos, problems = load_examples(path, display, languages)
    if has_errors(problems):
        return words, problems
    model = learn(examples, calm_words, threshold)
    key = (examples, threshold, calm_words, display, _signature(words))
    if key not in _UNHEARD:  # the same files load again (a test, a /reload with no change): checked once
        _UNHEARD.clear()
        _UNHEARD[key] = tuple(unheard(examples, words.phrases_kind, model, pos))
    return replace(words, learned=model), [*problems, *_UNHEARD[key]]


_UNHEARD: dict[object, tuple[Problem, ...]] = {}


def _signature(words: DangerWords) -> object:
    """What the danger words hear by, hashable: their phrases, shorthand and nets."""
    return (
        tuple((g, tuple(by.items())) for g, by in words.phrases.items()),
        tuple((lang, tuple(table.items())) for lang, table in words.shorthand.items()),
        words.combos,
    )


def _meaning_problems(
    words: DangerWords, data: Mapping[str, Any], pos: Positions, languages: tuple[str, ...]
) -> list[Problem]:
    """What the schema cannot see: a language without phrases, a phrase too short or never heard, a calm
    phrase that would itself raise the alarm."""
    problems = []
    for group in ("suicide", "danger"):
        for lang in languages:
            if not words.of(group, lang):
                problems.append(
                    pos.problem(
                        (group,),
                        group,
                        f"has no phrases in '{lang}': add a list `{lang}: [...]`"
                        " (people write in every language of flows/bot.yaml)",
                        on_key=True,
                        subject="list",
                    )
                )
    for group in LISTS:
        for lang in data.get(group) or {}:
            if lang not in languages:
                problems.append(
                    pos.problem(
                        (group, lang),
                        f"{group}.{lang}",
                        f"is not a language of flows/bot.yaml "
                        f"({', '.join(languages)}): rename it or add the language there",
                        warning=True,
                        on_key=True,
                        subject="list",
                    )
                )
            seen: set[str] = set()
            for i, phrase in enumerate(words.of(group, lang)):
                problems += _phrase_problems(
                    words, group, lang, phrase, seen, pos.problem((group, lang, i), f"{group}.{lang}", "x")
                )
    for n, combo in enumerate(words.combos):
        if combo.lang not in languages:
            problems.append(
                pos.problem(
                    ("combine", n, "lang"),
                    f"combine {n + 1}",
                    f"is in '{combo.lang}', not a language of flows/bot.yaml ({', '.join(languages)}): "
                    "use one of those",
                    subject="combination",
                )
            )
    return problems


def _phrase_problems(
    words: DangerWords, group: str, lang: str, phrase: str, seen: set[str], at: Problem
) -> list[Problem]:
    def problem(message: str, *, warning: bool = False) -> Problem:
        return Problem(
            at.path, at.line, at.col, at.node, f"'{phrase}' {message}", "warning" if warning else "error", "list"
        )

    plain = fold(phrase)
    if not plain:
        return [problem("has no letters: write the words, or remove it")]
    if plain in seen:
        return [problem("is listed twice here: remove one", warning=True)]
    seen.add(plain)
    alarms = group in CRISIS or group == "alone"
    if alarms and " " not in plain and len(plain) < MIN_SINGLE:
        return [
            problem(
                f"is one word shorter than {MIN_SINGLE} letters and would match ordinary words: "
                'write the words around it ("i od")'
            )
        ]
    if alarms and plain in {fold(p) for p in words.of("calm", lang)}:
        return [problem("is also in the calm list: remove it from one of the two")]
    heard = words.hear_phrases(phrase)
    if alarms and heard is None:
        return [problem("would never be heard: a calm phrase covers it; remove or narrow that calm phrase")]
    if group in ("calm", "joke") and heard is not None:
        fix = (
            f"put it in the calm list of '{heard.lang}', with the words around that phrase"
            if group == "calm"
            else "write the marker alone ('lol', 'if im late'), without crisis words"
        )
        return [
            problem(f"would raise the alarm itself ({heard.kind}, through '{heard.phrase}' in '{heard.lang}'): {fix}")
        ]
    return []
