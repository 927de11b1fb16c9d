"""Conversation tests staff can write: send this, tap that, expect a reply containing this (tests/conversations/).

A conversation file is YAML:

    language: es                      # one of the languages in flows/bot.yaml
    steps:
      - send: /start                  # a command, or words the person types
        expect: "privado"             # the reply contains this (capitals and accents ignored); or a list
      - tap: "Un lugar seguro"        # tap the button whose label contains this (or its number, 1 = first)
        expect_button: "persona"      # some button's label contains this; or a list
        expect_not: "víctima"         # neither the reply nor a button contains this; or a list
        expect_action: danger         # the bot did this (danger, handoff, erase); or a list

`rehearse` plays one conversation against the real engine and content and returns failures written for the
person who wrote the file: which file, which step, what was expected and what the bot said instead. Pure: no
I/O beyond reading the file, no clock (the time is fixed, or set with `time:` in the file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.content.flows import display_path
from bot.content.loader import Content
from bot.conversation.engine import advance
from bot.core.numbers import whole_number
from bot.core.text import did_you_mean, strip_marks
from bot.core.types import Button, Event, Session, Turn
from bot.core.yamlfile import read_yaml

ACTIONS = ("send", "tap")
EXPECTATIONS = ("expect", "expect_not", "expect_button", "expect_action")
FILE_KEYS = ("language", "steps", "name", "time")
DEFAULT_TIME = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("America/Edmonton"))  # a Wednesday at noon


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the person does, and what the bot's answer must (and must not) hold."""

    number: int
    line: int
    action: str  # "send" or "tap"
    value: str
    expect: tuple[str, ...] = ()
    expect_not: tuple[str, ...] = ()
    expect_button: tuple[str, ...] = ()
    expect_action: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f'step {self.number} (line {self.line}: {self.action} "{self.value}")'


@dataclass(frozen=True, slots=True)
class Conversation:
    """A whole conversation file: its language, its steps, and the time the bot believes it is."""

    path: str
    language: str
    steps: tuple[Step, ...]
    name: str = ""
    now: datetime = DEFAULT_TIME


