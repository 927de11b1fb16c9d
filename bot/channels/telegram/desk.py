"""The supporter's desk in a warm-line topic, on Telegram (the decisions are bot.warmline.desk):

    "// ..." or "#note ..." in a topic   never relayed: a note for the team (the card says so)
    /handover Sam she wants a bed        the holder (or an admin) gives the conversation to an on-duty colleague;
                                         the line is posted in the topic, the person is told who is with them now
    after End                            wrap-up buttons: how it ended, follow-up needed? -> anonymous counts only
    /queue (General or a topic)          who waits in this group: alias, language, minutes; urgent first
    every tick                           a waiting card's "Waiting: N min" edited when N changes (once a minute)
    first supporter message, the end     handoff_first_reply_min:N and handoff_length_min:N, for /stats' medians

Every word is in flows/warmline.yaml (staff language, and the person's four). Logs never hold text or ids.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.telegram.delivery import keyboard
from bot.channels.telegram.relay import StaffOutbox
from bot.content.warmlinetext import WarmlineText
from bot.staff.stats import first_reply_counter, length_counter
from bot.store.database import Store
from bot.warmline import desk
from bot.warmline import rules as decide

if TYPE_CHECKING:
    from bot.channels.telegram.edge import Edge

log = logging.getLogger(__name__)
T = TypeVar("T")
PREFIX = "w|"
Rows = tuple[tuple[tuple[str, str], ...], ...]
CONSOLE = frozenset({"queue", "handover"})  # the desk's group commands (bot.channels.telegram.groupcommands)
WRAPUP_AFTER = frozenset({"supporter", "person", "idle", "blocked", "expired"})  # ends that get a wrap-up


class Admins(Protocol):
    """Who is a group admin (bot.channels.telegram.groupcommands.Admins, which imports this module)."""

    async def check(self, warm: Any, group: int, user: int) -> bool: ...


class Warmline(Protocol):
    """What the desk uses of bot.channels.telegram.warmline.Warmline (which imports this module)."""

    groups: tuple[int, ...]
    desk: Desk

    @property
    def admins(self) -> Admins: ...

    @property
    def queues(self) -> StaffOutbox: ...

    @property
    def edge(self) -> Edge: ...

    @property
    def store(self) -> Store: ...

    @property
    def text(self) -> WarmlineText: ...

    @property
    def bot(self) -> Any: ...

    async def count(self, name: str) -> None: ...

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T: ...

    async def _to_group(self, group: int | None, thread: int | None, text: str, buttons: Rows = ()) -> int | None: ...

    async def _to_person(self, person: str, text: str, buttons: Rows = (), *, wait: bool = False) -> int | None: ...

    async def _edit_card(self, row: dict[str, Any], *, taken_by: str | None = None) -> None: ...

    async def supporter_alias(self, user_id: int | None, group: int) -> str: ...

    def note(self, text: str) -> str: ...


class HasDesk(Protocol):
    desk: Desk


async def run(warm: HasDesk, name: str, argument: str, group: int, thread: int | None, user: int) -> None:
    """/queue or /handover from `user`, answered where it was sent (groupcommands.run hands them here)."""
    if name == "queue":
        await warm.desk.queue(group, thread)
    elif name == "handover":
        await warm.desk.handover(group, thread, user, argument)


class Desk:
    """The console features of one warm line."""

    def __init__(self, warm: Warmline) -> None:
        self.warm = warm
        self._card_minutes: dict[int, int] = {}  # handoff -> minutes its card shows

    # -- the waiting card -------------------------------------------------------------------------------

    async def refresh_cards(self, now: datetime) -> None:
        """Edit each waiting card whose minutes changed (at most once a minute per card)."""
        at = int(now.timestamp())
        queued = {r["id"]: r for r in await self.warm.store.handoffs() if r["status"] == "queued"}
        for hid in set(self._card_minutes) - set(queued):
            self._card_minutes.pop(hid)
        for hid, row in queued.items():
            minutes = desk.wait_minutes(row["created_at"], at)
            if row["card"] is None or not desk.card_due(self._card_minutes.get(hid, 0), minutes):
                continue
            self._card_minutes[hid] = minutes
            await self.warm._edit_card(row)

    # -- notes and first replies ------------------------------------------------------------------------

    @staticmethod
    def is_note(text: str | None) -> bool:
        return desk.is_note(text)

    async def first_reply(self, row: dict[str, Any], now: datetime) -> None:
        """The supporter's first message in a taken conversation: one more in its minute bucket."""
        if row["status"] == "taken" and row["taken_at"] and await self.warm.store.handoff_first_reply(row["id"], now):
            await self.warm.count(first_reply_counter(now.timestamp() - row["taken_at"]))

    # -- /handover --------------------------------------------------------------------------------------

    async def handover(self, group: int, thread: int | None, user: int, argument: str) -> None:
        """/handover ALIAS context: the holder (or an admin) passes a taken conversation to an on-duty colleague."""
        warm, text = self.warm, self.warm.text
        rows = await warm.store.handoffs(thread=(group, thread)) if thread is not None else []
        if thread is None or not rows or rows[0]["status"] != "taken":
            key = "topic_only" if thread is None else "not_taken" if rows else "gone"
            await warm._to_group(group, thread, text.staff_say(key, command="handover"))
            return
        row = rows[0]
        if row["supporter"] != user and not await warm.admins.check(warm, group, user):
            await warm._to_group(group, thread, text.staff_say("not_yours"))
            return
        holder = row["supporter"]  # anyone else on duty here, with an alias (an admin may name themselves)
        on_duty = {u: a for u, g, a, d in await warm.store.supporters() if g == group and d and a and u != holder}
        found = desk.handover_target(argument, on_duty)
        if found is None:
            key = "handover_usage" if not argument.strip() else "handover_unknown"
            await warm._to_group(group, thread, text.staff_say(key, supporter=", ".join(sorted(on_duty.values()))))
            return
        colleague, context = found
        held = sum(1 for r in await warm.store.handoffs() if r["status"] == "taken" and r["supporter"] == colleague)
        if not decide.may_take(held, text.capacity):
            await warm._to_group(
                group, thread, text.staff_say("handover_full", supporter=on_duty[colleague], capacity=text.capacity)
            )
            return
        await self._move(row, colleague, on_duty[colleague], context)

    async def _move(self, row: dict[str, Any], colleague: int, name: str, context: str) -> None:
        warm, text = self.warm, self.warm.text
        group, thread = row["group_chat"], row["thread"]
        before = await warm.supporter_alias(row["supporter"], group)
        await warm.store.handoff_update(row["id"], supporter=colleague, warned=0)
        row = {**row, "supporter": colleague, "warned": 0}
        guest = decide.alias(row["token"])
        note = text.staff_say("handed_over_note", supporter=before, colleague=name, alias=guest)
        await warm._to_group(group, thread, f"{note}\n{context}" if context else note)  # the line stays in the topic
        await warm._edit_card(row, taken_by=name)
        await warm._to_person(row["person"], text.say("handed_over", row["language"], supporter=before, colleague=name))
        await warm.count("handoff_handed_over")

    # -- /queue -----------------------------------------------------------------------------------------

    async def queue(self, group: int, thread: int | None) -> None:
        """Who waits in this group (alias, language, minutes; urgent first), and how many messages wait for an
        answer; where it was asked."""
        warm, text = self.warm, self.warm.text
        at = int(warm.edge.clock().timestamp())
        rows = [r for r in await warm.store.handoffs() if r["group_chat"] == group]
        waiting = desk.queue_order(
            desk.Waiting(
                decide.alias(r["token"]), r["language"], desk.wait_minutes(r["created_at"], at), bool(r["urgent"])
            )
            for r in rows
            if r["status"] == "queued"
        )
        left = sum(1 for r in rows if r["status"] == "left")
        if waiting:
            lines = [text.staff_say("queue_title", position=len(waiting))]
            lines += [
                ("⚠ " if w.urgent else "")
                + text.staff_say("queue_line", alias=w.alias, language=w.language, minutes=w.minutes)
                for w in waiting
            ]
        else:
            lines = [text.staff_say("queue_empty")]
        if left:
            lines.append(text.staff_say("queue_left", position=left))
        await warm._to_group(group, thread, "\n".join(lines))

    # -- the end: length and wrap-up ----------------------------------------------------------------------

    async def ended(self, row: dict[str, Any]) -> None:
        """A handoff closed: a taken conversation's length goes in its minute bucket."""
        self._card_minutes.pop(row["id"], None)
        if row["status"] == "taken" and row["taken_at"]:
            await self.warm.count(length_counter(self.warm.edge.clock().timestamp() - row["taken_at"]))

    async def wrapup(self, row: dict[str, Any], reason: str) -> None:
        """After a taken conversation ended: the wrap-up buttons for its supporter, in the topic (still open)."""
        if row["status"] != "taken" or reason not in WRAPUP_AFTER or row["supporter"] is None or row["thread"] is None:
            return
        now = self.warm.edge.clock()
        wid = await self.warm.store.wrapup_add(row["group_chat"], row["supporter"], now)
        ask = self.warm.text.staff_say("wrapup_ask", alias=decide.alias(row["token"]))
        await self.warm._to_group(row["group_chat"], row["thread"], ask, self._buttons(wid, "outcome"))

    def _buttons(self, wid: int, step: str) -> Rows:
        say = self.warm.text.staff_say
        return tuple(((say(f"wrapup_{c}"), desk.wrapup_data(PREFIX, wid, c)),) for c in desk.choices(step))

    async def on_wrapup(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A wrap-up button: counted once, by the supporter who held the conversation, in its own group."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or query.message is None:
            return
        tap = desk.read_wrapup(query.data or "", PREFIX)
        found = await self.warm.store.wrapup(tap.wrapup) if tap is not None else None
        answer = ""
        if tap is None or found is None or found.group_chat != query.message.chat.id:
            answer = self.warm.text.staff_say("gone")
        elif found.supporter != user.id:
            answer = self.warm.text.staff_say("not_yours")
        elif await self.warm.store.wrapup_step(tap.wrapup, tap.step, tap.next_step):
            await self.warm.count(tap.counter)
            await self._next(found.group_chat, query.message.message_id, tap)
        with contextlib.suppress(TelegramError):
            await query.answer(answer or None)

    async def _next(self, group: int, message: int, tap: desk.WrapupTap) -> None:
        say = self.warm.text.staff_say
        words = self.warm.note(say("wrapup_done") if tap.next_step == "done" else say(f"wrapup_{tap.next_step}"))
        rows = [
            [{"label": label, "data": data} for label, data in row] for row in self._buttons(tap.wrapup, tap.next_step)
        ]
        markup = keyboard(rows)
        await self.warm.queues.slot(group)  # the answer to a tap: paced with the group, not queued behind it
        try:
            await self.warm._call(partial(self.warm.bot.edit_message_text, words, group, message, reply_markup=markup))
        except TelegramError as exc:
            log.warning("a wrap-up was not updated (%s)", type(exc).__name__)
