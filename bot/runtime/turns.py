"""The turn pipeline, for every channel: one Inbound in, the person's replies out, exactly once.

    Inbound ─► person key (HMAC of "channel:user") ─► session load (+ the person's message id, one trip)
            ─► flood verdict ─► (the warm line claims it? dedup, then hook.intercept) ─► engine.advance
            ─► store.save_turn(session + handled update + outbox, one transaction) ─► Outbox.deliver
            ─► actions: hook.on_action, then the runtime's own ("erase", "count")

A channel adapter builds the Inbound and calls `Runtime.handle`; it learns the outcome (for its log line).
Counts wait in memory and are written every COUNTS_EVERY seconds by the runtime's scheduler, which also retries
queued replies and runs retention and quiet erase (bot.runtime.forget).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content.loader import Content
from bot.conversation.engine import advance, language_for
from bot.conversation.safety import is_danger
from bot.core.clock import Clock, system_clock
from bot.core.types import Action, Event, Session, Turn
from bot.runtime.flood import FloodGate
from bot.runtime.forget import Forgetting, Retention
from bot.runtime.outbox import Outbox
from bot.runtime.ports import (
    LEGACY_CHANNEL,
    Inbound,
    Incoming,
    NoHook,
    Outgoing,
    PersonSender,
    Senders,
    TurnHook,
    address,
)
from bot.runtime.schedule import Scheduler
from bot.store.database import Store

log = logging.getLogger(__name__)

COUNTS_EVERY = 10.0  # seconds between writes of the anonymous counts (and retries of queued replies)


def never_held_back(content: Content, event: Event, lang: str) -> bool:
    """What the flood gate must never drop: a tapped button (erase confirmations among them), /forget, and
    words that may mean danger, however fast they come."""
    if event.kind == "option" or (event.kind == "command" and event.text == "forget"):
        return True
    return event.kind == "text" and is_danger(content.danger, event.text)


class Runtime:
    """Content, store, outbox, forgetting, flood gate, scheduler and the warm line's hook, for running channels."""

    def __init__(
        self,
        store: Store,
        content: Content,
        settings: Retention,
        *,
        zone: ZoneInfo,
        senders: Senders | None = None,
        hook: TurnHook | None = None,
        flood: FloodGate | None = None,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.store = store
        self.content = content
        self.settings = settings
        self.zone = zone
        self.senders = senders if senders is not None else Senders()
        self.hook: TurnHook = hook or NoHook()
        self.flood = flood if flood is not None else FloodGate()  # an empty gate is falsy (it has a length)
        self.clock = clock
        self.monotonic = monotonic
        self.scheduler = scheduler or Scheduler()
        self.outbox = Outbox(self.senders, store, clock)
        self.forgetting = Forgetting(self.senders, store, settings, self.scheduler, clock)
        # Anonymous counts wait here and are written every COUNTS_EVERY seconds (and on close), so a turn
        # does not pay a transaction per counter; a crash loses at most those seconds of counts.
        self._counts: dict[tuple[str, str], tuple[datetime, int]] = {}

    def add_channel(self, sender: PersonSender) -> None:
        """Serve one more channel: its people's replies, deletes and vanishing lines go through `sender`."""
        self.senders.add(sender)

    def now(self) -> datetime:
        """The clock's moment in BOT_TIMEZONE: the zone of every day counted, every hour and card shown."""
        return self.clock().astimezone(self.zone)

    def person_key(self, channel: str, user: str) -> str:
        """The key a channel's user is stored under."""
        return self.store.channel_key(channel, user)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def open(self) -> int:
        """Send what a crash left queued; returns how many people had replies waiting."""
        waiting = await self.outbox.deliver_all()
        if waiting:
            log.info("delivered replies queued before a restart (people: %d)", waiting)
        return waiting

    def start(self, housekeeping_every: float = COUNTS_EVERY) -> None:
        """Start housekeeping: counts and queued replies every few seconds, the lines a restart left, retention and
        quiet erase. Called once the warm line has registered its hooks, so the first purge reaches its tables."""
        self.scheduler.every("counts", housekeeping_every, self._housekeeping)
        self.forgetting.start()

    async def close(self) -> None:
        """Stop housekeeping and write the counts still waiting (the store stays open: its owner closes it)."""
        await self.scheduler.close()
        await self.flush_counts()

    async def _housekeeping(self) -> None:
        """Write the counts, and retry replies an outage left queued for people who are quiet."""
        await self.flush_counts()
        await self.outbox.retry_backlog()

    def count(self, name: str, now: datetime) -> None:
        """Add one to the anonymous counter `name` for now's day in BOT_TIMEZONE (written within seconds)."""
        local = now.astimezone(self.zone)
        key = (local.date().isoformat(), name)
        _, n = self._counts.get(key, (local, 0))
        self._counts[key] = (local, n + 1)

    async def flush_counts(self) -> None:
        waiting, self._counts = self._counts, {}
        for (_, name), (now, n) in waiting.items():
            try:
                await self.store.count(name, now=now, n=n)
            except ValueError:
                log.warning("a counter name from the flows is not a vocabulary key; not counted")

    # -- one turn -----------------------------------------------------------------------------------------

    async def load(self, inbound: Inbound) -> Incoming:
        """The person's key and session (keeping their message's id in the same trip), and the time."""
        now = self.now()
        person = self.person_key(inbound.channel, inbound.user)
        remember = None if inbound.message is None else (inbound.message, now)
        data = await self.store.load_session(person, remember=remember)
        # a Telegram person stored before keys carried their channel is adopted under the new key
        legacy = data is None and inbound.channel == LEGACY_CHANNEL
        if legacy and await self.store.adopt(self.store.legacy_key(inbound.user), person):
            data = await self.store.load_session(person)
        return Incoming(inbound, person, Session.from_dict(data or {}), now)

    async def handle(self, inbound: Inbound) -> str:
        """Run one inbound through flood control, the warm line's hook or the engine; returns the outcome."""
        inbound = await self.with_line(inbound)
        incoming = await self.load(inbound)
        session, event = incoming.session, inbound.event
        # on the warm line a burst is a person talking to a person: the warm line paces it, losing nothing
        lang = session.language or language_for(self.content, event.language_hint)
        verdict = "pass" if session.mode == "handoff" else self.flood.check(incoming.person, self.monotonic())
        if verdict != "pass" and never_held_back(self.content, event, lang):  # checked only in a burst
            verdict = "pass"
        if verdict == "drop":
            return "flood_dropped"
        if verdict == "warn":
            await self.outbox.send_now(incoming.person, self.chat(inbound), self.content.text("slow_down", lang))
            return "flood_warned"
        turn = None
        if self.hook.claims(incoming):
            # The relay acts before the turn is saved, so a redelivered update must be caught first; elsewhere
            # save_turn refuses a handled update before anything is sent.
            if await self.store.is_handled(self.update_key(inbound)):
                return "duplicate"
            turn = await self.hook.intercept(incoming)
        outcome = "handoff" if turn is not None else "replied"
        if turn is None:
            turn = advance(self.content, session, event, incoming.now)
        return await self.apply(incoming, turn) or outcome

    async def with_line(self, inbound: Inbound) -> Inbound:
        """Event.line (is anyone on duty now?) and Event.topics (what happens to a talk's copy in the supporters'
        group) from the warm line's hook, when it tells them and the channel left the line blank: so "Talk to a
        person" says the truth before it promises anything (a channel with no warm line says "off" itself)."""
        state = getattr(self.hook, "line_state", None)
        if state is None or inbound.event.line:
            return inbound
        line, topics = await state()
        return replace(inbound, event=replace(inbound.event, line=line, topics=topics)) if line or topics else inbound

    @staticmethod
    def chat(inbound: Inbound) -> str:
        """The inbound's chat as the runtime stores and routes it ("telegram:123")."""
        return address(inbound.channel, inbound.chat)

    @staticmethod
    def update_key(inbound: Inbound) -> str:
        """The inbound's update as the handled-update record keys it ("telegram:9001")."""
        return address(inbound.channel, inbound.update)

    async def apply(self, incoming: Incoming, turn: Turn) -> str | None:
        """Save the turn with its update and replies (one transaction), deliver them, then run its actions."""
        chat, update = self.chat(incoming.inbound), self.update_key(incoming.inbound)
        queued = [Outgoing(chat, reply).to_payload() for reply in turn.replies]
        hooked = [a for a in turn.actions if a.name != "count"]  # counts are the runtime's own, never the hook's
        if hooked and not await self.store.is_handled(update):
            for action in hooked:
                await self.hook.prepare(incoming, action)
        saved = await self.store.save_turn(
            incoming.person,
            turn.session.to_dict(),
            update_id=update,
            chat_id=chat,
            now=incoming.now,
            outbox=queued,
        )
        if not saved:
            return "duplicate"
        delivered, _ = await self.outbox.deliver(incoming.person, queued)
        if delivered == "blocked":
            return "blocked"
        for action in turn.actions:
            await self.hook.on_action(incoming, action)
            await self.act(incoming, action)
        if any(action.name == "erase" for action in turn.actions):
            return "erased"  # a channel that shows the chat itself (the web) clears it
        return None if delivered == "sent" else "queued"

    async def act(self, incoming: Incoming, action: Action) -> None:
        """The runtime's own actions: count a door, erase the person."""
        if action.name == "count":
            self.count(str(action.get("name", "")), incoming.now)
        elif action.name == "erase":
            await self.forgetting.erase(
                incoming.person, self.chat(incoming.inbound), str(action.get("say", "")), incoming.now
            )

    async def erase_now(self, inbound: Inbound) -> int:
        """Erase a person outside a turn, as /forget's "yes" does: the warm line's hook closes their topic
        (on_action "erase"), then the channel's messages and every row go. For a channel's own ways out (the web
        chat's Quick exit and quiet-time close). Returns the rows forgotten."""
        incoming = await self.load(inbound)
        await self.hook.on_action(incoming, Action("erase"))
        return await self.forgetting.erase(incoming.person, self.chat(inbound), "", incoming.now)

    async def blocked(self, channel: str, user: str) -> None:
        """The person blocked the bot (or left the chat): stop writing to them."""
        await self.outbox.mark_inactive(self.person_key(channel, user))

    async def apologise(self, inbound: Inbound) -> None:
        """After a failed turn: a calm "something went wrong" in the person's language."""
        person = self.person_key(inbound.channel, inbound.user)
        data = await self.store.load_session(person) or {}
        lang = str(data.get("language") or language_for(self.content, inbound.event.language_hint))
        await self.outbox.send_now(person, self.chat(inbound), self.content.text("error", lang))
