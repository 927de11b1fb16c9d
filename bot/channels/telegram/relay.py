"""The way into a warm-line group: the staff outbox. Everything bound for a group (a new topic and its card, card
edits, notes, the person's relayed words, closing a topic) is one row in the store's staff_outbox, written in one
trip by whoever decides to send it; one worker per group sends the rows, off the update path, paced under
Telegram's limit (about 20 messages a minute in one group). No update handler waits for a group.

    handler ─► StaffOutbox.post / relay / open_topic / edit ... ─► staff_outbox row (one store trip), wake worker
    worker (per group) ─► pacing.choose (danger first, fair turns, merged texts) ─► Pacer ─► one Bot API call
                       ─► staff_done (row deleted, thread or card id recorded, one transaction)

A 429 pauses the group for retry_after; a 5xx, timeout or network error backs off (pacing.backoff) and tries the
same row again, in order per topic, without a restart. A topic deleted by staff is opened again (the `Hooks`
build the new card and a note that earlier history is lost); a topic Telegram refuses to open is told to the
hooks. A restart loads the table: nothing acknowledged is sent again, nothing unacknowledged is lost. The one
thing no Bot API client can promise: a call Telegram carried out whose answer never arrived (the process killed
in that instant) is sent again, since Telegram has no idempotency key for sendMessage or createForumTopic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.channels.telegram.delivery import DEFAULT_POLICY, RetryPolicy, retry_after_seconds
from bot.channels.telegram.relaycalls import relay_call
from bot.store.database import Store
from bot.store.staffoutbox import StaffNew, StaffRow
from bot.warmline import pacing
from bot.warmline.rules import Pacer

log = logging.getLogger(__name__)
GONE_WORDS = ("thread not found", "topic_deleted", "topic_closed", "topic not found", "topic_id_invalid")
NO_RIGHTS_WORDS = ("not enough rights", "chat_admin_required", "have no rights", "not a forum", "chat not found")
UNCHANGED_WORDS = ("message is not modified", "topic_not_modified")
Rows = tuple[tuple[tuple[str, str], ...], ...]  # buttons as (label, callback data) rows
SHARE = 0.5  # at most this part of a group's budget goes to one person's own words


def topic_gone(exc: BadRequest) -> bool:
    """Telegram's way of saying the forum topic was deleted or closed by staff."""
    return any(word in exc.message.lower() for word in GONE_WORDS)


def no_rights(exc: TelegramError) -> bool:
    """The bot may not do this in the group (not an admin with "manage topics", not a forum, removed)."""
    return isinstance(exc, Forbidden) or any(word in exc.message.lower() for word in NO_RIGHTS_WORDS)