@dataclass(frozen=True, slots=True)
class Failure:
    """One thing that did not go as the file says, in words a non-programmer can act on."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _words(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def read_conversation(path: Path, shown: str | None = None) -> tuple[Conversation | None, list[Failure]]:
    """Read one conversation file; mistakes in the file itself come back as failures naming the line."""
    shown = shown or str(path)
    data, pos, problems = read_yaml(path, shown)
    if problems:
        return None, [Failure(shown, p.line, p.message) for p in problems]
    if not isinstance(data, Mapping) or not isinstance(data.get("steps"), list):
        return None, [
            Failure(
                shown, 1, "needs `language:` and `steps:` (a list of steps, each starting with `- send:` or `- tap:`)"
            )
        ]
    failures = [
        Failure(
            shown,
            pos.key_at(str(k))[0],
            f"has an unknown key '{k}'{did_you_mean(str(k), FILE_KEYS)}: use {', '.join(FILE_KEYS)}",
        )
        for k in data
        if k not in FILE_KEYS
    ]
    now = DEFAULT_TIME
    if data.get("time"):
        try:
            now = datetime.fromisoformat(str(data["time"]))
            now = now if now.tzinfo else now.replace(tzinfo=DEFAULT_TIME.tzinfo)
        except ValueError:
            failures.append(Failure(shown, pos.at("time")[0], "time should look like 2026-11-25T22:30"))
    steps: list[Step] = []
    for i, raw in enumerate(data["steps"]):
        line = pos.at("steps", i)[0]
        if not isinstance(raw, Mapping):
            failures.append(
                Failure(shown, line, f"step {i + 1} should be `send: ...` or `tap: ...` with expectations under it")
            )
            continue
        actions = [a for a in ACTIONS if a in raw]
        unknown = [k for k in raw if k not in ACTIONS and k not in EXPECTATIONS]
        for key in unknown:
            failures.append(
                Failure(
                    shown,
                    pos.key_at("steps", i, str(key))[0],
                    f"step {i + 1} has an unknown key '{key}'{did_you_mean(str(key), (*ACTIONS, *EXPECTATIONS))}",
                )
            )
        if len(actions) != 1:
            failures.append(Failure(shown, line, f"step {i + 1} needs exactly one of `send:` or `tap:`"))
            continue
        steps.append(
            Step(
                i + 1,
                line,
                actions[0],
                str(raw[actions[0]]),
                _words(raw.get("expect")),
                _words(raw.get("expect_not")),
                _words(raw.get("expect_button")),
                _words(raw.get("expect_action")),
            )
        )
    language = str(data.get("language") or "")
    if not language:
        failures.append(Failure(shown, 1, "needs `language:` (en, fr, es, tl, ...)"))
    if failures:
        return None, failures
    return Conversation(shown, language, tuple(steps), str(data.get("name") or ""), now), []


def _event(step: Step, buttons: Sequence[Button], language: str) -> Event | str:
    """The event a step means, or why it cannot happen (a button that is not there)."""
    if step.action == "send":
        text = step.value.strip()
        if text.startswith("/"):
            name = text[1:].split()[0] if len(text) > 1 else ""
            return Event("start", language_hint=language) if name == "start" else Event("command", text=name)
        return Event("text", text=text)
    number = whole_number(step.value)
    if number is not None:
        index = number - 1
        if 0 <= index < len(buttons):
            return Event("option", data=buttons[index].data)
        return f"there is no button number {step.value}; the buttons were:\n{_listed(buttons)}"
    wanted = strip_marks(step.value.strip())
    exact = [b for b in buttons if strip_marks(b.label) == wanted]
    partial = [b for b in buttons if wanted in strip_marks(b.label)]
    chosen = exact or partial
    if not chosen:
        return f'there is no button containing "{step.value}"; the buttons were:\n{_listed(buttons)}'
    return Event("option", data=chosen[0].data)


def _listed(buttons: Sequence[Button]) -> str:
    if not buttons:
        return "    (no buttons)"
    return "\n".join(f"    [{i}] {b.label}" for i, b in enumerate(buttons, 1))


def _said(turn: Turn) -> str:
    return "\n".join(reply.text for reply in turn.replies if reply.text)


def _buttons(turn: Turn) -> list[Button]:
    return [button for reply in turn.replies for row in reply.buttons for button in row]


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" for line in (text or "(nothing)").splitlines())


def check_turn(step: Step, turn: Turn) -> list[str]:
    """What in this turn differs from what the step expects, one sentence each."""
    said, buttons = _said(turn), _buttons(turn)
    folded_said, labels = strip_marks(said), [strip_marks(b.label) for b in buttons]
    wrong: list[str] = []
    for word in step.expect:
        if strip_marks(word) not in folded_said:
            wrong.append(f'expected the reply to contain "{word}"')
    for word in step.expect_not:
        if strip_marks(word) in folded_said or any(strip_marks(word) in label for label in labels):
            wrong.append(f'expected the reply and buttons NOT to contain "{word}"')
    for word in step.expect_button:
        if not any(strip_marks(word) in label for label in labels):
            wrong.append(f'expected a button containing "{word}"')
    done = {action.name for action in turn.actions}
    for name in step.expect_action:
        if name not in done:
            wrong.append(f"expected the bot to {name} (it did: {', '.join(sorted(done)) or 'nothing special'})")
    return wrong


def rehearse(content: Content, conversation: Conversation) -> list[Failure]:
    """Play the conversation against the engine; every expectation not met becomes a failure."""
    path = conversation.path
    if conversation.language not in content.languages:
        return [
            Failure(
                path,
                1,
                f"language '{conversation.language}' is not one of the bot's languages "
                f"({', '.join(content.languages)}) in flows/bot.yaml",
            )
        ]
    session = Session(language=conversation.language)
    buttons: list[Button] = []
    failures: list[Failure] = []
    for step in conversation.steps:
        event = _event(step, buttons, conversation.language)
        if isinstance(event, str):
            failures.append(
                Failure(
                    path,
                    step.line,
                    f"{step}: {event}\n  The rest of this conversation was "
                    "not played, because it depends on this step.",
                )
            )
            return failures
        turn = advance(content, session, event, conversation.now)
        for wrong in check_turn(step, turn):
            failures.append(
                Failure(
                    path,
                    step.line,
                    f"{step}: {wrong}, but the bot said:\n"
                    f"{_indented(_said(turn))}\n  with the buttons:\n{_listed(_buttons(turn))}",
                )
            )
        session, buttons = turn.session, _buttons(turn)
    return failures


def conversation_files(paths: Iterable[Path]) -> list[Path]:
    """Conversation files named directly, and every *.yaml inside the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.yaml") if p.is_file())
        elif path.is_file():
            found.append(path)
    return list(dict.fromkeys(found))


def default_paths(flows_dir: Path) -> list[Path]:
    """Where conversation tests live: tests/conversations/ beside flows/, and flows/tests/ for staff's own."""
    return [p for p in (flows_dir.parent / "tests" / "conversations", flows_dir / "tests") if p.is_dir()]


def run_file(content: Content, path: Path, shown: str | None = None) -> list[Failure]:
    """Read and play one file; problems in the file and in the conversation alike come back as failures."""
    conversation, failures = read_conversation(path, shown or display_path(path))
    return failures if conversation is None else rehearse(content, conversation)
