"""Privacy, the pure part: what /privacy says (generated from the real settings), quiet erase choices,
retention, and "can't talk now" (brief mode).

The words live in flows/privacy-text.yaml; `load_privacy_words` reads and checks them (file:line problems,
as `check` prints them). Nothing here does I/O except reading that file and calling the store in
`purge_expired`; the Telegram side (deleting messages, jobs, the /privacy handler) is bot/channels/telegram/erase.py.
"""

from __future__ import annotations

import string
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bot.content.flows import Text, display_path
from bot.conversation.safety import fold
from bot.core.numbers import whole_number
from bot.core.problems import Problem
from bot.core.types import Button, Reply
from bot.core.yamlfile import Positions, read_yaml
from bot.settings import Settings

if TYPE_CHECKING:  # the store is only called, in purge_expired; the pure helpers never need it
    from bot.store.database import Store

WORDS_FILE = "privacy-text.yaml"
LANGUAGES = ("en", "fr", "es", "tl")
MESSAGE_ID_HOURS = 48          # Telegram lets a bot delete messages in a private chat for 48 hours
QUIET_CHOICES = (1, 6, 24)     # hours a person may pick for quiet erase; all under MESSAGE_ID_HOURS
DATA_PREFIX = "pv"             # callback data of the /privacy buttons: "pv|q|6", "pv|q|0" (off)
BRIEF_TEXT_CHARS = 90          # a brief screen's text is its first sentence, cut to this
BRIEF_LABEL_WORDS = 3
BRIEF_EXTRA_WORDS = 3          # "can't talk" still counts with this many other words around it

# Each text, and the {blanks} it may use.
TEXT_KEYS: Mapping[str, frozenset[str]] = MappingProxyType({
    "title": frozenset(), "identity": frozenset(), "session": frozenset({"days"}),
    "handoff": frozenset({"days"}), "message_ids": frozenset({"hours"}), "words": frozenset(),
    "counts": frozenset(), "forget": frozenset(),
    "quiet_off": frozenset(), "quiet_on": frozenset({"hours"}), "quiet_set": frozenset({"hours"}),
    "quiet_cleared": frozenset(), "quiet_off_button": frozenset(),
    "hour": frozenset(), "hours": frozenset({"n"}), "day": frozenset(), "days": frozenset({"n"}),
    "yes_button": frozenset(), "no_button": frozenset(),
    "brief_supporter": frozenset(), "brief_supporter_off": frozenset(),
})


@dataclass(frozen=True, slots=True)
class PrivacyWords:
    """flows/privacy-text.yaml, loaded: each text in every language, and the "can't talk now" words."""

    texts: Mapping[str, Text]
    brief_words: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def text(self, key: str, lang: str, **values: object) -> str:
        """The text `key` in `lang` (English if missing there), with its {blanks} filled."""
        raw = self.texts[key].get(lang, "en")
        return raw.format(**values) if values else raw


def load_privacy_words(folder: Path) -> tuple[PrivacyWords | None, list[Problem]]:
    """Read and check folder/privacy-text.yaml; None (and the problems) when it cannot be used."""
    path = folder / WORDS_FILE
    shown = display_path(path)
    if not path.is_file():
        return None, [Problem(shown, 0, 0, "", "is missing: restore it from git (the /privacy words live "
                              "there)", subject="file")]
    data, pos, problems = read_yaml(path, shown)
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        problems.append(pos.problem((), "", "needs a `texts:` mapping of text names to languages",
                                    subject="file"))
        return None, problems
    texts: dict[str, Text] = {}
    for key, blanks in TEXT_KEYS.items():
        raw = data["texts"].get(key)
        if not isinstance(raw, dict):
            problems.append(pos.problem(("texts",), key, "is missing: add it with en, fr, es and tl",
                                        subject="text", on_key=True))
            continue
        by_lang = {str(lang): str(value) for lang, value in raw.items() if isinstance(value, str) and value}
        for lang in LANGUAGES:
            if lang not in by_lang:
                problems.append(pos.problem(("texts", key), key, f"has no '{lang}' text: add `{lang}: ...`",
                                            subject="text", on_key=True))
        for lang, value in by_lang.items():
            here = pos.problem(("texts", key, lang), key, "", subject="text")
            problems += _blank_problems(value, blanks, here)
        texts[key] = Text(MappingProxyType(by_lang))
    for key in data["texts"]:
        if key not in TEXT_KEYS:
            problems.append(pos.problem(("texts", key), str(key), "is not a text bot/conversation/privacy.py uses: "
                                        f"use one of {', '.join(TEXT_KEYS)}", subject="text", on_key=True,
                                        warning=True))
    brief = _brief_words(data.get("brief_words"), pos, problems)
    if any(p.is_error for p in problems):
        return None, problems
    return PrivacyWords(MappingProxyType(texts), brief), problems


