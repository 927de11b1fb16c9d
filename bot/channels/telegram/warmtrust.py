"""What each side of the warm line sees is true, on Telegram: thin adapters over bot.warmline.relaying and
bot.warmline.permissions for bot.channels.telegram.warmline.

- relays are shaped (`person_relay`, `supporter_relay`): the person's words can never pass for a bot note, a
  reply keeps a short quote of what it answers, edits travel as corrections ("edited: ...");
- a contact, location or document waits (`hold`) until the person confirms what the supporter will see
  (`share`); a contact goes without its phone number;
- the one "number N in line" message is cleared (`clear_waiting`: a final line, no buttons) when the wait ends;
- an old button answers truthfully (`out_of_date`) and does nothing else.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar

from telegram import Message
from telegram.error import BadRequest, TelegramError

from bot.channels.telegram.edge import Edge
from bot.core.types import Button, Reply
from bot.store.database import Store
from bot.warmline import relaying
from bot.warmline.relaying import Relay
from bot.warmline.rules import WarmlineText, alias

T = TypeVar("T")
TOPIC_NAME = re.compile(r"^(⚠ )?Guest [0-9A-F]{3} · ")  # bot.warmline.rules.topic_name's shape
CONSENT_KEYS = {
    "contact": "share_contact",
    "location": "share_location",
    "venue": "share_location",
    "document": "share_document",
}


class Holder(Protocol):
    """What holding a message for consent uses (the Warmline, or its person-side helpers)."""

    @property
    def edge(self) -> Edge: ...

    @property
    def store(self) -> Store: ...

    @property
    def text(self) -> WarmlineText: ...


class Warmline(Protocol):
    """What these adapters use of bot.channels.telegram.warmline.Warmline (which imports this module: a
    Protocol here, not an import back, keeps the two free of a cycle)."""

    @property
    def edge(self) -> Edge: ...

    @property
    def store(self) -> Store: ...

    @property
    def text(self) -> WarmlineText: ...

    @property
    def bot(self) -> Any: ...

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T: ...

    async def relay_payload(self, row: dict[str, Any], payload: dict[str, Any], update_id: int | None) -> None: ...


FIELDS = ("text", "contact", "venue", "location", "document", *relaying.CAPTIONED, "sticker", "video_note")


def kind(message: Message) -> str:
    """The kind of a message ("text", "photo", "contact"...)."""
    return relaying.kind_of({name: getattr(message, name, None) for name in FIELDS})


def replied_text(message: Message) -> str | None:
    """The text (or caption) of the bot's message this one replies to; None when it replies to nothing (in a
    forum topic every message "replies" to the topic's first service message: that is not a reply), or to
    someone else's message: a person's own earlier words were never meant for the supporter, and a colleague's
    message in the topic never for the person."""
    reply = message.reply_to_message
    if reply is None or reply.forum_topic_created is not None:
        return None
    if message.message_thread_id is not None and reply.message_id == message.message_thread_id:
        return None
    if reply.from_user is None or not reply.from_user.is_bot:
        return None
    return reply.text or reply.caption or None


def person_relay(text: WarmlineText, token: str, message: Message) -> Relay:
    """The person's message as it goes into the topic (see bot.warmline.relaying.person_in)."""
    guest, mark = alias(token), text.staff_say("note_mark")
    replied = replied_text(message)
    replying = None
    if replied:
        replying = text.staff_say("replying", quote=relaying.quote(relaying.unwrap(replied, guest, mark)))
    return relaying.person_in(
        guest, mark, text=message.text, caption=message.caption, kind=kind(message), replying=replying
    )


def supporter_context(text: WarmlineText, token: str, lang: str, message: Message) -> str | None:
    """The line that keeps a supporter's reply in context for the person ("(Replying to “...”)"), or None."""
    replied = replied_text(message)
    mark = text.staff_say("note_mark")
    if not replied or replied.startswith(mark):  # the bot's own notes to the team are not for the person
        return None
    quoted = relaying.quote(relaying.unwrap(replied, alias(token), mark))
    return text.say("replying", lang, quote=quoted)


