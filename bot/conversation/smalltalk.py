"""Small talk and the police question, heard before any search: "hi", "thx", "tulong po", "is this the police?".

Pure: the words come from flows/smalltalk.yaml (staff edit them), the text from the person. A message is small
talk only when every word in it belongs to a small-talk phrase or is a filler ("hello po", "ok thanks"); anything
more ("hi i need a bed") is a request. Words are matched whole, forgiving a small typo in longer words, a swap of
two letters in four-letter ones, and repeated letters ("heyyy"). The police question is heard from a police word
and a cue: wanting police (a search, as any request), refusing police, or asking about police.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import OSA

from bot.content.flows import Flows, display_path, resolve
from bot.core.problems import Problem
from bot.core.text import did_you_mean, fold
from bot.core.yamlfile import Positions, read_yaml

FILE = "smalltalk.yaml"
LANGUAGES = ("en", "fr", "es", "tl")
SPECIAL_GO = ("back", "again")
QUESTION_MARKS = "?¿？"
POLICE_SCREEN_WORDS = 12  # a longer message that refuses police is remembered and still searched
Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Intent:
    """One kind of small talk: its name, where it leads, and its phrases (folded words, repeats squeezed)."""

    name: str
    go: str
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True, slots=True)
class PoliceWords:
    """The police question's words: police words, and the cues for wanting, refusing and asking."""

    ask_go: str = ""
    refuse_go: str = ""
    words: tuple[Phrase, ...] = ()
    want: tuple[Phrase, ...] = ()
    refuse: tuple[Phrase, ...] = ()
    ask: tuple[Phrase, ...] = ()


@dataclass(frozen=True, slots=True)
class SmallTalk:
    """flows/smalltalk.yaml, loaded."""

    intents: tuple[Intent, ...] = ()
    fillers: frozenset[str] = frozenset()
    police: PoliceWords = field(default_factory=PoliceWords)
    question_phrase: bool = False  # "?" alone is one of the help phrases
    positions: Positions | None = field(default=None, compare=False, repr=False)  # `check`'s line numbers


@dataclass(frozen=True, slots=True)
class Heard:
    """What a message was heard as: `kind` (an intent name, "police_question" or "no_police"), where it leads
    (a node id, "back", "again", or "" when the message goes on to the search), and whether the person said they
    do not want police."""

    kind: str
    go: str
    no_police: bool = False
    wants_police: bool = False


def squeeze(word: str) -> str:
    """Repeated letters read once: 'heyyy' -> 'hey', 'merciii' -> 'merci' (both sides are squeezed alike)."""
    return re.sub(r"(.)\1+", r"\1", word)


def tokens(text: str) -> list[str]:
    """The words of `text`, folded (case, accents, apostrophes) and squeezed."""
    return [squeeze(t) for t in fold(text).split()]


def same(typed: str, word: str) -> bool:
    """Whole-word equality forgiving a typo: one edit from 5 letters ('helo'), two from 9, a swap at 4 ('hlep')."""
    if typed == word:
        return True
    if len(word) >= 5 and len(typed) >= 4:
        return OSA.distance(typed, word) <= (2 if len(word) >= 9 else 1)
    if len(word) == 4 and len(typed) == 4:
        return sorted(typed) == sorted(word) and OSA.distance(typed, word) == 1
    return False


def _at(words: Sequence[str], i: int, phrase: Phrase) -> int:
    """How many typed words `phrase` covers at position i (0: it is not there). A phrase written as two words
    may be typed as one ('thankyou')."""
    if len(phrase) <= len(words) - i and all(same(words[i + k], w) for k, w in enumerate(phrase)):
        return len(phrase)
    if len(phrase) > 1 and i < len(words) and same(words[i], "".join(phrase)):
        return 1
    return 0


def contains(words: Sequence[str], phrases: Sequence[Phrase]) -> bool:
    """Whether any phrase appears among the typed words, whole-word."""
    return any(_at(words, i, p) for i in range(len(words)) for p in phrases)


def without_fillers(words: Sequence[str], fillers: frozenset[str]) -> list[str]:
    """The words less fillers ("tulungan nyo po ako" -> "tulungan nyo ako"); all of them if only fillers remain."""
    kept = [w for w in words if w not in fillers]
    return kept or list(words)