def _blank_problems(value: str, allowed: frozenset[str], at: Problem) -> list[Problem]:
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError:
        return [Problem(at.path, at.line, at.col, at.node,
                        "has an unmatched { or }: write {{ or }} for a brace", subject="text")]
    wrong = sorted(used - allowed)
    if not wrong:
        return []
    may = ", ".join(f"{{{b}}}" for b in sorted(allowed)) or "no blanks"
    return [Problem(at.path, at.line, at.col, at.node,
                    f"uses {{{wrong[0]}}}, but this text may use only {may}", subject="text")]


def _brief_words(raw: Any, pos: Positions, problems: list[Problem]) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.append(pos.problem((), "brief_words", "is missing: add a list of \"can't talk now\" phrases "
                                    "per language", subject="key"))
        return MappingProxyType({})
    found: dict[str, tuple[str, ...]] = {}
    for lang, words in raw.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and fold(w) for w in words):
            problems.append(pos.problem(("brief_words", lang), str(lang), "should be a list of phrases",
                                        subject="brief_words"))
            continue
        found[str(lang)] = tuple(dict.fromkeys(fold(w) for w in words))
    return MappingProxyType(found)


# -- what is kept, in plain words --------------------------------------------------------------------------


def duration(words: PrivacyWords, lang: str, *, days: int | None = None, hours: int | None = None) -> str:
    """"30 days", "1 hour", in `lang`."""
    if days is not None:
        return words.text("day", lang) if days == 1 else words.text("days", lang, n=days)
    assert hours is not None
    return words.text("hour", lang) if hours == 1 else words.text("hours", lang, n=hours)


def kept_text(words: PrivacyWords, settings: Settings, lang: str) -> str:
    """Exactly what is kept and for how long, from the settings the bot runs with."""
    lines = [
        words.text("title", lang),
        words.text("identity", lang),
        words.text("session", lang, days=duration(words, lang, days=settings.session_days)),
    ]
    if settings.warmline_chat_ids:
        lines.append(words.text("handoff", lang, days=duration(words, lang, days=settings.handoff_days)))
    lines += [
        words.text("message_ids", lang, hours=duration(words, lang, hours=MESSAGE_ID_HOURS)),
        words.text("words", lang),
        words.text("counts", lang),
    ]
    return "\n".join(lines)


def quiet_data(hours: int) -> str:
    """Callback data of a quiet-erase button; 0 turns it off."""
    return f"{DATA_PREFIX}|q|{hours}"


def quiet_choice(data: str) -> int | None:
    """The hours a /privacy button stands for (0: off), or None if `data` is not one of ours."""
    parts = data.split("|")
    hours = whole_number(parts[2]) if len(parts) == 3 and parts[0] == DATA_PREFIX and parts[1] == "q" else None
    if hours is not None and (hours == 0 or hours in QUIET_CHOICES):
        return hours
    return None


def privacy_screen(words: PrivacyWords, settings: Settings, lang: str, quiet_hours: int | None) -> Reply:
    """The /privacy screen: what is kept, the quiet-erase state, its choices, and how to erase now."""
    if quiet_hours:
        state = words.text("quiet_on", lang, hours=duration(words, lang, hours=quiet_hours))
    else:
        state = words.text("quiet_off", lang)
    text = f"{kept_text(words, settings, lang)}\n\n{words.text('forget', lang)}\n\n{state}"
    choices = tuple(Button(duration(words, lang, hours=h), quiet_data(h)) for h in QUIET_CHOICES
                    if h != quiet_hours)
    rows: tuple[tuple[Button, ...], ...] = (choices,)
    if quiet_hours:
        rows += ((Button(words.text("quiet_off_button", lang), quiet_data(0)),),)
    return Reply(text, rows)


def quiet_confirmation(words: PrivacyWords, lang: str, hours: int) -> str:
    """What a person is told after choosing (0: off)."""
    if not hours:
        return words.text("quiet_cleared", lang)
    return words.text("quiet_set", lang, hours=duration(words, lang, hours=hours))


