"""Privacy, the pure part: what /privacy says (generated from the real settings), quiet erase choices, and
"can't talk now" (brief mode).

The words are flows/privacy-text.yaml, loaded by bot.content.privacywords. Nothing here does I/O: erasing,
quiet erase and retention are bot.runtime.forget; the /privacy handler is bot.channels.telegram.privacy.
"""

from __future__ import annotations

from typing import Protocol

from bot.content.privacywords import PrivacyWords
from bot.core.numbers import whole_number
from bot.core.text import fold
from bot.core.types import Button, Reply

MESSAGE_ID_HOURS = 48  # Telegram lets a bot delete messages in a private chat for 48 hours
QUIET_CHOICES = (1, 6, 24)  # hours a person may pick for quiet erase; all under MESSAGE_ID_HOURS
DATA_PREFIX = "pv"  # callback data of the /privacy buttons: "pv|q|6", "pv|q|0" (off)
BRIEF_TEXT_CHARS = 90  # a brief screen's text is its first sentence, cut to this
BRIEF_LABEL_WORDS = 3
BRIEF_EXTRA_WORDS = 3  # "can't talk" still counts with this many other words around it
# Blanks the engine fills from Event.topics (flows/bot.yaml has `NAME_deleted` with {days}, and `NAME_kept`):
# the consent screen before connecting (flows/talk.yaml) and /forget's question (flows/privacy.yaml) say what
# happens to a talk's copy in the supporters' group, as the running settings decide.
TOPIC_BLANKS = ("topics_kept", "topics_forget")


class Kept(Protocol):
    """The settings what is kept depends on (bot.settings.Settings has them)."""

    @property
    def session_days(self) -> int: ...

    @property
    def handoff_days(self) -> int: ...

    @property
    def warmline_chat_ids(self) -> tuple[int, ...]: ...

    @property
    def keep_topics(self) -> bool: ...


# -- what is kept, in plain words --------------------------------------------------------------------------


def duration(words: PrivacyWords, lang: str, *, days: int | None = None, hours: int | None = None) -> str:
    """ "30 days", "1 hour", in `lang`."""
    if days is not None:
        return words.text("day", lang) if days == 1 else words.text("days", lang, n=days)
    assert hours is not None
    return words.text("hour", lang) if hours == 1 else words.text("hours", lang, n=hours)


def kept_text(words: PrivacyWords, settings: Kept, lang: str) -> str:
    """Exactly what is kept and for how long, from the settings the bot runs with."""
    lines = [
        words.text("title", lang),
        words.text("identity", lang),
        words.text("session", lang, days=duration(words, lang, days=settings.session_days)),
    ]
    if settings.warmline_chat_ids:
        days = duration(words, lang, days=settings.handoff_days)
        if settings.keep_topics:  # WARMLINE_KEEP_TOPICS=1: the topics stay in the group; we keep nothing after
            lines += [words.text("handoff_kept", lang), words.text("group_kept", lang)]
        else:
            lines += [words.text("handoff", lang, days=days), words.text("group", lang, days=days)]
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
    return hours if hours is not None and (hours == 0 or hours in QUIET_CHOICES) else None


def privacy_screen(words: PrivacyWords, settings: Kept, lang: str, quiet_hours: int | None) -> Reply:
    """The /privacy screen: what is kept, the quiet-erase state, its choices, and how to erase now."""
    if quiet_hours:
        state = words.text("quiet_on", lang, hours=duration(words, lang, hours=quiet_hours))
    else:
        state = words.text("quiet_off", lang)
    text = f"{kept_text(words, settings, lang)}\n\n{words.text('forget', lang)}\n\n{state}"
    choices = tuple(Button(duration(words, lang, hours=h), quiet_data(h)) for h in QUIET_CHOICES if h != quiet_hours)
    rows: tuple[tuple[Button, ...], ...] = (choices,)
    if quiet_hours:
        rows += ((Button(words.text("quiet_off_button", lang), quiet_data(0)),),)
    return Reply(text, rows)


def quiet_confirmation(words: PrivacyWords, lang: str, hours: int) -> str:
    """What a person is told after choosing (0: off)."""
    if not hours:
        return words.text("quiet_cleared", lang)
    return words.text("quiet_set", lang, hours=duration(words, lang, hours=hours))


# -- the warm line's setting -------------------------------------------------------------------------------


def delete_topics(settings: Kept) -> bool:
    """Whether the warm line deletes topics from the supporters' group (on /forget, and handoff_days after a
    conversation ends): yes, unless staff set WARMLINE_KEEP_TOPICS=1. WARMLINE_DELETE_TOPICS is obsolete: deleting
    is the default now, and the old setting changes nothing."""
    return not settings.keep_topics


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
    yes_no = (
        text.endswith("?")
        and len(singles) >= 2
        and _starts_with(singles[0].label, yes)
        and _starts_with(singles[1].label, no)
    )
    short_rows: list[tuple[Button, ...]] = []
    for index, row in enumerate(rows):
        if yes_no and index < 2 and len(row) == 1:
            short_rows.append((Button(yes if index == 0 else no, row[0].data),))
        else:
            short_rows.append(tuple(Button(_short_label(b.label), b.data) for b in row))
    return Reply(text, tuple(short_rows))


def _starts_with(label: str, word: str) -> bool:
    folded, wanted = fold(label).split(), fold(word).split()
    return bool(wanted) and folded[: len(wanted)] == wanted


def _first_sentence(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    for index, char in enumerate(first):
        if char in ".?!" and (index + 1 == len(first) or first[index + 1] == " "):
            first = first[: index + 1]
            break
    if len(first) <= BRIEF_TEXT_CHARS:
        return first
    cut = first[:BRIEF_TEXT_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def _short_label(label: str) -> str:
    parts = label.split()
    return label if len(parts) <= BRIEF_LABEL_WORDS else " ".join(parts[:BRIEF_LABEL_WORDS]) + "…"