def _cover(talk: SmallTalk, words: Sequence[str]) -> set[str] | None:
    """The intents whose phrases cover every typed word (fillers aside); None when some word is not small talk."""
    words = without_fillers(words, talk.fillers)
    if all(w in talk.fillers for w in words):
        return None
    best: list[set[str] | None] = [None] * (len(words) + 1)
    best[len(words)] = set()
    for i in range(len(words) - 1, -1, -1):
        for intent in talk.intents:
            for phrase in sorted(intent.phrases, key=len, reverse=True):
                step = _at(words, i, phrase)
                rest = best[i + step] if step else None
                if step and rest is not None:
                    found = {intent.name, *rest}
                    if best[i] is None or len(found) < len(best[i] or ()):
                        best[i] = found
                    break
    return best[0]


def hear_police(talk: SmallTalk, text: str) -> Heard | None:
    """The police question: asking ("is this the police?"), refusing ("no cops pls") or wanting police ("how do i
    report to the police": no screen of its own, a request like any other); None without a police word."""
    police, words = talk.police, tokens(text)
    if not police.words or not contains(words, police.words):
        return None
    if contains(words, police.want):  # the person's latest word counts: a refusal said earlier is lifted
        return Heard("wants_police", "", wants_police=True)
    if contains(words, police.refuse):
        short = len(words) <= POLICE_SCREEN_WORDS
        return Heard("no_police", police.refuse_go if short else "", no_police=True)
    if len(words) <= POLICE_SCREEN_WORDS and (contains(words, police.ask) or any(m in text for m in QUESTION_MARKS)):
        return Heard("police_question", police.ask_go)
    return None


def hear(talk: SmallTalk, text: str) -> Heard | None:
    """What a message is when it is small talk or the police question; None when it is a request."""
    police = hear_police(talk, text)
    if police is not None:
        return police
    words = tokens(text)
    if not words:
        asked = (
            talk.question_phrase
            and bool(text.strip())
            and all(c in QUESTION_MARKS or c.isspace() for c in text.strip())
        )
        help_intent = next((i for i in talk.intents if ("?",) in i.phrases), None)
        return Heard(help_intent.name, help_intent.go) if asked and help_intent else None
    found = _cover(talk, words)
    if not found:
        return None
    intent = next(i for i in talk.intents if i.name in found)  # the kind listed first in the file wins
    return Heard(intent.name, intent.go)


# -- loading and checking ----------------------------------------------------------------------------------


def _phrases(
    raw: Any, pos: Positions, where: tuple[Any, ...], problems: list[Problem], *, every_language: bool = True
) -> tuple[Phrase, ...]:
    """A `{lang: [phrases]}` mapping -> folded, squeezed phrases (all languages together)."""
    if not isinstance(raw, Mapping):
        problems.append(
            pos.problem(
                where,
                ".".join(map(str, where)),
                "should be a mapping of languages to lists of words, e.g. `en: [hi, hello]`",
                subject="key",
            )
        )
        return ()
    found: list[Phrase] = []
    for lang in LANGUAGES:
        if every_language and not raw.get(lang):
            problems.append(
                pos.problem(
                    where, ".".join(map(str, where)), f"has no '{lang}' words: add `{lang}: [...]`", subject="key"
                )
            )
    for lang, words in raw.items():
        if not isinstance(words, list):
            problems.append(
                pos.problem(
                    (*where, lang), f"{'.'.join(map(str, where))}.{lang}", "should be a list of words", subject="key"
                )
            )
            continue
        for word in words:
            phrase = tuple(tokens(str(word)))
            if str(word).strip() == "?":
                found.append(("?",))
            elif not phrase:
                problems.append(
                    pos.problem(
                        (*where, lang),
                        f"{'.'.join(map(str, where))}.{lang}",
                        f"has {word!r}, which has no letters: remove it",
                        subject="key",
                    )
                )
            else:
                found.append(phrase)
    return tuple(dict.fromkeys(found))


