"""flows/crisis-examples.yaml read and checked: the messages the crisis model learns from (bot/conversation/learned.py),
each problem at its file:line with the fix. Read through the content loader by `check`, `run` and `/reload`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.conversation.learned import THRESHOLD, Example, ExampleKind, Learned
from bot.core.problems import Problem
from bot.core.yamlfile import Positions, read_yaml

FILE = "crisis-examples.yaml"


def load_examples(
    path: Path, display: str, languages: tuple[str, ...]
) -> tuple[tuple[Example, ...], float, Positions, list[Problem]]:
    """The examples (a suicide one with `now: true` as suicide_now), the file's threshold, where each value
    stands (for `unheard`), and its problems."""
    from bot.content.flows import schema_problems  # the same reworded JSON Schema errors as every flow

    data, pos, problems = read_yaml(path, display)
    if data is None or problems:
        return (), THRESHOLD, pos, problems or [pos.problem((), "", "is empty: add `examples:`", subject="file")]
    problems += schema_problems(data, pos, "crisis-examples.schema.json")
    if problems:
        return (), THRESHOLD, pos, problems
    examples = []
    for i, item in enumerate(data["examples"]):
        lang = str(item["lang"])
        if lang not in languages:
            problems.append(
                pos.problem(
                    ("examples", i, "lang"),
                    f"example {i + 1}",
                    f"is in '{lang}', not a language of flows/bot.yaml ({', '.join(languages)}): use one of those",
                    subject="example",
                )
            )
            continue
        kind: ExampleKind = "suicide_now" if item["kind"] == "suicide" and item.get("now") else item["kind"]
        examples.append(Example(str(item["text"]), lang, kind))
    return tuple(examples), float(data.get("threshold", THRESHOLD)), pos, problems


def unheard(
    examples: tuple[Example, ...], phrases: Callable[[str], str | None], model: Learned, pos: Positions
) -> list[Problem]:
    """Warnings for examples the bot, phrases and model together, does not hear as labelled: `phrases` gives
    "suicide", "danger" or None for a text, and the model is asked, all at once, where they are silent."""
    problems = []
    by_phrases = [phrases(e.text) for e in examples]
    by_model = iter(model.kinds([e.text for e, got in zip(examples, by_phrases, strict=True) if got is None]))
    for i, (example, got) in enumerate(zip(examples, by_phrases, strict=True)):
        want = None if example.kind == "calm" else "danger" if example.kind == "danger" else "suicide"
        got = got or next(by_model)
        if got != want:
            fix = (
                "add a phrase or a net for it to danger-words.yaml"
                if want
                else "add a calm phrase around its words to danger-words.yaml, or more calm examples like it"
            )
            problems.append(
                pos.problem(
                    ("examples", i, "text"),
                    f"example {i + 1}",
                    f"'{example.text}' is labelled {want or 'calm'} but is heard as {got or 'calm'}: {fix}",
                    warning=True,
                    subject="example",
                )
            )
    return problems
