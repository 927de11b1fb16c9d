"""Leaving a message for the team, pure: when the person is done, and how the parts they wrote become one post.

A person may write their message in several parts; it goes to the team as one when they say they are done (the
Done button, or one of flows/warmline.yaml's `done_words` in their language) or after a quiet minute. Texts are
joined into as few posts as Telegram allows; anything else (a photo, a voice note) is copied as it was, after.
Nothing here does I/O or reads a clock: bot.channels.telegram.leftmessages asks and acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.text import fold
from bot.warmline.rules import TEXT_MAX

QUIET_SECONDS = 60  # no new part for this long: the message is sent as it is
SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a message being left: its row in the store and its words (None: a photo, a file...)."""

    row: int
    text: str | None


def is_done(text: str, done_words: str) -> bool:
    """The person's text says they have finished ("done", "fini", "listo"...): one of the comma-separated
    `done_words`, alone, whatever the case, accents or punctuation around it."""
    said = fold(text).strip(" .!¡?¿")
    return bool(said) and said in {fold(w).strip() for w in done_words.split(",") if w.strip()}


def quiet(last_part: int | None, now: int, seconds: int = QUIET_SECONDS) -> bool:
    """No new part for `seconds` since the last one (UTC seconds), so the message goes as it is."""
    return last_part is not None and now - last_part >= seconds


def posts(parts: Sequence[Part], limit: int = TEXT_MAX) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(the texts to post, joined into as few messages of at most `limit` as they fit in, in order; the rows of
    the parts to copy as they are). A part longer than `limit` on its own is cut into pieces."""
    texts: list[str] = []
    for part in parts:
        if part.text is None:
            continue
        for start in range(0, max(len(part.text), 1), limit):
            piece = part.text[start : start + limit]
            if texts and len(texts[-1]) + len(SEPARATOR) + len(piece) <= limit:
                texts[-1] += SEPARATOR + piece
            else:
                texts.append(piece)
    return tuple(t for t in texts if t), tuple(p.row for p in parts if p.text is None)
