"""Forgetting, for every channel: /forget's erase, the line that vanishes after it, quiet erase and retention.

    Action("erase") ─► erase: delete the chat's messages the channel still allows ─► store.forget
                    ─► one neutral line, deleted ~60 s later (a stored record makes that survive a restart)
    every 10 min    ─► quiet erase: each person who chose it loses messages older than N hours from their phone
    daily + startup ─► purge_expired: idle sessions, old message ids, closed handoffs (the warm line's hook)

Deleting goes through the person's PersonSender, timing through the runtime's Scheduler. Logs name counts and
error kinds only: never a message, a channel id or a person key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.types import Reply
from bot.runtime.ports import Deleted, PersonSender, Senders, SendOutcome
from bot.runtime.schedule import Scheduler
from bot.store.database import Store

log = logging.getLogger(__name__)

MESSAGE_ID_HOURS = 48  # message ids are kept this long (Telegram's deleting window, the longest)
SAFE_MARGIN = timedelta(hours=1)  # ids this close to the channel's window go in their own requests: they may fail
LINE_SECONDS = 60.0  # the neutral line after /forget disappears after this
QUIET_EVERY = 600.0  # seconds between quiet-erase rounds
PURGE_EVERY = 86400.0  # seconds between retention purges (and one at startup)
RETRY_SECONDS = 60.0  # a vanishing line the channel would not delete is tried again

# The warm line's purge of closed handoffs past `days`: (now, days) -> rows deleted.
HandoffPurge = Callable[[datetime, int], Awaitable[int]]


class Retention(Protocol):
    """The settings retention reads (bot.settings.Settings has them)."""

    @property
    def session_days(self) -> int: ...

    @property
    def handoff_days(self) -> int: ...


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


async def purge_expired(store: Store, settings: Retention, now: datetime, hooks: WarmLineHooks | None = None) -> int:
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


class Forgetting:
    """Erase, vanishing lines, quiet erase and retention for one running bot, over one channel's sender."""

    def __init__(self, senders: Senders, store: Store, settings: Retention, scheduler: Scheduler, clock: Clock) -> None:
        self.senders = senders
        self.store = store
        self.settings = settings
        self.scheduler = scheduler
        self.clock = clock
        self.hooks = WarmLineHooks()  # the warm line sets purge_closed (and may set the others) in its start()
        self.line_seconds = LINE_SECONDS

    @staticmethod
    def window(sender: PersonSender) -> timedelta:
        """How far back the channel lets the bot delete (message ids are never kept past 48 hours)."""
        limit = sender.limits.delete_window
        most = timedelta(hours=MESSAGE_ID_HOURS)
        return most if limit is None else min(limit, most)

    async def _delete(self, chat: str, ids: list[int]) -> Deleted:
        route = self.senders.route(chat)
        if route is None or not ids:
            return Deleted(0, retry=route is None)
        sender, own = route
        return await sender.delete(own, ids)

    def start(self) -> None:
        """The rounds: on startup (lines left by a restart, one purge), then retention daily, quiet erase often."""
        self.scheduler.after(0.0, self.on_startup, name="privacy-startup")
        self.scheduler.every("privacy-purge", PURGE_EVERY, self.purge)
        self.scheduler.every("privacy-quiet-erase", QUIET_EVERY, self.quiet_round)

    # -- the erase action ---------------------------------------------------------------------------------

    async def erase(self, person: str, chat: str, say: str, now: datetime) -> int:
        """Carry out Action("erase"): delete the chat's messages the channel still allows, forget every row
        about the person, then leave `say` for a minute. Returns the rows forgotten.

        Run after the warm line's on_action (it closes the person's topic while their handoff row exists) and
        after the turn was saved (so the turn's own session and update id are forgotten too).
        """
        route = self.senders.route(chat)
        if route is not None:
            window = self.window(route[0])
            ids = await self.store.sent_messages(person, now - window)
            recent = set(await self.store.sent_messages(person, now - window + SAFE_MARGIN))
            # the oldest ids may be past the channel's limit by the time the call lands: their own requests
            await self._delete(chat, [i for i in ids if i in recent])
            await self._delete(chat, [i for i in ids if i not in recent])
        gone = await self.store.forget(person)
        if say:
            await self.leave_line(chat, say, now)
        return gone

    async def leave_line(self, chat: str, text: str, now: datetime) -> None:
        """Send one line that is deleted after line_seconds; its record (encrypted chat id, no person key)
        lets a restart finish the job. Not remembered as the person's: nothing about them is left."""
        route = self.senders.route(chat)
        if route is None:
            return
        sender, own = route
        sent = await sender.send(own, Reply(text))
        if sent.outcome is not SendOutcome.SENT or sent.message_id is None:
            log.info("the goodbye line after an erase was not sent (%s)", sent.reason or sent.outcome.value)
            return
        due = now + timedelta(seconds=self.line_seconds)
        row = await self.store.add_pending_delete(chat, sent.message_id, due)
        self._schedule_line(row, chat, sent.message_id, self.line_seconds)

    def _schedule_line(self, row: int, chat: str, message_id: int, delay: float) -> None:
        async def due() -> None:
            await self.delete_line(row, chat, message_id)

        self.scheduler.after(delay, due, name="privacy-line")

    async def delete_line(self, row: int, chat: str, message_id: int) -> bool:
        """Delete one vanishing line and its record; a channel that is not taking calls keeps the record and
        tries again later."""
        if (await self._delete(chat, [message_id])).retry:
            log.warning("a vanishing line could not be deleted yet; trying again")
            self._schedule_line(row, chat, message_id, RETRY_SECONDS)
            return False
        await self.store.drop_pending_delete(row)
        return True

    async def resume_lines(self, now: datetime) -> int:
        """After a restart: delete the lines that are due, schedule the rest; returns how many were due."""
        due_now = 0
        for row, chat, message_id, due in await self.store.pending_deletes():
            if self.senders.route(chat) is None:  # another channel's line: its own process finishes it
                continue
            delay = (due - now).total_seconds()
            if delay <= 0:
                due_now += 1
                await self.delete_line(row, chat, message_id)
            else:
                self._schedule_line(row, chat, message_id, delay)
        return due_now

    # -- quiet erase and retention ------------------------------------------------------------------------

    async def quiet_erase(self, now: datetime) -> int:
        """Delete from each opted-in person's phone our messages older than their chosen hours (and younger
        than the channel's window), then forget those ids. Returns how many messages were deleted."""
        deleted = 0
        for person, hours in await self.store.quiet_erase():
            chat = await self.store.chat(person)
            route = None if chat is None else self.senders.route(chat)
            if chat is None or route is None:
                continue
            since = now - self.window(route[0])
            ids = await self.store.sent_messages_before(person, since, now - timedelta(hours=hours))
            if not ids:
                continue
            deleted += (await self._delete(chat, ids)).accepted
            await self.store.forget_sent(person, ids)
        return deleted

    async def on_startup(self) -> None:
        now = self.clock()
        due = await self.resume_lines(now)
        if due:
            log.info("deleted %d goodbye lines left over from before a restart", due)
        await self.purge()

    async def purge(self) -> None:
        gone = await purge_expired(self.store, self.settings, self.clock(), self.hooks)
        log.info("retention purge removed %d rows", gone)

    async def quiet_round(self) -> None:
        deleted = await self.quiet_erase(self.clock())
        if deleted:
            log.info("quiet erase deleted %d messages", deleted)
