"""The runtime's ports: what a channel implements so the channel-neutral runtime can reach people and supporters.

    channel adapter ──Inbound──► runtime (bot.runtime.turns) ──PersonSender──► the person's channel
                                        └──────────────────── StaffRoom ─────► the supporters' room

A channel (bot/channels/NAME/) turns what arrived into an `Inbound` and gives the runtime a `PersonSender`; the
warm line is given a `StaffRoom`. Nothing in the runtime names a channel's library or types: ids cross these
ports as the channel's own text (`Inbound.user`, `chat`, `update`), and the runtime qualifies them with the
channel's name before it keys, stores or dedups anything, so the same number on two channels is two people.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.core.channels import ChannelLimits
from bot.core.types import Action, Button, Event, Reply, Session, Turn

LEGACY_CHANNEL = "telegram"  # a chat stored before ids carried their channel was a Telegram chat


def address(channel: str, chat: str) -> str:
    """A chat as the runtime stores and routes it: "telegram:123456"."""
    return f"{channel}:{chat}"


def parse_address(text: str) -> tuple[str, str]:
    """(channel, the channel's own chat id) of a stored address; a bare id is a Telegram chat from before."""
    channel, sep, chat = text.partition(":")
    return (channel, chat) if sep else (LEGACY_CHANNEL, text)


class SendOutcome(enum.Enum):
    """What became of one message handed to a channel."""

    SENT = "sent"  # the channel has it (message_id set)
    BLOCKED = "blocked"  # the person blocked the bot or left: stop writing to them
    REFUSED = "refused"  # the channel will never take this message (drop it, keep the rest)
    UNAVAILABLE = "unavailable"  # not now (outage, rate limit past its waits): keep it queued and try later


@dataclass(frozen=True, slots=True)
class Sent:
    """The outcome of one send; `reason` is an error kind for logs, never content."""

    outcome: SendOutcome
    message_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Deleted:
    """The outcome of deleting messages: how many ids were in requests the channel accepted, and whether a
    request failed only for now (an outage), so trying again later may succeed."""

    accepted: int
    retry: bool = False


@dataclass(frozen=True, slots=True)
class Copy:
    """A message to copy into the person's chat from another chat of the same channel (a supporter's message in
    a warm-line topic), by the channel's own ids as text; only a `Copier` channel can."""

    from_chat: str
    message_id: int


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for a person's chat (its address, "channel:chat"), as the outbox keeps it until sent. With
    `copy`, a channel that can copy (a `Copier`) copies that message instead; others send `reply`. `waiting`:
    the warm-line handoff whose place-in-line message this is (its message id is recorded when it is sent, so
    it is edited later, even after a restart, rather than sent again)."""

    chat: str
    reply: Reply
    copy: Copy | None = None
    waiting: int | None = None

    def to_payload(self) -> dict[str, Any]:
        """Plain JSON, so it can wait in the store."""
        buttons = [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in self.reply.buttons]
        payload: dict[str, Any] = {"chat_id": self.chat, "text": self.reply.text, "buttons": buttons}
        if self.copy is not None:
            payload["copy"] = {"from_chat": self.copy.from_chat, "message_id": self.copy.message_id}
        if self.waiting is not None:
            payload["waiting"] = self.waiting
        if self.reply.by:
            payload["by"] = self.reply.by
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Outgoing:
        """The message an outbox row holds (one queued before ids carried their channel was for Telegram)."""
        rows = tuple(
            tuple(Button(str(b["label"]), str(b.get("data") or ""), b.get("url") or None) for b in row)
            for row in payload.get("buttons") or []
        )
        source = payload.get("copy")
        copy = Copy(str(source["from_chat"]), int(source["message_id"])) if source else None
        waiting = payload.get("waiting")
        reply = Reply(str(payload["text"]), rows, str(payload.get("by") or ""))
        chat = address(*parse_address(str(payload["chat_id"])))
        return cls(chat, reply, copy, None if waiting is None else int(waiting))


class PersonSender(Protocol):
    """A person's channel, as the runtime uses it: send a reply, delete messages, and the channel's limits.

    `send` does its own retrying (429s waited out, transient failures backed off) and returns the final
    outcome; it never raises for a channel error. Message ids are the channel's, per chat.
    """

    @property
    def limits(self) -> ChannelLimits: ...

    async def send(self, chat: str, reply: Reply) -> Sent: ...

    async def delete(self, chat: str, message_ids: Sequence[int]) -> Deleted:
        """Delete messages from the chat (ids already gone are fine), in as many requests as the channel needs."""
        ...


@runtime_checkable
class Copier(Protocol):
    """A PersonSender that can also copy a message from another chat of its channel (Telegram's copyMessage),
    as the warm line relays a supporter's photo or voice note; with the same outcomes and retries as `send`."""

    async def copy(self, chat: str, source: Copy) -> Sent: ...


@dataclass(frozen=True, slots=True)
class Topic:
    """One conversation space in the staff room (a Telegram forum topic): the room's own ids, as text."""

    room: str
    thread: str


class StaffRoom(Protocol):
    """The supporters' side of the warm line: rooms (Telegram forum groups) with one topic per person, never
    naming them. Each call does its own retrying and never raises for a channel error."""

    async def open_topic(self, room: str, title: str) -> Topic | None:
        """A new topic titled `title` (an alias, never the person's name) in `room`; None when it refuses."""
        ...

    async def post(self, topic: Topic, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> int | None:
        """Post in the topic; returns the message id, None when it did not go out."""
        ...

    async def close_topic(self, topic: Topic, *, delete: bool = False) -> bool:
        """Close (or delete) the topic, after /end, /forget or retention; False when the room refused."""
        ...


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did on a channel, as a channel adapter hands it to the runtime.

    `user`, `chat` and `update` are the channel's own ids as text (never logged, never stored in the clear);
    `message` is the id of the person's own message, kept so /forget can delete it from their phone.
    `raw` is the channel's own object, for that channel's plug-ins only (the runtime never looks inside).
    """

    channel: str
    user: str
    chat: str
    update: str
    event: Event
    message: int | None = None
    raw: object = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One inbound as the runtime has loaded it: the person's key, their session and the time."""

    inbound: Inbound
    person: str  # the store's key for the person (never log it)
    session: Session
    now: datetime  # aware, in BOT_TIMEZONE

    @property
    def event(self) -> Event:
        return self.inbound.event

    @property
    def chat(self) -> str:
        return self.inbound.chat


class TurnHook(Protocol):
    """What the warm line plugs into the turn pipeline (the person's side); `NoHook` is the default.

    - `claims(incoming)`: the update is the warm line's (the person is in a live handoff, or tapped one of its
      buttons); it is deduplicated first, then `intercept` runs.
    - `intercept(incoming)`: return a Turn to answer yourself (its replies go through the outbox and its
      session is saved with the update, exactly once), or None to let the engine answer.
    - `prepare(incoming, action)`: each Turn action, before the turn is saved and its replies sent, so a promise
      in a reply ("I'm finding someone") is stored first (a crash after it loses nothing).
    - `on_action(incoming, action)`: each Turn action, after the replies are delivered and before the
      runtime performs its own ("erase", "count").
    """

    def claims(self, incoming: Incoming) -> bool: ...

    async def intercept(self, incoming: Incoming) -> Turn | None: ...

    async def prepare(self, incoming: Incoming, action: Action) -> None: ...

    async def on_action(self, incoming: Incoming, action: Action) -> None: ...


class NoHook:
    """No warm line: the engine's own reply to /talk already told the person where to turn."""

    def claims(self, incoming: Incoming) -> bool:
        return False

    async def intercept(self, incoming: Incoming) -> Turn | None:
        return None

    async def prepare(self, incoming: Incoming, action: Action) -> None:
        return None

    async def on_action(self, incoming: Incoming, action: Action) -> None:
        return None


class Senders:
    """The running channels' senders, by channel name: a stored address ("web:ab12") finds its sender."""

    def __init__(self, *senders: PersonSender) -> None:
        self._by_channel: dict[str, PersonSender] = {}
        for sender in senders:
            self.add(sender)

    def add(self, sender: PersonSender) -> None:
        """Serve one more channel (`run` serves Telegram, and the web chat beside it when asked)."""
        self._by_channel[sender.limits.channel] = sender

    def __iter__(self) -> Iterator[PersonSender]:
        return iter(self._by_channel.values())

    def route(self, chat: str) -> tuple[PersonSender, str] | None:
        """The sender for a stored address and the channel's own chat id; None for a channel not running."""
        channel, own = parse_address(chat)
        sender = self._by_channel.get(channel)
        return None if sender is None else (sender, own)
