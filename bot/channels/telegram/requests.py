"""Asking for a person, durably, and one topic per person: the warm line's request (bot.channels.telegram.warmline).

    tap "connect me" ─► prepare (before the turn is saved): handoffs row "asking", keyed by the update
                     ─► the turn's "I'm asking the team" saved and sent
                     ─► on_action: decide ─► "queued" in the person's topic (reopened, or a new one) + a card
                                         └─► out of hours / nobody on duty: said, with "leave a message"

A crash anywhere loses and doubles nothing: an "asking" row left by a crash is decided at start; the update that
asked is never asked twice (a redelivered one finds its row). A person keeps one topic (bot/store/persontopics.py)
while it exists: coming back after End, or a left message, reopens it under the same alias, with a note, so
whoever takes them sees the history; "Connect me again" after a silent supporter puts them back in line there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import BadRequest, TelegramError

from bot.channels.telegram.warmparts import WarmlineParts
from bot.core.types import Action
from bot.runtime.ports import parse_address
from bot.store.persontopics import PersonTopic
from bot.store.staffoutbox import StaffNew
from bot.warmline import rules as decide
from bot.warmline.relaying import note

if TYPE_CHECKING:
    from bot.channels.telegram.edge import Incoming

log = logging.getLogger(__name__)
ACTIVE = ("queued", "taken")  # "You are already on the warm line" only then
ALREADY_OPEN = "not modified"  # reopenForumTopic's answer for a topic that is open already (TOPIC_NOT_MODIFIED)


class Requests:
    """The request's steps for one Warmline (its store, words, group side and person side)."""

    def __init__(self, warm: WarmlineParts) -> None:
        self.warm = warm

    async def prepare(self, incoming: Incoming, action: Action) -> None:
        """Before the turn that says "I'm asking the team" is saved: record the request ("asking"), once per
        update; nothing when the person is already on the line (on_action says so) or no group is set up."""
        warm, store = self.warm, self.warm.store
        if action.name != "handoff" or not warm.groups or not incoming.key:
            return
        rows = await store.handoffs(person=incoming.person)
        if any(r["request"] == incoming.key or r["status"] in ACTIVE for r in rows):
            return
        channel, _ = parse_address(incoming.chat)
        await store.handoff_request(
            incoming.person,
            await self._token(incoming.person),
            str(action.get("language") or "en"),
            str(action.get("topic") or "talk"),
            tuple(action.get("path") or ()),
            incoming.key,
            incoming.now,
            channel=channel,
        )

    async def asked(self, incoming: Incoming, action: Action) -> None:
        """After the turn was sent: decide the request prepare recorded (a restart may have done it already)."""
        rows = await self.warm.store.handoffs(person=incoming.person)
        mine = [r for r in rows if incoming.key and r["request"] == incoming.key]
        if mine:
            if mine[0]["status"] == "asking":
                await self.decide(mine[0])
            return
        await self.request(
            incoming.person,
            str(action.get("language") or "en"),
            str(action.get("topic") or "talk"),
            tuple(action.get("path") or ()),
        )

    async def request(self, person: str, lang: str, topic: str, path: tuple[str, ...]) -> None:
        """Ask for a person now (a button, not a turn's promise): record and decide at once."""
        warm, store = self.warm, self.warm.store
        if any(r["status"] in ACTIVE for r in await store.handoffs(person=person)):
            await warm._to_person(person, warm.text.say("already", lang))
            return
        if not warm.groups:
            await warm._to_person(person, f"{warm.text.say('not_set_up', lang)}\n\n{warm.text.say('lines', lang)}")
            return
        chat = await warm.person.where(person)
        channel, _ = parse_address(chat or "")
        token = await self._token(person)
        hid = await store.handoff_request(person, token, lang, topic, path, None, warm.edge.now(), channel=channel)
        await self.decide((await store.handoffs(handoff=hid))[0])

    async def _token(self, person: str) -> str:
        """The person's alias token: their topic's (a message they left, or their last conversation), so
        supporters meet the same Guest again; else a new one."""
        for row in await self.warm.store.handoffs(person=person):
            if row["status"] == "left":
                return str(row["token"])
        mine = await self.warm.store.person_topic(person)
        return mine.token if mine is not None else decide.new_token()

    async def decide(self, row: dict[str, Any]) -> None:
        """An "asking" request: queue it in the person's topic, or (out of hours, nobody on duty) say so with the
        24/7 lines and "leave a message". Each request is decided once, whoever gets there first."""
        warm, store = self.warm, self.warm.store
        person, lang, hid, now = row["person"], row["language"], row["id"], warm.edge.now()
        lines = warm.text.say("lines", lang)
        supporters = await warm.supporters()
        closed = not decide.is_open(warm.text, now)
        if closed or not decide.on_duty(supporters):
            if not await store.handoff_status(hid, "declining", was="asking"):
                return
            why = "out_of_hours" if closed else "nobody"
            await store.count(f"warmline_{why}", now=now)
            said = warm.text.say(why, lang, hours=warm._hours(lang, now))
            leave = (((warm.text.say("leave_button", lang), f"w|leave|{row['topic']}"),),)
            await warm._to_person(person, f"{said}\n\n{lines}", leave)
            await store.handoff_delete(hid)
            return
        left = [r for r in await store.handoffs(person=person) if r["status"] == "left" and r["id"] != hid]
        if left and await store.handoff_adopt(left[-1]["id"], hid):  # a message left: the request takes its place
            hid = left[-1]["id"]
        elif not await store.handoff_status(hid, "queued", was="asking"):
            return
        await warm._set_mode(person, "handoff")
        await store.count("warmline_requested", now=now)
        try:
            await self.into_topic((await store.handoffs(handoff=hid))[0])
        except TelegramError as exc:  # e.g. the bot is not an admin with "manage topics" in the group
            log.error("could not open a warm-line topic (%s); the person was given the 24/7 lines", exc)
            await warm.close(hid, "failed", say=False)
            await warm._to_person(person, f"{warm.text.say('nobody', lang)}\n\n{lines}")
            return
        await warm.refresh_waiting()

    async def into_topic(self, row: dict[str, Any], *, message: bool = False) -> None:
        """Put the handoff in the person's topic: the one it has (a message they left), the person's earlier one
        reopened (either way a note says they are back, and a new card), or a new topic with its card."""
        warm, store = self.warm, self.warm.store
        if row["group_chat"] is None:  # (a topic still being created, thread None, gets the card when it is)
            mine = await store.person_topic(row["person"])
            if mine is None or mine.group_chat not in warm.groups or not await self._reopen(mine):
                await warm._open_topic(row, message=message)
                row = (await store.handoffs(handoff=row["id"]))[0]
                await self._remember(row)
                return
            await store.handoff_update(row["id"], group_chat=mine.group_chat, thread=mine.thread)
            row = {**row, "group_chat": mine.group_chat, "thread": mine.thread}
        group, thread, hid = row["group_chat"], row["thread"], row["id"]
        back = {
            "text": note(
                warm.text.staff_say("note_mark"), warm.text.staff_say("person_back", alias=decide.alias(row["token"]))
            )
        }
        buttons = () if message else warm._card_buttons(row)
        card = {"text": warm._card(row, message=message), "buttons": [list(map(list, r)) for r in buttons]}
        await warm.queues.add([StaffNew(group, "note", back, hid, thread), StaffNew(group, "card", card, hid, thread)])
        await self._remember(row)

    async def _reopen(self, topic: PersonTopic) -> bool:
        """Reopen the person's earlier topic; False when it is gone (deleted by staff, or by retention)."""
        warm = self.warm
        await warm.queues.slot(topic.group_chat)
        try:
            await warm._call(lambda: warm.bot.reopen_forum_topic(topic.group_chat, topic.thread))
        except BadRequest as exc:
            if ALREADY_OPEN not in exc.message.lower():
                return False
        return True

    async def _remember(self, row: dict[str, Any]) -> None:
        if row["group_chat"] is not None and row["thread"] is not None:
            topic = PersonTopic(row["group_chat"], row["thread"], row["token"])
            await self.warm.store.person_topic_set(row["person"], topic)

    async def ended(self, row: dict[str, Any], reason: str) -> None:
        """A conversation in the person's topic ended: the topic is kept for their next (until /forget); one
        staff deleted is forgotten."""
        if reason == "topic_gone":
            await self.warm.store.person_topic_set(row["person"], None)
        elif reason != "forgot" and row["group_chat"] is not None and row["thread"] is not None:
            topic = PersonTopic(row["group_chat"], row["thread"], row["token"])
            await self.warm.store.person_topic_set(row["person"], topic, ended=self.warm.edge.clock())

    async def expire(self, now: datetime) -> None:
        """A topic whose last conversation ended HANDOFF_RETENTION_DAYS ago is no longer the person's to reuse."""
        await self.warm.store.person_topics_purge(now - timedelta(days=self.warm.edge.settings.handoff_days))

    async def reconnect(self, row: dict[str, Any]) -> None:
        """ "Connect me again" after a silent supporter: back in line in the same topic under the same alias, with
        a note naming who had it, so whoever takes it next sees the history."""
        warm, store = self.warm, self.warm.store
        if row["status"] == "taken":
            who = await warm.supporter_alias(row["supporter"], row["group_chat"])
            await store.handoff_update(row["id"], status="queued", supporter=None, taken_at=None, warned=0)
            await store.handoff_update(row["id"], waiting=None)
            row = (await store.handoffs(handoff=row["id"]))[0]
            await warm._edit_card(row)
            note = warm.text.staff_say("handed_over", alias=decide.alias(row["token"]), supporter=who)
            await warm._to_group(row["group_chat"], row["thread"], note)
        await warm.refresh_waiting()

    async def resume(self) -> None:
        """At start: decide the requests a crash left "asking", and keep live ones on the warm line."""
        warm, store = self.warm, self.warm.store
        for row in await store.handoffs():
            if row["status"] == "asking":
                await self.decide(row)
            elif row["status"] == "declining":  # told already (the outbox has it); only the row was left
                await store.handoff_delete(row["id"])
            elif row["status"] in ("queued", "taken", "leaving"):
                await warm._set_mode(row["person"], "handoff")
