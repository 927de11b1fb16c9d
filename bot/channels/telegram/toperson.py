"""The warm line's way to a person, on any channel: every note and every relayed word is an Outgoing queued in
the runtime's outbox (bot.runtime.outbox), so it is durable before anything is promised, sent in order with the
turn's own replies, and retried after an outage without waiting for a restart.

    supporter's message ─► PersonLine.relay ─► outbox row (+ the relayed update, one transaction) ─► deliver
                                                  └─ Telegram person: a copy (copyMessage); elsewhere: the words,
                                                     or flows/warmline.yaml's note that something was sent

Nothing here assumes a Telegram chat id for the person: the person's stored address ("web:ab12") picks the
channel through the runtime's Senders.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Message

from bot.core.types import Button, Reply
from bot.runtime.outbox import Outbox
from bot.runtime.ports import Copy, Outgoing, address, parse_address
from bot.store.database import Store

log = logging.getLogger(__name__)
CHANNEL = "telegram"  # the channel whose people get copies of supporters' messages
Rows = tuple[tuple[tuple[str, str], ...], ...]  # buttons as (label, callback data) rows


def person_buttons(rows: Rows) -> tuple[tuple[Button, ...], ...]:
    """The warm line's (label, data) rows as the runtime's buttons."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


def relayed(chat: str, message: Message, media_note: str) -> Outgoing:
    """A supporter's message for the person at `chat`: a Telegram person gets a copy (any kind, as it was); on
    another channel, its words, or `media_note` (with the caption) for what that channel cannot show."""
    channel, _ = parse_address(chat)
    if channel == CHANNEL:  # the copy carries the words; the outbox keeps none of them
        return Outgoing(chat, Reply(media_note), Copy(str(message.chat_id), message.message_id))
    if message.text:
        return Outgoing(chat, Reply(message.text, by="supporter"))
    return Outgoing(
        chat, Reply(f"{media_note}\n\n{message.caption}" if message.caption else media_note, by="supporter")
    )


class PersonLine:
    """Sends the warm line's messages to people through the outbox; deliveries run beside the caller (tracked in
    `tasks`, so stopping can wait for them) unless the caller needs the sent message's id."""

    def __init__(self, outbox: Outbox, store: Store, tasks: set[asyncio.Task[None]]) -> None:
        self.outbox, self.store, self.tasks = outbox, store, tasks

    async def where(self, person: str) -> str | None:
        """The person's address as the runtime routes it ("telegram:123", "web:ab12"); None if none is stored."""
        chat = await self.store.chat(person)
        return None if chat is None else address(*parse_address(chat))

    async def say(self, person: str, reply: Reply, *, wait: bool = False, waiting: int | None = None) -> int | None:
        """Queue one note for the person and send it; with `wait`, its message id once sent (else None).
        `waiting`: it is that handoff's place in line (see Outgoing)."""
        chat = await self.where(person)
        if chat is None:
            return None
        rows = await self.outbox.enqueue(person, [Outgoing(chat, reply, waiting=waiting)], watch=wait)
        if not wait or not rows:
            self.deliver(person)
            return None
        await self.outbox.deliver(person)
        return self.outbox.sent_id(rows[-1])

    async def relay(
        self,
        row: dict[str, Any],
        message: Message,
        update_id: int,
        media_note: str,
        *,
        intro: Reply | None = None,
        text: str | None = None,
    ) -> bool:
        """Queue a supporter's message (after `intro`, when given) for the handoff's person, once per update, and
        send it; False when there is nowhere to send it or the update was relayed already. With `text` (a reply
        with its context, an edit: bot.channels.telegram.warmtrust), that text is sent instead."""
        person = row["person"]
        chat = await self.where(person)
        if chat is None:
            return False
        messages = [Outgoing(chat, intro)] if intro else []
        messages.append(Outgoing(chat, Reply(text)) if text is not None else relayed(chat, message, media_note))
        if await self.outbox.enqueue(person, messages, relayed=(update_id, row["id"])) is None:
            return False
        self.deliver(person)
        return True

    async def adopt(self, row_id: int, person: str, payload: dict[str, Any], media_note: str) -> None:
        """A supporter's message an older version left in the relay table for the person: into the outbox."""
        chat = await self.where(person)
        if chat is not None:
            copy = Copy(str(payload["from_chat"]), int(payload["message_id"]))
            await self.outbox.enqueue(person, [Outgoing(chat, Reply(media_note), copy)])
            self.deliver(person)
        await self.store.relay_done(row_id)

    def deliver(self, person: str) -> None:
        """Send what the person has queued, beside the caller (in order: the outbox holds one lock per person)."""
        task = asyncio.create_task(self._deliver(person))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, person: str) -> None:
        try:
            await self.outbox.deliver(person)
        except Exception:  # the rows stay queued: the runtime's housekeeping tries again
            log.exception("sending the warm line's queued messages to a person failed; kept queued")