def load_smalltalk(folder: Path) -> tuple[SmallTalk | None, list[Problem]]:
    """Read and check flows/smalltalk.yaml's shape; None (and the problems) when it cannot be used."""
    path = folder / FILE
    shown = display_path(path)
    if not path.is_file():
        return None, [
            Problem(
                shown,
                0,
                0,
                "",
                "is missing: restore it from git (small talk and the police question live there)",
                subject="file",
            )
        ]
    data, pos, problems = read_yaml(path, shown)
    if problems or not isinstance(data, Mapping) or not isinstance(data.get("intents"), Mapping):
        return None, problems or [pos.problem((), "", "needs `intents:` (and `fillers:`, `police:`)", subject="file")]
    intents: list[Intent] = []
    for name, raw in data["intents"].items():
        if not isinstance(raw, Mapping) or not raw.get("go"):
            problems.append(
                pos.problem(
                    ("intents", name),
                    str(name),
                    "needs `go:` (a node, `back` or `again`) and `words:`",
                    subject="intent",
                    on_key=True,
                )
            )
            continue
        phrases = _phrases(raw.get("words"), pos, ("intents", name, "words"), problems)
        intents.append(Intent(str(name), str(raw["go"]), phrases))
    fillers_raw = data.get("fillers") or {}
    fillers = frozenset(w for p in _phrases(fillers_raw, pos, ("fillers",), problems, every_language=False) for w in p)
    police_raw = data.get("police")
    police = PoliceWords()
    if isinstance(police_raw, Mapping):
        police = PoliceWords(
            ask_go=str(police_raw.get("ask_go") or ""),
            refuse_go=str(police_raw.get("refuse_go") or ""),
            **{
                key: _phrases(police_raw.get(key), pos, ("police", key), problems)
                for key in ("words", "want", "refuse", "ask")
            },
        )
        for key in ("ask_go", "refuse_go"):
            if not police_raw.get(key):
                problems.append(
                    pos.problem(("police",), f"police.{key}", "is missing: name the node it leads to", subject="key")
                )
    else:
        problems.append(pos.problem((), "police", "is missing: add the police words and cues", subject="key"))
    intents = [
        Intent(i.name, i.go, tuple(dict.fromkeys(tuple(without_fillers(p, fillers)) for p in i.phrases)))
        for i in intents
    ]
    talk = SmallTalk(
        tuple(intents), fillers, police, question_phrase=any(("?",) in i.phrases for i in intents), positions=pos
    )
    problems += _overlaps(talk, pos)
    if any(p.is_error for p in problems):
        return None, problems
    return talk, problems


def _overlaps(talk: SmallTalk, pos: Positions) -> list[Problem]:
    """A phrase written under two intents would be heard as whichever comes first: say so."""
    seen: dict[Phrase, str] = {}
    problems = []
    for intent in talk.intents:
        for phrase in intent.phrases:
            if phrase in seen and seen[phrase] != intent.name:
                problems.append(
                    pos.problem(
                        ("intents", intent.name),
                        intent.name,
                        f"'{' '.join(phrase)}' is also under '{seen[phrase]}': keep it in one",
                        subject="intent",
                        on_key=True,
                    )
                )
            seen.setdefault(phrase, intent.name)
    return problems


def targets(talk: SmallTalk, flows: Flows) -> tuple[str, ...]:
    """The nodes small talk leads to: entry points like the commands', for the reachability check."""
    gos = [i.go for i in talk.intents] + [talk.police.ask_go, talk.police.refuse_go]
    return tuple(t for t in (resolve(flows, g) for g in gos if g and g not in SPECIAL_GO) if t)


def check_smalltalk(talk: SmallTalk, flows: Flows, path: str) -> list[Problem]:
    """Meaning checks against the loaded flows: every `go:` leads somewhere."""
    problems = []
    targets: list[tuple[str, tuple[str, ...], str]] = [
        (f"intents.{i.name}", ("intents", i.name, "go"), i.go) for i in talk.intents
    ]
    targets += [
        ("police.ask_go", ("police", "ask_go"), talk.police.ask_go),
        ("police.refuse_go", ("police", "refuse_go"), talk.police.refuse_go),
    ]
    for where, keys, go in targets:
        if go and go not in SPECIAL_GO and resolve(flows, go) is None:
            line, col = talk.positions.at(*keys) if talk.positions is not None else (1, 1)
            hint = did_you_mean(go, list(flows.nodes))
            message = f"goes to '{go}', which does not exist{hint}: name a node (flow.node), `back` or `again`"
            problems.append(Problem(path, line, col, where, message, subject="key"))
    return problems


def go_target(flows: Flows, heard: Heard) -> str:
    """The node a heard message leads to ("" for back/again, which the engine works out from where the person is)."""
    if heard.go in SPECIAL_GO or not heard.go:
        return ""
    return resolve(flows, heard.go) or ""


def police_last(ids: Sequence[str], is_police: Callable[[str], bool]) -> list[str]:
    """Result ids with police and reporting lines moved after every other service (kept, never hidden)."""
    return [i for i in ids if not is_police(i)] + [i for i in ids if is_police(i)]


def kinds(talk: SmallTalk) -> tuple[str, ...]:
    """Every kind of message this file can hear, for counts and tests."""
    return (*(i.name for i in talk.intents), "police_question", "no_police")
