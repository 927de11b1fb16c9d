"""Forgetting on the supporters' side: a person's topic is deleted from the group (deleteForumTopic, which takes
the card and every message in it along) when they use /forget, live or ended, and HANDOFF_RETENTION_DAYS after a
conversation ends; every handoff state expires. WARMLINE_KEEP_TOPICS=1 keeps topics (closed, never deleted).

    close(row, reason) ─► ended(): remember (group, topic) in store.ended_topics, with the person key; on /forget
                          the live topic's delete goes straight into the group's durable staff outbox
    /forget            ─► forgotten(person): their ended topics lose the key and are due now ─► a round, off the
                          update path (the person's erase never waits for the group's pace)
    every hour, and retention's daily purge ─► round(now): expire handoffs (bot.warmline.expiry), delete due topics

Every delete goes through `delete_topic`, the one place a topic leaves the group: the group's durable staff outbox
(paced, retried, kept across a restart). A topic a live handoff uses again is never deleted.
Logs name counts and error kinds only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram.relay import StaffOutbox
from bot.conversation.privacy import delete_topics
from bot.store.database import Store
from bot.warmline.expiry import Age, Expiry, expired, topic_due

if TYPE_CHECKING:
    from bot.channels.telegram.edge import Edge

log = logging.getLogger(__name__)
T = TypeVar("T")
ROUND_SECONDS = 3600.0  # how often handoffs are expired and due topics deleted (retention's daily purge too)
STOP_SECONDS = 5.0  # a delete under way at shutdown may finish this long; the record makes a restart retry it


class Warmline(Protocol):
    """What this module uses of bot.channels.telegram.warmline.Warmline (which imports it: no cycle)."""

    @property
    def edge(self) -> Edge: ...

    @property
    def store(self) -> Store: ...

    @property
    def queues(self) -> StaffOutbox: ...

    @property
    def bot(self) -> Any: ...

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T: ...

    async def close(self, hid: int, reason: str, *, by: int | None = None, say: bool = True) -> None: ...


class Topics:
    """Ended topics, their deletion and the expiry of handoffs, for one warm line."""

    def __init__(self, warm: Warmline) -> None:
        self.warm = warm
        self._rounds: set[asyncio.Task[int]] = set()
        self._lock = asyncio.Lock()  # one round at a time: a topic is deleted once

    @property
    def rules(self) -> Expiry:
        settings = self.warm.edge.settings
        return Expiry(handoff_days=settings.handoff_days, keep_topics=not delete_topics(settings))

    def start(self) -> None:
        """Register with retention (its startup and daily purge) and run a round every hour."""
        runtime = self.warm.edge.runtime
        runtime.forgetting.hooks.purge_closed = self.purge_closed
        runtime.scheduler.every("warmline-retention", ROUND_SECONDS, self.round)

    async def stop(self) -> None:
        if self._rounds:
            await asyncio.wait(self._rounds, timeout=STOP_SECONDS)
        for task in self._rounds:
            task.cancel()

    # -- what close() and /forget tell us ---------------------------------------------------------------

    async def ended(self, row: dict[str, Any], reason: str) -> bool:
        """A handoff closed (its row is gone): remember its topic for deleting later. True when the topic is to
        go at once (/forget): then nothing more is posted in it."""
        group, thread = row["group_chat"], row["thread"]
        if group is None or thread is None or reason == "topic_gone" or self.rules.keep_topics:
            return False
        now = self.warm.edge.clock()
        if reason != "forgot":
            await self.warm.store.ended_topic_add(row["person"], group, thread, now)
            return False
        if not await self.delete_topic(group, thread, handoff=row["id"]):  # after what it still has waiting
            await self.warm.store.ended_topic_add(None, group, thread, now)  # tried again by the next round
        return True

    async def forgotten(self, person: str) -> None:
        """The person used /forget: every ended topic of theirs is due now, and no longer tied to them."""
        if await self.warm.store.ended_topics_forgotten(person):
            self.soon()

    def soon(self) -> None:
        """Run a round now, in the background: the update that asked never waits for the group's pace."""
        task = asyncio.create_task(self.round())
        self._rounds.add(task)
        task.add_done_callback(self._rounds.discard)

    # -- the round ------------------------------------------------------------------------------------

    async def purge_closed(self, now: datetime, days: int) -> int:
        """Retention's hook (bot.runtime.forget.WarmLineHooks.purge_closed): one round at `now`."""
        return await self.round(now)

    async def round(self, now: datetime | None = None) -> int:
        """Close expired handoffs, then delete the topics that are due; returns how many of each went."""
        async with self._lock:
            now = now or self.warm.edge.clock()
            gone = await self.expire(now)
            gone += await self.delete_due(now)
            gone += await self.warm.store.wrapups_purge(now)
        if gone:
            log.info("warm-line retention: %d handoffs, topics or wrap-ups went", gone)
        return gone

    async def expire(self, now: datetime) -> int:
        """Close every handoff that outlived its state's time (queued, leaving, left, taken); the person and
        the topic are told as close() tells them for "expired"."""
        at, rules, gone = int(now.timestamp()), self.rules, 0
        for row in await self.warm.store.handoffs():
            age = Age(row["status"], row["created_at"], row["last_person"], row["last_supporter"])
            if expired(age, at, rules):
                await self.warm.close(row["id"], "expired")
                gone += 1
        return gone

    async def delete_due(self, now: datetime) -> int:
        """Delete from the group every ended topic that is due (a network error leaves it for the next round)."""
        at, rules = int(now.timestamp()), self.rules
        done: list[int] = []
        for topic in await self.warm.store.ended_topics():
            if rules.keep_topics:  # staff now keep topics: a record from before would only tie a person to one
                done.append(topic.id)
                continue
            if not topic_due(topic.ended_at, topic.forgotten, at, rules):
                continue
            if await self.warm.store.handoffs(thread=(topic.group_chat, topic.thread)):
                done.append(topic.id)  # the topic lives again (a person came back): its next end counts
            elif await self.delete_topic(topic.group_chat, topic.thread):
                done.append(topic.id)
        await self.warm.store.ended_topic_drop(*done)
        return len(done)

    async def delete_topic(self, group: int, thread: int, *, handoff: int | None = None) -> bool:
        """deleteForumTopic: the topic with its card and every message in it, for every member of the group.
        True when it is on its way (or gone); False to try again next round.

        The one place a topic is deleted: through the group's durable staff outbox (bot.channels.telegram.relay:
        paced with the group's other sends, after what `handoff` still has waiting, retried after 5xx and network
        errors, kept across a restart). A group no longer in WARMLINE_CHAT_ID has no outbox: the call is direct."""
        queues = self.warm.queues
        if queues.knows(group):
            await queues.close_topic(handoff, group, thread, delete=True)
            return True
        try:
            await self.warm._call(partial(self.warm.bot.delete_forum_topic, group, thread))
        except (BadRequest, Forbidden) as exc:  # gone already, or the bot may no longer delete: nothing to retry
            # staff must know: a topic the bot may not delete keeps the person's words (give it "Delete messages")
            log.error("a warm-line topic could not be deleted (%s); not trying again", type(exc).__name__)
            return True
        except TelegramError as exc:
            log.warning("a warm-line topic was not deleted yet (%s); trying again later", type(exc).__name__)
            return False
        return True
