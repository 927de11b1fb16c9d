"""The outbox: a turn's replies wait in the store until the person's channel has them.

A turn's replies are queued with the session (Store.save_turn, one transaction); `Outbox.deliver(person)` then
sends whatever the person has queued, oldest first, through the channel's PersonSender, deleting each row as
the channel accepts it. So a reply survives an outage (left queued for the next turn, the next housekeeping
round or a restart) and a crash (sent first on restart). BLOCKED drops the person's queue and marks their
session inactive; REFUSED drops that one message only. One person's messages go out one at a time, in order.

Messages made outside a turn (the warm line's notes and a supporter's relayed words) are queued with `enqueue`
and go out the same way, in the same order; a message with a `Copy` is copied by a channel that can (Telegram).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from bot.core.clock import Clock, system_clock
from bot.core.types import Reply, Session
from bot.runtime.ports import Copier, Copy, Outgoing, Senders, SendOutcome, Sent
from bot.store.database import Store

log = logging.getLogger(__name__)
Outcome = Literal["sent", "queued", "blocked"]


class Outbox:
    """Sends queued replies for a person, one person at a time, and applies what the channel's outcomes mean."""

    def __init__(self, senders: Senders, store: Store, clock: Clock = system_clock) -> None:
        self.senders = senders
        self.store = store
        self.clock = clock
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # per person, with how many use it
        self.backlog: set[str] = set()  # people with older messages still queued (an outage, a restart)
        self._queued: dict[str, int] = {}  # person -> messages enqueued outside a turn (a generation count)
        self._watched: dict[int, int | None] = {}  # enqueued row -> its message id once sent (see `sent_id`)
        self._on_blocked: list[Callable[[str], Awaitable[None]]] = []

    async def deliver(self, person: str, fresh: Sequence[dict[str, Any]] = ()) -> tuple[Outcome, list[int]]:
        """Send the person's queued messages in order; returns the outcome and the message ids sent.

        `fresh` are the payloads just queued by save_turn: when nothing older waits for this person, they are
        the whole queue, and are sent without reading it back.
        """
        lock, users = self._locks.get(person) or (asyncio.Lock(), 0)
        self._locks[person] = (lock, users + 1)
        try:
            async with lock:
                generation = self._queued.get(person)
                if fresh and person not in self.backlog:
                    rows: list[tuple[int | None, dict[str, Any]]] = [(None, m) for m in fresh]
                else:
                    rows = [(row_id, m) for row_id, _, m in await self.store.outbox(person)]
                outcome, sent = await self._send(person, rows)
                if outcome == "queued" or self._queued.get(person) != generation:
                    self.backlog.add(person)  # an outage, or a message enqueued after the queue was read
                else:
                    self.backlog.discard(person)
                    self._queued.pop(person, None)
                return outcome, sent
        finally:
            lock, users = self._locks[person]
            if users == 1:
                del self._locks[person]
            else:
                self._locks[person] = (lock, users - 1)

    async def _send(self, person: str, rows: list[tuple[int | None, dict[str, Any]]]) -> tuple[Outcome, list[int]]:
        sent: list[int] = []
        for row_id, payload in rows:
            message = Outgoing.from_payload(payload)
            result = await self.send(message.chat, message.reply, message.copy)
            if result.outcome is SendOutcome.BLOCKED:
                await self.mark_inactive(person)
                return "blocked", sent
            if result.outcome is SendOutcome.REFUSED:
                log.error("the channel refused a queued message, which is dropped: %s", result.reason)
                await self.store.outbox_drop(person, row_id, oldest=row_id is None)
                continue
            if result.outcome is SendOutcome.UNAVAILABLE or result.message_id is None:
                log.warning("the channel is not taking messages (%s); reply kept queued", result.reason)
                return "queued", sent
            await self.store.outbox_delivered(row_id, person, result.message_id, self.clock(), waiting=message.waiting)
            if row_id in self._watched:
                self._watched[row_id] = result.message_id
            sent.append(result.message_id)
        return "sent", sent

    async def send(self, chat: str, reply: Reply, copy: Copy | None = None) -> Sent:
        """Send one reply to a stored address through its channel's sender (or copy `copy`, where it can)."""
        route = self.senders.route(chat)
        if route is None:  # a channel this process does not serve (yet): keep it queued for one that does
            return Sent(SendOutcome.UNAVAILABLE, reason="channel not running")
        sender, own = route
        if copy is not None and isinstance(sender, Copier):
            return await sender.copy(own, copy)
        return await sender.send(own, reply)

    async def enqueue(
        self,
        person: str,
        messages: Sequence[Outgoing],
        *,
        watch: bool = False,
        relayed: tuple[int, int] | None = None,
    ) -> list[int] | None:
        """Queue messages made outside a turn, after whatever the person has queued; `deliver(person)` sends them.
        Returns their row ids (None: `relayed`, a supporter's update, was queued already; see Store.outbox_add);
        with `watch`, `sent_id(row)` then tells the message id each was sent as."""
        self._queued[person] = self._queued.get(person, 0) + 1  # a turn's fresh replies no longer skip the queue
        self.backlog.add(person)
        payloads = [m.to_payload() for m in messages]
        rows = await self.store.outbox_add(person, payloads, self.clock(), relayed=relayed)
        if watch and rows:
            self._watched.update(dict.fromkeys(rows))
        return rows

    def sent_id(self, row: int) -> int | None:
        """The message id a watched row was sent as, asked once after `deliver`; None when it was not sent."""
        return self._watched.pop(row, None)

    def when_blocked(self, callback: Callable[[str], Awaitable[None]]) -> None:
        """Call `callback(person)` each time a person is found to have blocked the bot (the warm line closes
        their conversation)."""
        self._on_blocked.append(callback)

    async def deliver_all(self) -> int:
        """Send everything queued for the running channels (after a restart, or left by an outage); returns how
        many people had some. Another channel's replies wait for that channel's own process."""
        queued = await self.store.outbox()
        people = list(dict.fromkeys(who for _, who, m in queued if self.senders.route(Outgoing.from_payload(m).chat)))
        self.backlog.update(people)
        for person in people:
            await self.deliver(person)
        return len(people)

    async def retry_backlog(self) -> None:
        """Housekeeping: try again for people whose replies an outage left queued while they are quiet."""
        for person in list(self.backlog):
            await self.deliver(person)

    async def send_now(self, person: str, chat: str, text: str, *, remember: bool = True) -> bool:
        """Send one transient message outside the outbox (e.g. "slow down"); False if it did not go out."""
        result = await self.send(chat, Reply(text))
        if result.outcome is SendOutcome.BLOCKED:
            await self.mark_inactive(person)
            return False
        if result.outcome is not SendOutcome.SENT or result.message_id is None:
            return False
        if remember:
            await self.store.remember_sent(person, result.message_id, self.clock())
        return True

    async def mark_inactive(self, person: str) -> None:
        """The person blocked the bot: keep their session (they may come back) but stop sending to them."""
        await self.store.outbox_drop(person)
        data = await self.store.load_session(person)
        if data is not None:
            session = Session.from_dict(data).with_(mode="inactive")
            await self.store.save_turn(person, session.to_dict(), now=self.clock())
        for callback in self._on_blocked:
            await callback(person)
