"""What a relayed message looks like, pure: the person's words, the supporter's, and the bot's own notes.

Everything the bot puts in a topic appears as sent by the bot, so the two kinds are told apart by how they
start (docs/warm-line.md, "Telling the person's words from the bot's notes"):

- every note, card and answer of the bot starts with the note mark (flows/warmline.yaml `staff.note_mark`,
  "🤖 Bot note"), on a line of its own (`note`);
- the person's words never do: a message is copied as it is only when it cannot be read as starting with the
  mark (`looks_like_note`: invisible, control and direction characters are ignored); otherwise, and whenever
  the bot has to write the person's words itself (an edit, a reply's context, a contact), it sends them after
  "Guest 4F2: " (`person_words`), so the mark is never first.

A relay is a `Relay`: copy the original (optionally with a new caption), or send a text. It travels in the
store's relay queue as its `payload()`; bot.channels.telegram.relaycalls turns a payload into the Bot API call.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

QUOTE_MAX = 60  # characters of the message replied to, quoted for context
CONSENT_KINDS = ("contact", "location", "venue", "document")  # never relayed before the person says yes
CAPTIONED = ("photo", "video", "document", "audio", "voice", "animation")  # kinds Telegram lets us caption
SEND, COPY = "text", "copy"


@dataclass(frozen=True, slots=True)
class Relay:
    """One message to relay: `text` to send as it is, or a copy of the original (with `caption` when set)."""

    text: str | None = None  # the text to send (send="text"), or the original's plain text (for merging)
    send: str = COPY
    caption: str | None = None

    def payload(self, from_chat: int, message_id: int) -> dict[str, Any]:
        """The JSON the relay queue stores (encrypted) for this message."""
        found: dict[str, Any] = {"from_chat": from_chat, "message_id": message_id, "text": self.text}
        if self.send != COPY:
            found["send"] = self.send
        if self.caption is not None:
            found["caption"] = self.caption
        return found


def visible(text: str) -> str:
    """The text as a reader sees its start: format (zero-width, direction) and control characters dropped,
    NFKC (look-alike widths folded), leading spaces trimmed."""
    kept = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) not in ("Cf", "Cc"))
    return kept.lstrip()


def _bare_mark(mark: str) -> str:
    return visible(mark).split("\n", 1)[0]


def looks_like_note(text: str, mark: str) -> bool:
    """Whether a person's text could be read as the bot's note: it starts with the mark's first symbol, or with
    the mark's words (any case), once invisible characters are ignored."""
    seen, bare = visible(text), _bare_mark(mark)
    if not bare or not seen:
        return False
    symbol = bare.split()[0]
    words = bare.removeprefix(symbol).strip().casefold()
    return seen.startswith(symbol) or (bool(words) and seen.casefold().startswith(words))


def note(mark: str, text: str) -> str:
    """A note of the bot: the mark on its own first line, then the text (once: a marked text stays as it is)."""
    if not mark or text.startswith(mark):
        return text
    return f"{mark}\n{text}"


def person_words(guest: str, body: str) -> str:
    """The person's words written by the bot: "Guest 4F2: ..." (never starting with the note mark)."""
    return f"{guest}: {body}"


def quote(text: str | None, limit: int = QUOTE_MAX) -> str:
    """A short quote of what a message replies to: its first line, cut at `limit` with an ellipsis."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def unwrap(text: str | None, guest: str, mark: str) -> str:
    """What a relayed message said, without the bot's framing (the note mark, "Guest 4F2: "): for quotes."""
    found = text or ""
    if mark and found.startswith(mark):
        found = found[len(mark) :].lstrip("\n")
    found = found.removeprefix(f"{guest}: ")
    first, _, rest = found.partition("\n")
    if rest and first.startswith("(") and first.endswith(")"):  # the context of an earlier reply: not its words
        found = rest
    return found


def person_in(
    guest: str, mark: str, *, text: str | None, caption: str | None, kind: str, replying: str | None = None
) -> Relay:
    """A person's message for the topic. Plain text is copied unless it could pass for a note or it replies to
    something (then "Guest 4F2: " + the context + the words); a caption that could pass for a note is
    replaced by "Guest 4F2: caption"; other media are copied."""
    if text is not None:
        if replying is None and not looks_like_note(text, mark):
            return Relay(text=text)
        body = text if replying is None else f"{replying}\n{text}"
        return Relay(text=person_words(guest, body), send=SEND)
    if kind in CAPTIONED and (replying is not None or (caption and looks_like_note(caption, mark))):
        body = caption or ""
        if replying is not None:
            body = f"{replying}\n{body}".strip()
        return Relay(caption=person_words(guest, body))
    return Relay()


def person_edit(guest: str, edited: str) -> Relay:
    """A person corrected a message: "Guest 4F2: edited: ..." (`edited` is the staff words filled in)."""
    return Relay(text=person_words(guest, edited), send=SEND)


def supporter_out(text: str | None, replying: str | None) -> str | None:
    """A supporter's text for the person when it cannot simply be copied: a reply, with the quote of what it
    answers above the words. None: copy the message as it is (a photo's reply context goes just before it)."""
    if replying is None or text is None:
        return None
    return f"{replying}\n{text}"


def contact_words(first: str, last: str | None) -> str:
    """What a supporter sees of a shared contact: the name on the card, never its phone number."""
    return " ".join(p for p in (first.strip(), (last or "").strip()) if p)


def kind_of(fields: Mapping[str, object]) -> str:
    """The kind of a message from which of its fields are set ("text", "photo", "contact"...)."""
    for kind in ("text", "contact", "venue", "location", "document", *CAPTIONED, "sticker", "video_note"):
        if fields.get(kind):
            return kind
    return "other"