def words_in(text: WarmlineText, token: str, payload: dict[str, Any], message: Message | None) -> dict[str, Any]:
    """The relay payload of a person's message, shaped so it never passes for a bot note and keeps a reply's
    context: from the Telegram message, or (another channel) from the words alone."""
    if message is not None:
        return person_relay(text, token, message).payload(message.chat_id, message.message_id)
    words = payload.get("text")
    if not isinstance(words, str):
        return payload
    shaped = relaying.person_in(alias(token), text.staff_say("note_mark"), text=words, caption=None, kind="text")
    return {**payload, "text": shaped.text}


def edited_words(message: Message) -> str | None:
    """The new words of an edited message (its text or caption), or None (an edited live location...)."""
    return message.text or message.caption or None


def was_warmline_topic(message: Message) -> bool:
    """The message was written in a topic the warm line opened (its name is "Guest 4F2 · ..."), though no
    conversation lives there now: writing there reaches nobody."""
    reply = message.reply_to_message
    created = reply.forum_topic_created if reply is not None else None
    return created is not None and bool(TOPIC_NAME.match(created.name))


# -- consent ------------------------------------------------------------------------------------------------


def needs_consent(message: Message) -> bool:
    return kind(message) in CONSENT_KEYS


def consent_relay(text: WarmlineText, token: str, message: Message) -> Relay:
    """What is relayed once the person says yes: a contact as its name only; a place or file as a copy."""
    if message.contact is not None:
        name = relaying.contact_words(message.contact.first_name, message.contact.last_name)
        return Relay(text=relaying.person_words(alias(token), text.staff_say("contact_shared", name=name)), send="text")
    return relaying.person_in(
        alias(token), text.staff_say("note_mark"), text=None, caption=message.caption, kind=kind(message)
    )


async def hold(warm: Holder, row: dict[str, Any], message: Message, lang: str, prefix: str) -> Reply:
    """Keep the message unrelayed and ask the person to confirm what the supporter will see."""
    relay = consent_relay(warm.text, row["token"], message)
    held = await warm.store.held_add(
        row["id"], row["person"], relay.payload(message.chat_id, message.message_id), warm.edge.clock()
    )
    name = ""
    if message.contact is not None:
        name = relaying.contact_words(message.contact.first_name, message.contact.last_name)
    buttons = (
        (
            Button(warm.text.say("share_yes_button", lang), f"{prefix}share|{held}"),
            Button(warm.text.say("share_no_button", lang), f"{prefix}noshare|{held}"),
        ),
    )
    return Reply(warm.text.say(CONSENT_KEYS[kind(message)], lang, name=name), buttons)


async def share(
    warm: Warmline, person: str, held: int, yes: bool, update_id: int | None
) -> tuple[dict[str, Any], bool] | None:
    """The person answered the consent question: relay the held message (yes) or drop it. Returns the
    handoff row and whether it was relayed; None when nothing was held any more (an old question)."""
    found = await warm.store.held_take(held, person)
    if found is None:
        return None
    rows = await warm.store.handoffs(handoff=found[0])
    if not rows or rows[0]["status"] not in ("queued", "taken", "leaving", "left"):
        return None
    if yes:
        await warm.relay_payload(rows[0], found[1], update_id)
    return rows[0], yes


# -- screens that stop being true -----------------------------------------------------------------------------


async def clear_waiting(warm: Warmline, row: dict[str, Any], key: str) -> None:
    """The wait is over (taken, cancelled, closed): the place-in-line message says so in a final line and
    loses its Cancel button, so it can never be tapped into ending what came after."""
    if row.get("waiting") is None:
        return
    chat = await warm.store.chat_id(row["person"])
    if chat is None:
        return
    with contextlib.suppress(TelegramError):
        await warm._call(
            partial(
                warm.bot.edit_message_text, warm.text.say(key, row["language"]), chat, row["waiting"], reply_markup=None
            )
        )


async def drop_buttons(warm: Warmline, chat: int, message: int | None) -> None:
    """Take the buttons off a message the person tapped (an answered question, an old screen)."""
    if message is None:
        return
    with contextlib.suppress(TelegramError):
        await warm._call(partial(warm.bot.edit_message_reply_markup, chat, message, reply_markup=None))


def not_modified(exc: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing: the message already says it."""
    return "not modified" in exc.message.lower()
