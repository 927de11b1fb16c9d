"""Words the bot avoids: a staff-edited list (flows/words-to-avoid.yaml), checked against everything the bot says.

A label the person did not choose ("victim", "illegal", "addict") can end a conversation. Staff keep the list,
each word with a kinder alternative, per language; `check_wording` finds them, whole-word and ignoring capitals,
in screens, button labels and the bot's own words (bot.yaml), and names the word, the node and the alternative.
What people type (keywords, danger words) is not checked: people may use any word about themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.content.flows import CONFIG_FILE, Flows, Text
from bot.core.problems import Problem
from bot.core.yamlfile import Positions, read_yaml
from bot.directory.resources import Directory

AVOID_FILE = "words-to-avoid.yaml"


@dataclass(frozen=True, slots=True)
class Avoided:
    """One word (or phrase) the bot does not say in `lang`, and what to say instead."""

    word: str
    instead: str
    lang: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """Whole word or phrase, any capitals, any run of spaces between the words."""
        body = r"\s+".join(re.escape(part) for part in self.word.split())
        return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


AvoidList = Mapping[str, Sequence[Avoided]]


def load_avoid_list(folder: Path) -> tuple[dict[str, tuple[Avoided, ...]], list[Problem]]:
    """Read `folder`/words-to-avoid.yaml (a missing file is an empty list); report entries staff must fix."""
    path = folder / AVOID_FILE
    if not path.is_file():
        return {}, []
    data, pos, problems = read_yaml(path, _shown(path))
    if problems or data is None:
        return {}, problems
    words = data.get("words") if isinstance(data, Mapping) else None
    if not isinstance(words, Mapping):
        return {}, [
            pos.problem(
                (),
                "",
                "needs `words:` with a list per language, e.g. `en: [{word: victim, instead: survivor}]`",
                subject="file",
            )
        ]
    found: dict[str, tuple[Avoided, ...]] = {}
    for lang, entries in words.items():
        chosen: list[Avoided] = []
        for i, entry in enumerate(entries if isinstance(entries, list) else ()):
            word = str(entry.get("word") or "").strip() if isinstance(entry, Mapping) else ""
            instead = str(entry.get("instead") or "").strip() if isinstance(entry, Mapping) else ""
            if not word or not instead:
                problems.append(
                    pos.problem(
                        ("words", str(lang), i),
                        str(lang),
                        f"entry {i + 1} needs both `word` and `instead` (the kinder alternative)",
                        subject="language",
                    )
                )
                continue
            chosen.append(Avoided(word, instead, str(lang)))
        if not isinstance(entries, list):
            problems.append(
                pos.problem(
                    ("words", str(lang)),
                    str(lang),
                    "should be a list of `{word: ..., instead: ...}`",
                    subject="language",
                )
            )
        found[str(lang)] = tuple(chosen)
    return found, problems


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _said(flows: Flows) -> Iterator[tuple[Positions | None, tuple[str | int, ...], str, str, str, Text]]:
    """(positions, key path, name, subject, what, text) for everything the bot says."""
    for node in flows.nodes.values():
        pos = flows.positions.get(node.flow)
        keys: tuple[str | int, ...] = ("nodes", node.name)
        if node.say:
            yield pos, (*keys, "say"), node.name, "node", "say", node.say
        if node.ask:
            yield pos, (*keys, "ask"), node.name, "node", "ask", node.ask
        for i, option in enumerate(node.options):
            yield pos, (*keys, "options", i, "label"), node.name, "node", f"option {i + 1} label", option.label
    config = flows.positions.get(CONFIG_FILE)
    for key, text in flows.config.strings.items():
        yield config, ("strings", key), key, "string", "text", text
    for key, text in flows.config.commands.items():
        yield config, ("commands", key), key, "command", "description", text


def check_wording(flows: Flows, avoid: AvoidList) -> list[Problem]:
    """Every avoided word found in what the bot says, naming the word, the node and the kinder alternative."""
    problems: list[Problem] = []
    compiled = {lang: [(a, a.pattern) for a in words] for lang, words in avoid.items()}
    # one pass per text with every word of its language; only a text that matches is looked at word by word
    anyword = {
        lang: re.compile("|".join(f"(?:{p.pattern})" for _, p in pairs), re.IGNORECASE)
        for lang, pairs in compiled.items()
        if pairs
    }
    for pos, keys, name, subject, what, text in _said(flows):
        for lang, value in text.by_lang.items():
            screen = anyword.get(lang)
            if screen is None or screen.search(value) is None:
                continue
            for avoided, pattern in compiled[lang]:
                match = pattern.search(value)
                if match is None:
                    continue
                message = (
                    f"{what} ({lang}) says '{match.group(0)}', a word we avoid "
                    f"({AVOID_FILE}): use '{avoided.instead}' instead"
                )
                if pos is None:
                    problems.append(Problem(flows.config.path, 0, 0, name, message, subject=subject))
                else:
                    problems.append(pos.problem((*keys, lang), name, message, subject=subject))
    return problems


def check_avoided_words(flows: Flows) -> Iterator[Problem]:
    """What the bot says uses none of the words in flows/words-to-avoid.yaml (read beside flows/bot.yaml)."""
    if CONFIG_FILE not in flows.positions:
        return
    avoid, problems = load_avoid_list(Path(flows.config.path).parent)
    yield from problems
    yield from check_wording(flows, avoid)


def check_resource_wording(directory: Directory, avoid: AvoidList) -> list[Problem]:
    """The same words avoided in what the cards say: each service's one-line summary, in every language.
    (Names stay as the services spell them; keywords are the person's words, so they may hold any word.)"""
    problems: list[Problem] = []
    for resource in directory.resources:
        for lang, value in resource.summary:
            for avoided in avoid.get(lang, ()):
                match = avoided.pattern.search(value)
                if match is not None:
                    problems.append(
                        Problem(
                            resource.path,
                            resource.line,
                            1,
                            resource.id,
                            f"summary ({lang}) says '{match.group(0)}', a word we avoid ({AVOID_FILE}): use "
                            f"'{avoided.instead}' instead",
                            subject="resource",
                        )
                    )
    return problems