# -- retention ----------------------------------------------------------------------------------------------

# The warm line's purge of closed handoffs past `days`: (now, days) -> rows deleted.
HandoffPurge = Callable[[datetime, int], Awaitable[int]]


@dataclass
class WarmLineHooks:
    """What the warm line registers so erase, retention and "can't talk now" reach its topics and tables.

    close_topic(person, delete): close (or delete) the person's open topic, before their rows are forgotten.
    purge_closed(now, days): delete handoff records closed more than `days` ago; returns rows deleted.
    note_brief(person, note): post `note` in the person's live topic; False if no handoff is live.
    """

    close_topic: Callable[[str, bool], Awaitable[None]] | None = None
    purge_closed: HandoffPurge | None = None
    note_brief: Callable[[str, str], Awaitable[bool]] | None = None


async def purge_expired(store: Store, settings: Settings, now: datetime,
                        hooks: WarmLineHooks | None = None) -> int:
    """Delete what is past its time: sessions idle past session_days, message ids past 48 hours, relayed update
    ids past 2 days, closed handoffs past handoff_days (through the warm line's hook, when it sets one), and
    quiet-erase choices of expired sessions.
    Only anonymous daily counts remain. Returns how many rows went.
    """
    gone = await store.purge(now, session_days=settings.session_days, sent_hours=MESSAGE_ID_HOURS)
    gone += await store.purge_quiet_erase()
    gone += await store.purge_relayed(now)
    if hooks is not None and hooks.purge_closed is not None:
        gone += await hooks.purge_closed(now, settings.handoff_days)
    return gone


def delete_topics(settings: Settings) -> bool:
    """WARMLINE_DELETE_TOPICS=1: on /forget the warm line deletes the person's topic instead of closing it."""
    return settings.extra.get("WARMLINE_DELETE_TOPICS", "").strip().lower() in ("1", "true", "yes")


# -- "can't talk now" ---------------------------------------------------------------------------------------


def wants_brief(words: PrivacyWords, text: str, lang: str) -> bool:
    """True when a short message says "I can't talk now" in `lang` or English (whole words, no typos
    forgiven: this is not a danger check, and a long message that merely contains the phrase is a request)."""
    folded = fold(text)
    if not folded:
        return False
    padded, count = f" {folded} ", len(folded.split())
    phrases = {*words.brief_words.get(lang, ()), *words.brief_words.get("en", ())}
    return any(f" {p} " in padded and count <= len(p.split()) + BRIEF_EXTRA_WORDS for p in phrases)


def brief_reply(reply: Reply, words: PrivacyWords, lang: str) -> Reply:
    """A screen made short for someone who may be watched: the first sentence only, labels of a few words,
    no links, and a question whose first two options start with yes/no shown as just "Yes" / "No"."""
    rows = tuple(row for row in (tuple(b for b in row if b.url is None) for row in reply.buttons) if row)
    yes, no = words.text("yes_button", lang), words.text("no_button", lang)
    singles = [row[0] for row in rows if len(row) == 1]
    text = _first_sentence(reply.text)
    yes_no = (text.endswith("?") and len(singles) >= 2
              and _starts_with(singles[0].label, yes) and _starts_with(singles[1].label, no))
    short_rows: list[tuple[Button, ...]] = []
    for index, row in enumerate(rows):
        if yes_no and index < 2 and len(row) == 1:
            short_rows.append((Button(yes if index == 0 else no, row[0].data),))
        else:
            short_rows.append(tuple(Button(_short_label(b.label), b.data) for b in row))
    return Reply(text, tuple(short_rows))


def _starts_with(label: str, word: str) -> bool:
    folded, wanted = fold(label).split(), fold(word).split()
    return bool(wanted) and folded[:len(wanted)] == wanted


def _first_sentence(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    for index, char in enumerate(first):
        if char in ".?!" and (index + 1 == len(first) or first[index + 1] == " "):
            first = first[:index + 1]
            break
    if len(first) <= BRIEF_TEXT_CHARS:
        return first
    cut = first[:BRIEF_TEXT_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def _short_label(label: str) -> str:
    parts = label.split()
    return label if len(parts) <= BRIEF_LABEL_WORDS else " ".join(parts[:BRIEF_LABEL_WORDS]) + "…"
