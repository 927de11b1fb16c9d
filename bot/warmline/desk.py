"""The supporter's desk in a topic, pure (Chatwoot and Crisis Text Line are the models): notes to each other that
never reach the person, a hand-over to a named colleague with a line of context, the wrap-up after End that
becomes anonymous counts, and /queue's listing of who waits.

    "// she may call back"  or  "#note she may call back"   a note: stays in the topic, never relayed
    /handover Sam she wants a bed tonight                    -> Sam holds it now; the line is posted in the topic
    wrap-up buttons "w|wrap|<id>|<choice>"                   -> wrapup_outcome:<choice>, then wrapup_followup:yes|no

Nothing here does I/O or reads a clock: bot.channels.telegram.desk asks and acts; the words are flows/warmline.yaml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.core.text import fold

K = TypeVar("K")
NOTE_MARKS = ("//", "#note")  # a topic message starting with one of these is a note for the team
WRAP = "wrap"  # callback data verb: "w|wrap|<id>|<choice>"
OUTCOMES = ("talked", "referred", "left", "other")  # how it ended (the first step)
FOLLOWUPS = ("yes", "no")  # follow-up needed? (the second step)
STEPS = {"outcome": OUTCOMES, "followup": FOLLOWUPS}
NEXT_STEP = {"outcome": "followup", "followup": "done"}
COUNTER = {"outcome": "wrapup_outcome", "followup": "wrapup_followup"}


def is_note(text: str | None) -> bool:
    """A supporter's note to the team: the message starts with // or #note (any case, spaces before it)."""
    start = (text or "").lstrip().lower()
    if start.startswith("//"):
        return True
    return start.startswith("#note") and (len(start) == 5 or not start[5].isalnum())


def handover_target(argument: str, aliases: Mapping[K, str]) -> tuple[K, str] | None:
    """Who `/handover ARGUMENT` names, and the line of context after the name: the longest alias the argument
    starts with, as whole words, ignoring case and accents ("sam k she wants a bed" finds "Sam K" over "Sam").
    None when no alias matches."""
    words = argument.split()
    folded = [fold(w) for w in words]
    best: tuple[int, K] | None = None
    for key, alias in aliases.items():
        name = fold(alias).split()
        if name and folded[: len(name)] == name and (best is None or len(name) > best[0]):
            best = (len(name), key)
    if best is None:
        return None
    return best[1], " ".join(words[best[0] :])


@dataclass(frozen=True, slots=True)
class Waiting:
    """One person waiting, as /queue shows them: the alias, language, minutes waited, danger words heard."""

    alias: str
    language: str
    minutes: int
    urgent: bool = False


def queue_order(waiting: Iterable[Waiting]) -> list[Waiting]:
    """Urgent first, then the longest wait first."""
    return sorted(waiting, key=lambda w: (not w.urgent, -w.minutes, w.alias))


def wait_minutes(created_at: int, now: int) -> int:
    """Whole minutes since `created_at` (never negative)."""
    return max(0, (now - created_at) // 60)


def card_due(shown: int | None, minutes: int) -> bool:
    """Edit a waiting card? Only when its minutes changed since last shown: at most once a minute."""
    return shown != minutes


# -- the wrap-up after End ----------------------------------------------------------------------------------


def wrapup_data(prefix: str, wrapup: int, choice: str) -> str:
    """Callback data of a wrap-up button (under Telegram's 64 bytes)."""
    return f"{prefix}{WRAP}|{wrapup}|{choice}"


@dataclass(frozen=True, slots=True)
class WrapupTap:
    """A wrap-up button read back: the wrap-up's id, the step it answers and the choice."""

    wrapup: int
    step: str
    choice: str

    @property
    def counter(self) -> str:
        """The anonymous counter it adds one to: wrapup_outcome:referred, wrapup_followup:yes."""
        return f"{COUNTER[self.step]}:{self.choice}"

    @property
    def next_step(self) -> str:
        return NEXT_STEP[self.step]


def read_wrapup(data: str, prefix: str) -> WrapupTap | None:
    """The tap `data` stands for, or None when it is not a wrap-up choice we offer (crafted data is refused)."""
    parts = data.removeprefix(prefix).split("|")
    if not data.startswith(prefix) or len(parts) != 3 or parts[0] != WRAP or not parts[1].isdigit():
        return None
    choice = parts[2]
    step = next((s for s, choices in STEPS.items() if choice in choices), None)
    return None if step is None else WrapupTap(int(parts[1]), step, choice)


def choices(step: str) -> Sequence[str]:
    return STEPS.get(step, ())
