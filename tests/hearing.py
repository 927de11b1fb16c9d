"""The labelled phrases of tests/hear_phrases.yaml, run through the real engine (shared by the test and the bench)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.content.loader import Content
from bot.conversation.engine import advance, enter
from bot.core.types import Event, Session

PHRASES = Path(__file__).resolve().parent / "hear_phrases.yaml"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("America/Edmonton"))


@dataclass(frozen=True, slots=True)
class Phrase:
    """One labelled message: its language, what it is, and whether it is held out from tuning."""

    lang: str
    intent: str
    text: str
    held_out: bool = False


def phrases() -> list[Phrase]:
    """Every labelled phrase, in file order."""
    raw = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))["phrases"]
    return [Phrase(str(p["lang"]), str(p["intent"]), str(p["text"]), bool(p.get("held_out", False))) for p in raw]


def heard(content: Content, phrase: Phrase) -> str:
    """What the engine made of the phrase, sent on the main menu: an intent, "other", or "none" (a request)."""
    lang = phrase.lang if phrase.lang in content.languages else content.default_language
    session = enter(content, Session(language=lang), content.flows.entry("menu"), NOW).session
    turn = advance(content, session, Event("text", text=phrase.text), NOW)
    for action in turn.actions:
        name = str(action.get("name") or "")
        if name.startswith("heard:"):
            return name.removeprefix("heard:")
        if name.startswith("other_language:"):
            return "other"
    return "none"


def figures(content: Content, chosen: list[Phrase]) -> dict[tuple[str, str], tuple[int, int]]:
    """(language, intent) -> (heard right, total) over `chosen`."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for phrase in chosen:
        lang = phrase.lang if phrase.lang in content.languages else "other"
        cell = out[(lang, phrase.intent)]
        cell[0] += heard(content, phrase) == phrase.intent
        cell[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}