def markup(rows: Rows | list[list[list[str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel background tasks and wait until each has stopped; the list is emptied."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()


class Hooks(Protocol):
    """What the outbox asks of the warm line when a topic fails (bot.channels.telegram.warmline.Warmline)."""

    async def topic_lost(self, handoff: int) -> list[StaffNew]:
        """The items that re-open the handoff's topic (topic, card, note); [] when it no longer needs one."""
        ...

    async def topic_refused(self, handoff: int, group: int) -> bool:
        """Telegram refused to open the handoff's topic (no rights): tell General and the person. True: try
        again later; False: the handoff's rows are dropped."""
        ...


class StaffOutbox:
    """Per-group workers over the store's staff outbox; the enqueue methods are one store trip each."""

    def __init__(
        self,
        bot: Any,
        store: Store,
        hooks: Hooks,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        per_minute: int = 20,
        burst: int = 4,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime],
    ) -> None:
        self.bot, self.store, self.hooks, self.policy = bot, store, hooks, policy
        self.per_minute, self.burst, self.clock, self.now = per_minute, burst, clock, now
        self.cap = int(per_minute * SHARE) if per_minute > 0 else 0
        self._pacers: dict[int, Pacer] = {}
        self._rows: dict[int, dict[int, StaffRow]] = {}  # group -> row id -> row
        self._ready: dict[int, float] = {}  # row id -> when it may be tried again
        self._since: dict[int, float] = {}  # row id -> when it was queued (this run's clock)
        self._clocks: dict[int, dict[int, float]] = {}  # group -> conversation -> its virtual clock (pacing)
        self._relayed: dict[int, dict[int, list[float]]] = {}  # group -> conversation -> the person's words sent
        self.interval = 60.0 / max(1, per_minute - burst) if per_minute > 0 else 1.0  # seconds between two sends
        self._paused: dict[int, float] = {}  # group -> until (a 429's retry_after)
        self._threads: dict[tuple[int, int], int] = {}  # (group, thread) -> handoff
        self._topic_of: dict[int, int] = {}  # handoff -> its topic's thread
        self._wake: dict[int, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.sends: dict[int, int] = {}  # Bot API calls made per group (for benchmarks and /stats)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def open(self, groups: tuple[int, ...], threads: dict[tuple[int, int], int]) -> None:
        """Load what a previous run left waiting, and start one worker per group."""
        self._threads.update(threads)
        self._topic_of.update({handoff: thread for (_, thread), handoff in threads.items()})
        for group in groups:
            self._pacers[group] = Pacer(self.per_minute, self.burst)
            self._rows[group], self._clocks[group], self._relayed[group] = {}, {}, {}
            self._wake[group] = asyncio.Event()
        for row in await self.store.staff_rows():
            if row.group in self._rows:
                self._rows[row.group][row.id] = self._placed(row)
                self._since[row.id] = self.clock()
        for group in groups:
            self._tasks.append(asyncio.create_task(self._worker(group)))

    async def close(self) -> None:
        await cancel_all(self._tasks)

    def knows(self, group: int | None) -> bool:
        return group in self._rows

    def depth(self, group: int) -> int:
        """Messages waiting for the group."""
        return len(self._rows.get(group, {}))

    def depths(self) -> dict[int, int]:
        return {group: len(rows) for group, rows in self._rows.items()}

    def tokens(self) -> dict[int, float]:
        """How many sends each group's pacer would let go at once now."""
        now = self.clock()
        return {group: pacer.ready(now) for group, pacer in self._pacers.items()}

    def waiting(self, handoff: int, kind: str) -> bool:
        """The handoff has a row of this kind waiting (e.g. its topic)."""
        return any(r.handoff == handoff and r.kind == kind for rows in self._rows.values() for r in rows.values())

    async def slot(self, group: int) -> None:
        """A send made outside the outbox (the /stats chart) counts against the group's budget; never waits."""
        pacer = self._pacers.get(group)
        if pacer is not None:
            pacer.spend(self.clock())

    # -- enqueueing (one store trip each) ------------------------------------------------------------------

    def _take(self, rows: list[StaffRow]) -> None:
        for row in rows:
            self._rows[row.group][row.id] = self._placed(row)
            self._since.setdefault(row.id, self.clock())
            self._wake[row.group].set()

    def adopt(self, rows: list[StaffRow]) -> None:
        """Send rows the store queued in a transaction of its own (a message left in parts, posted as one)."""
        self._take([r for r in rows if r.group in self._rows])

    def _placed(self, row: StaffRow) -> StaffRow:
        """A row queued as waiting for its topic when the topic exists already: it goes there."""
        if row.thread is None and row.handoff is not None and row.kind != "topic":
            thread = self._topic_of.get(row.handoff)
            if thread is not None:
                return replace(row, thread=thread)
        return row

    def conversation(self, group: int, thread: int | None) -> int | None:
        return None if thread is None else self._threads.get((group, thread))

    async def add(self, items: list[StaffNew], *, replace_edits: bool = False) -> bool:
        """Queue rows for known groups, in order; False when none could be queued."""
        items = [i for i in items if i.group in self._rows]
        if not items:
            return False
        self._take(await self.store.staff_add(items, now=self.now(), replace=replace_edits))
        return True

    async def post(
        self,
        group: int,
        thread: int | None,
        text: str,
        buttons: Rows = (),
        *,
        handoff: int | None = None,
        urgent: bool = False,
    ) -> bool:
        """A note (or the card's companion) into a topic, or into General when both thread and handoff are None."""
        handoff = handoff if handoff is not None else self.conversation(group, thread)
        payload = {"text": text, "buttons": [list(map(list, row)) for row in buttons]}
        return await self.add([StaffNew(group, "note", payload, handoff, thread, urgent=urgent)])

    async def relay(
        self, group: int, thread: int | None, handoff: int, person: str, message: dict[str, Any], *,
        update_id: int | None, now: datetime, urgent: bool = False,
    ) -> bool:  # fmt: skip
        """The person's message for their topic, once per update; False when this update was relayed already."""
        if group not in self._rows:
            return False
        row = await self.store.staff_relay(
            StaffNew(group, "relay", message, handoff, thread, urgent=urgent), person, update_id=update_id, now=now
        )
        if row is None:
            return False
        self._take([row])
        return True

    async def open_topic(self, handoff: int, group: int, name: str, urgent_name: str, card: str, buttons: Rows) -> None:
        """A new topic for the handoff, then its card (the card's id is recorded when Telegram has it)."""
        await self.add(
            [
                StaffNew(group, "topic", {"name": name, "urgent_name": urgent_name}, handoff),
                StaffNew(group, "card", {"text": card, "buttons": [list(map(list, r)) for r in buttons]}, handoff),
            ]
        )

    async def edit(
        self, handoff: int, group: int, thread: int | None, card: int | None, text: str, buttons: Rows, *,
        urgent: bool = False,
    ) -> None:  # fmt: skip
        """The card's new text and buttons; a pending edit of the same card is replaced (its newest state wins)."""
        payload = {"text": text, "buttons": [list(map(list, r)) for r in buttons]}
        await self.add([StaffNew(group, "edit", payload, handoff, thread, card, urgent)], replace_edits=True)
        self._forget_replaced(group, handoff, "edit")

    async def unbutton(self, handoff: int, group: int, thread: int | None, card: int | None) -> None:
        """The card's buttons go (the conversation ended)."""
        await self.add([StaffNew(group, "markup", {}, handoff, thread, card)], replace_edits=True)
        self._forget_replaced(group, handoff, "markup")

    async def rename(self, handoff: int, group: int, thread: int | None, name: str, *, urgent: bool = False) -> None:
        await self.add([StaffNew(group, "rename", {"name": name}, handoff, thread, urgent=urgent)])

    async def close_topic(self, handoff: int | None, group: int, thread: int, *, delete: bool = False) -> None:
        await self.add([StaffNew(group, "delete" if delete else "close", {}, handoff, thread)])

    async def urgent(self, handoff: int) -> None:
        """Danger words: the conversation's waiting rows go before everyone else's."""
        await self.store.staff_urgent(handoff)
        for group, rows in self._rows.items():
            for row_id, row in list(rows.items()):
                if row.handoff == handoff:
                    rows[row_id] = replace(row, urgent=True)
            self._wake[group].set()

    async def drop(self, handoff: int) -> None:
        """The handoff closed before its topic existed: nothing of it goes."""
        if not self.waiting(handoff, "topic"):
            return
        await self.store.staff_drop(handoff)
        for rows in self._rows.values():
            for row_id in [i for i, r in rows.items() if r.handoff == handoff]:
                self._discard(rows, row_id)

    async def forget(self, handoff: int) -> None:
        """/forget: the person's own words still waiting for their topic do not go (the bot's notes still do)."""
        await self.store.staff_drop(handoff, only="relay")
        for rows in self._rows.values():
            for row_id in [i for i, r in rows.items() if r.handoff == handoff and r.kind == "relay"]:
                self._discard(rows, row_id)

    def _forget_replaced(self, group: int, handoff: int, kind: str) -> None:
        """The store dropped older untried edits; the newest (highest ord) one stays in memory too."""
        rows = self._rows.get(group, {})
        same = sorted((r for r in rows.values() if r.handoff == handoff and r.kind == kind), key=lambda r: r.ord)
        for row in same[:-1]:
            if not row.attempts and row.id not in self._ready:
                self._discard(rows, row.id)

    # -- the worker --------------------------------------------------------------------------------------

    async def _worker(self, group: int) -> None:
        while True:
            try:
                await self._turn(group)
            except asyncio.CancelledError:
                raise
            except Exception:  # a worker must outlive any one message
                log.exception("a warm-line group's sender failed; trying again")
                await asyncio.sleep(1.0)

    async def _sleep(self, group: int, seconds: float | None) -> None:
        """Until something is queued for the group (since this turn began), or `seconds` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake[group].wait(), seconds)

    def _pending(self, group: int) -> list[pacing.Pending]:
        found = []
        for row in self._rows[group].values():
            text = row.payload.get("text") if row.kind == "relay" else None
            found.append(
                pacing.Pending(
                    row.id, row.handoff or pacing.GENERAL, row.kind, row.ord, row.thread, text, row.urgent,
                    self._ready.get(row.id, 0.0), self._since.get(row.id, 0.0),
                )
            )  # fmt: skip
        return found

    async def _turn(self, group: int) -> None:
        self._wake[group].clear()  # before looking: anything queued from here on wakes this turn's sleep
        rows = self._rows[group]
        if not rows:
            await self._sleep(group, None)
            return
        now = self.clock()
        await self._drop_stranded(group)
        choice = pacing.choose(self._pending(group), self._clocks[group], self._relayed[group], now, cap=self.cap)
        if not choice.batch:
            await self._sleep(group, choice.wait)
            return
        pause = max(self._pacers[group].delay(now), self._paused.get(group, 0.0) - now)
        if pause > 0:
            await self._sleep(group, pause)  # something more urgent may arrive meanwhile: choose again
            return
        self._pacers[group].spend(now)
        await self._send(group, [rows[p.row] for p in choice.batch])

    async def _drop_stranded(self, group: int) -> None:
        """Rows waiting for a topic that nothing will create (the request closed, the topic refused): dropped."""
        rows = self._rows[group]
        opening = {r.handoff for r in rows.values() if r.kind == "topic"}
        for row_id, row in list(rows.items()):
            rows[row_id] = self._placed(row)
        stranded = [
            r.id for r in rows.values() if r.thread is None and r.handoff is not None and r.handoff not in opening
        ]
        if stranded:
            await self.store.staff_done(stranded)
            for row_id in stranded:
                self._discard(rows, row_id)

    async def _send(self, group: int, batch: list[StaffRow]) -> None:
        first = batch[0]
        self.sends[group] = self.sends.get(group, 0) + 1
        try:
            answer = await self._call(group, batch)
        except RetryAfter as exc:
            self._paused[group] = self.clock() + retry_after_seconds(exc) + 0.05
            return
        except BadRequest as exc:
            await self._refused(group, first, batch, exc)
            return
        except Forbidden as exc:
            await self._refused(group, first, batch, exc)
            return
        except TelegramError as exc:  # 5xx, timeouts, network: the same rows again after a while
            await self._retry(batch, exc)
            return
        except (KeyError, TypeError, ValueError):  # a row this version cannot send: dropped, not retried forever
            log.exception("a message for a warm-line group could not be sent; dropped")
            answer = None
        key, clocks = first.handoff or pacing.GENERAL, self._clocks[group]
        turn = pacing.flow(first.kind, key)
        clocks[turn] = pacing.advance(clocks.get(turn), self.clock(), self.interval)
        if first.kind == "relay" and first.handoff is not None:
            now, sends = self.clock(), self._relayed[group]
            sends[key] = [t for t in sends.get(key, []) if now - t < pacing.WINDOW] + [now]
        await self._done(group, batch, answer)

    def _discard(self, rows: dict[int, StaffRow], row_id: int) -> None:
        rows.pop(row_id, None)
        self._ready.pop(row_id, None)
        self._since.pop(row_id, None)

    async def _call(self, group: int, batch: list[StaffRow]) -> Any:
        """One Bot API call for the batch (several rows only when they are plain texts merged)."""
        first, bot = batch[0], self.bot
        body = first.payload
        if first.kind in ("rename", "close", "delete"):
            return await self._call_topic(group, first)
        if first.kind == "topic":
            name = body["urgent_name"] if first.urgent else body["name"]
            return await bot.create_forum_topic(group, name)
        if first.kind in ("card", "note"):
            return await bot.send_message(
                group, body["text"], message_thread_id=first.thread, reply_markup=markup(body.get("buttons") or ())
            )
        if first.kind == "relay" and (len(batch) > 1 or body.get("from_chat") is None):  # words alone: the web's
            merged = "\n\n".join(str(row.payload.get("text") or "") for row in batch)
            return await bot.send_message(group, merged, message_thread_id=first.thread)
        if first.kind == "relay":  # a copy, or as bot.warmline.relaying shaped it (a text, a new caption)
            return await relay_call(bot, group, body, first.thread)()
        if first.target is None:
            return None  # an edit of a card that was never posted: nothing to change
        if first.kind == "edit":
            return await bot.edit_message_text(
                body["text"], group, first.target, reply_markup=markup(body.get("buttons") or ())
            )
        if first.kind == "markup":
            return await bot.edit_message_reply_markup(group, first.target, reply_markup=None)
        raise AssertionError(first.kind)  # pragma: no cover

    async def _call_topic(self, group: int, row: StaffRow) -> Any:
        body, bot = row.payload, self.bot
        if row.kind == "rename":
            return await bot.edit_forum_topic(group, row.thread, name=body["name"])
        if row.kind == "close":
            return await bot.close_forum_topic(group, row.thread)
        return await bot.delete_forum_topic(group, row.thread)

    async def _done(self, group: int, batch: list[StaffRow], answer: Any) -> None:
        first, rows = batch[0], self._rows[group]
        ids = [row.id for row in batch]
        thread = card = None
        if first.kind == "topic" and answer is not None:
            thread = int(answer.message_thread_id)
        elif first.kind == "card" and answer is not None:
            card = int(answer.message_id)
        live = await self.store.staff_done(ids, handoff=first.handoff, thread=thread, card=card)
        for row_id in ids:
            self._discard(rows, row_id)
        if thread is not None and first.handoff is not None:
            self._threads[(group, thread)] = first.handoff
            self._topic_of[first.handoff] = thread
            for row_id, row in list(rows.items()):
                if row.handoff == first.handoff and row.thread is None:
                    rows[row_id] = replace(row, thread=thread)
            if not live:  # closed while its topic was being made: close the new topic too
                await self.close_topic(first.handoff, group, thread)
        if card is not None and first.handoff is not None:
            for row_id, row in list(rows.items()):
                if row.handoff == first.handoff and row.target is None and row.kind in ("edit", "markup"):
                    rows[row_id] = replace(row, target=card)

    async def _retry(self, batch: list[StaffRow], exc: TelegramError) -> None:
        log.warning("a message for a warm-line group will be sent again (%s)", type(exc).__name__)
        await self.store.staff_retry([row.id for row in batch])
        for row in batch:
            rows = self._rows[row.group]
            if row.id in rows:
                rows[row.id] = replace(rows[row.id], attempts=rows[row.id].attempts + 1)
                wait = pacing.backoff(rows[row.id].attempts, self.policy.first_delay, self.policy.max_delay)
                self._ready[row.id] = self.clock() + wait

    async def _refused(self, group: int, first: StaffRow, batch: list[StaffRow], exc: TelegramError) -> None:
        """A final answer: the topic is gone (open it again), no rights (tell), unchanged (fine), or dropped."""
        words = exc.message.lower()
        if isinstance(exc, BadRequest) and topic_gone(exc) and first.kind not in ("close", "delete", "topic"):
            if first.handoff is not None and await self._reopen(group, first.handoff):
                return
        elif first.kind == "topic" and first.handoff is not None:  # no rights, not a forum, a bad name...
            rights = "; is it an admin with Manage topics?" if no_rights(exc) else ""
            log.error("Telegram refused to open a warm-line topic (%s)%s", words, rights)
            if await self.hooks.topic_refused(first.handoff, group):
                await self._retry(batch, exc)
            else:
                await self.drop(first.handoff)
            return
        elif not any(w in words for w in UNCHANGED_WORDS):
            log.warning("Telegram refused a message for a warm-line group (%s); dropped", type(exc).__name__)
        await self._done(group, batch, None)

    async def _reopen(self, group: int, handoff: int) -> bool:
        """The conversation's topic was deleted: a new one (its card, a note) goes first, then what waited."""
        items = await self.hooks.topic_lost(handoff)
        if not items:
            return False
        added = await self.store.staff_reopen(handoff, items, now=self.now())
        self._topic_of.pop(handoff, None)
        rows = self._rows[group]
        for row_id, row in list(rows.items()):
            if row.handoff == handoff:
                target = None if row.kind in ("edit", "markup") else row.target
                rows[row_id] = replace(row, thread=None, target=target)
        self._take(added)
        return True


GroupQueues = StaffOutbox  # the name bot.channels.telegram.groupcommands knows it by
