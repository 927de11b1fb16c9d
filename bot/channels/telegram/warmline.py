"""The warm line on Telegram: a person's request becomes a forum topic with a card; a supporter takes it; messages
are copied both ways (never forwarded); /end closes it warmly. The `Handoff` plug-in of bot.channels.telegram.edge.Edge.

    person ─► Edge ─► intercept ─► store.relay_add (encrypted, once per update) ─► group worker (paced, merged)
                                                                                   ─► copyMessage into the topic
    supporter in topic ─► handler (group 1) ─► store.relay_add ─► copyMessage to the person's chat

Decisions (who is next, the alias, the card, the wait, pacing) are in bot.warmline.rules; every word is in
flows/warmline.yaml. Everything needed to carry on lives in the store, so a restart loses and doubles nothing:
start() re-opens topics that were not yet created and sends what was still queued. Logs never hold text, names
or Telegram ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatMemberHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram import groupcommands
from bot.channels.telegram import warmtrust as trust
from bot.channels.telegram.delivery import with_retries
from bot.channels.telegram.desk import Desk
from bot.channels.telegram.edge import CHANNEL
from bot.channels.telegram.leftmessages import LeftMessages, payload_of, update_of
from bot.channels.telegram.relay import StaffOutbox, cancel_all
from bot.channels.telegram.requests import Requests
from bot.channels.telegram.toperson import PersonLine, person_buttons
from bot.channels.telegram.topics import Topics
from bot.conversation.privacy import wants_brief
from bot.conversation.safety import is_danger
from bot.core.numbers import whole_number
from bot.core.types import Action, Reply, Session, Turn
from bot.directory import cards
from bot.settings import Settings
from bot.staff.stats import wait_counter
from bot.store.database import Store
from bot.store.staffoutbox import StaffNew
from bot.warmline import pacing, relaying
from bot.warmline import permissions as allow
from bot.warmline import rules as decide
from bot.warmline.rules import Supporter, WarmlineText

if TYPE_CHECKING:
    from bot.channels.telegram.edge import Edge, Incoming

log = logging.getLogger(__name__)
T = TypeVar("T")
PREFIX = "w|"  # callback data of warm-line buttons; the engine's never starts so
LIVE = ("queued", "taken", "leaving")
DUTY_SECONDS = 5.0  # how long a count of the supporters on duty is trusted for Event.line
PASS_THROUGH = frozenset({"menu", "forget", "start", "help", "language"})  # commands the engine still answers
GROUP_COMMANDS = groupcommands.COMMANDS | {"onduty", "offduty", "end"}  # a supporter's other "/..." is relayed
Rows = tuple[tuple[tuple[str, str], ...], ...]  # buttons as (label, callback data) rows


def holding_of(row: dict[str, Any]) -> allow.Holding:
    """A handoff row as bot.warmline.permissions sees it."""
    return allow.Holding(row["status"], row["supporter"], row["group_chat"], row["card"], row["thread"])


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


class Warmline:
    """The warm line: construct with the loaded flows/warmline.yaml, pass to
    bot.channels.telegram.edge.serve(handoff=...).

    `per_minute`/`burst` pace each group (Telegram allows about 20 messages a minute in one group; 0 turns
    pacing off, for benchmarks). `tick` is how often, in seconds, places in line are refreshed and silence and
    idleness checked (None: the file's refresh_seconds; 0: never, and tests call `tick()` themselves).
    """

    def __init__(self, text: WarmlineText, *, per_minute: int = 20, burst: int = 4, tick: float | None = None) -> None:
        self._text, self._text_version = text, ""
        self.per_minute, self.burst = per_minute, burst
        self.every = float(text.refresh_seconds) if tick is None else tick
        self._edge: Edge | None = None
        self.groups: tuple[int, ...] = ()
        self._queues: StaffOutbox | None = None
        self._told_busy: float | None = None  # when on-duty supporters were last told every group is full
        self._told_refused: set[int] = set()  # handoffs whose refused topic General has been told about
        self._tasks: list[asyncio.Task[None]] = []
        self._flushing: set[asyncio.Task[None]] = set()  # copies to people under way
        self._shown: dict[int, str] = {}  # handoff -> waiting text last shown
        self._closed: set[tuple[int, int]] = set()  # (group, thread) of topics closed since the start
        self.clock: Callable[[], float] = time.monotonic
        self.admins = groupcommands.Admins()
        self._person: PersonLine | None = None
        self.requests = Requests(self)  # asking for a person, durably; one topic per person
        self.left = LeftMessages(self, self.requests)  # a message left for the team, in parts, answerable
        self.topics = Topics(self)  # forgetting on the group's side: topics deleted, handoffs expired
        self.desk = Desk(self)  # the supporters' console: notes, /handover, /queue, wrap-up, the card's wait
        self._duty: tuple[float, int] | None = None  # (when counted, supporters on duty), for line_state

    @property
    def text(self) -> WarmlineText:
        """flows/warmline.yaml: as constructed, then as each reload of the content (/reload, run --watch) has it."""
        edge = self._edge
        if edge is not None and edge.content.version != self._text_version:
            self._text_version = edge.content.version
            if edge.content.warmline is not None:
                self._text = edge.content.warmline
        return self._text

    # -- the Handoff protocol -------------------------------------------------------------------------------

    def handlers(self) -> Sequence[BaseHandler[Any, Any, Any]]:
        """Buttons on cards and every message in the warm-line groups (topics, /end, /alias, /onduty...)."""
        return (
            CallbackQueryHandler(self.on_group_button, pattern=r"^w\|(take|release|close)\|"),
            CallbackQueryHandler(self.desk.on_wrapup, pattern=r"^w\|wrap\|"),
            MessageHandler(filters.ChatType.SUPERGROUP & filters.UpdateType.MESSAGE, self.on_group_message),
            MessageHandler(filters.ChatType.SUPERGROUP & filters.UpdateType.EDITED_MESSAGE, self.on_group_edit),
            ChatMemberHandler(self.on_blocked, ChatMemberHandler.MY_CHAT_MEMBER),
        )

    async def start(self, edge: Edge) -> None:
        """Start the groups' senders on what their staff outbox still holds, queue topics a crash left unqueued,
        and send what was waiting to be relayed to people."""
        self._edge = edge
        self._text_version = edge.content.version  # the words given to the constructor, until a reload
        self.groups = edge.settings.warmline_chat_ids
        self._queues = StaffOutbox(
            self.bot,
            self.store,
            self,
            policy=edge.policy,
            per_minute=self.per_minute,
            burst=self.burst,
            clock=self.clock,
            now=edge.clock,
        )
        handoffs = {row["id"]: row for row in await self.store.handoffs()}
        threads = {(r["group_chat"], r["thread"]): r["id"] for r in handoffs.values() if r["thread"] is not None}
        await self._queues.open(self.groups, threads)
        for row in handoffs.values():
            unopened = row["status"] in ("queued", "left") and row["thread"] is None
            if unopened and row["group_chat"] is None:  # a crash before it went anywhere: the person's topic
                await self.requests.into_topic(row, message=row["status"] == "left")
            elif unopened and not self._queues.waiting(row["id"], "topic"):
                await self._open_topic(row, message=row["status"] == "left")
        self._person = PersonLine(edge.delivery, self.store, self._flushing)
        edge.delivery.when_blocked(self._on_blocked)
        for row_id, hid, direction, message in await self.store.relay_pending():
            if direction == "in":  # left by a version before the staff outbox: it moves there
                if hid in handoffs:
                    await self._relay_into(handoffs[hid], message, None, edge.clock())
                await self.store.relay_done(row_id)
            elif direction == "out":  # queued by a version that copied to people itself: the outbox has it now
                if hid in handoffs:
                    note = self.text.say("media_note", handoffs[hid]["language"])
                    await self.person.adopt(row_id, handoffs[hid]["person"], message, note)
                else:
                    await self.store.relay_done(row_id)
        await self.requests.resume()
        await self.left.tick(int(edge.clock().timestamp()))  # a crash while a left message was being posted
        await self._true_places()
        if self.every:
            self._tasks.append(asyncio.create_task(self._ticker(self.every)))
        self.topics.start()

    async def stop(self) -> None:
        if self._flushing:  # let copies under way finish: cut off, one might be sent again after a restart
            await asyncio.wait(self._flushing, timeout=5)
            await cancel_all(list(self._flushing))  # still trying (an outage): the outbox keeps them for the next start
        await self.topics.stop()
        if self._queues is not None:
            await self._queues.close()
        await cancel_all(self._tasks)

    def claims(self, edge: Edge, incoming: Incoming) -> bool:
        """The person is on the warm line, or tapped one of its buttons (callback data "w|...")."""
        event = incoming.event
        return incoming.session.mode == "handoff" or (event.kind == "option" and event.data.startswith(PREFIX))

    async def intercept(self, edge: Edge, incoming: Incoming) -> Turn | None:
        """While the person is on the warm line: relay their messages; answer warm-line buttons. Commands in
        PASS_THROUGH and danger words go on to the engine (danger words are relayed and mark the topic)."""
        event, session = incoming.event, incoming.session
        if event.kind == "option" and event.data.startswith(PREFIX):
            return await self._person_button(incoming)
        rows = [r for r in await self.store.handoffs(person=incoming.person) if r["status"] in LIVE]
        if not rows:
            return None
        row = rows[-1]
        if row["status"] == "leaving":  # writing a message for the team: parts, done, or a detour
            if event.kind == "option":
                return await self.left.detour(incoming, row)
            return await self.left.intercept(incoming, row)
        if event.kind == "option":
            return None
        payload = payload_of(incoming)
        if event.kind in ("command", "start"):
            name = event.text or "start"
            if name in PASS_THROUGH:
                return None
            if name in ("end", "stop"):
                await self.close(row["id"], "person")
                return Turn((), session.with_(mode="flow"))
            return Turn((Reply(self.text.say("already", session.language or row["language"])),), session)
        if payload is None:  # an edit: it reaches the topic as a correction ("edited: ...")
            await self.relay_edit_in(row, incoming)
            said = event.kind == "text" and is_danger(edge.content.danger, event.text)
            return None if said else Turn((), session)  # danger words in it: the engine's crisis answer too
        lang = session.language or row["language"]
        danger = event.kind == "text" and is_danger(edge.content.danger, event.text)
        message = incoming.update.message
        caption = message.caption if message is not None else None
        heard = danger or bool(caption and is_danger(edge.content.danger, caption))
        if not danger and (row["muted_until"] or 0) > incoming.now.timestamp():
            # a supporter's /mute: held back, not relayed; one calm note (danger words still go through)
            told = await self.store.handoff_mute_tell_once(row["id"])
            return Turn((Reply(self.text.say("muted", lang)),) if told else (), session)
        brief = not danger and event.kind == "text" and wants_brief(edge.privacy.words, event.text, lang)
        if message is not None and trust.needs_consent(message):  # a contact, place or file: once they say yes
            asked = await trust.hold(self, row, message, lang, PREFIX)
            if not danger:
                return Turn((asked,), session)
            await self.person.say(incoming.person, asked)  # danger words in its caption: the crisis answer too
            await self.mark_urgent(row["id"])
            return None
        payload = trust.words_in(self.text, row["token"], payload, message)
        await self.relay_in(row, payload, update_of(incoming), incoming.now)
        if heard and not danger:  # danger words in a caption: the topic is marked too
            await self.mark_urgent(row["id"])
        if danger:
            await self.mark_urgent(row["id"])
            return None
        if brief:  # "can't talk now": the supporter is told, and the bot's own screens turn short
            await self.note_brief(incoming.person, on=True)
            return Turn((), session.with_(brief=True))
        return Turn((), session)

    async def prepare(self, edge: Edge, incoming: Incoming, action: Action) -> None:
        """Before the turn is saved: a request is recorded before "I'm asking the team" can be sent."""
        await self.requests.prepare(incoming, action)

    async def on_action(self, edge: Edge, incoming: Incoming, action: Action) -> None:
        """`handoff` starts a request; `danger` marks a live one urgent; `erase` closes it before forgetting."""
        if action.name == "handoff":
            await self.requests.asked(incoming, action)
        elif action.name == "danger":
            for row in await self.store.handoffs(person=incoming.person):
                if row["status"] in LIVE:
                    await self.mark_urgent(row["id"])
        elif action.name == "brief":
            await self.note_brief(incoming.person, on=bool(action.get("on")))
        elif action.name == "erase":  # live or ended, the person's topics are deleted from the group (topics.py)
            for row in await self.store.handoffs(person=incoming.person):
                await self.close(row["id"], "forgot")
            await self.topics.forgotten(incoming.person)

    async def note_brief(self, person: str, *, on: bool) -> bool:
        """ "Can't talk now" (or talking again): a note in each live topic of the person, in the staff language,
        from flows/privacy-text.yaml. False when the person has no live topic."""
        key = "brief_supporter" if on else "brief_supporter_off"
        note = self.edge.privacy.words.text(key, self.text.staff_language)
        posted = False
        for row in await self.store.handoffs(person=person):
            if row["status"] in LIVE and row["thread"] is not None:
                posted = await self._to_group(row["group_chat"], row["thread"], note) is not None or posted
        return posted

    async def line_state(self) -> tuple[str, str]:
        """(Event.line, Event.topics) for the person's next turn: "off" with no group set up, else "on" or
        "nobody" from the supporters on duty (counted again after DUTY_SECONDS, or at once after /onduty,
        /offduty and a Take); and "keep" (WARMLINE_KEEP_TOPICS=1) or the days an ended topic stays."""
        if not self.groups:
            return "off", ""
        now = self.clock()
        if self._duty is None or now - self._duty[0] > DUTY_SECONDS:
            duty = sum(1 for _, group, _, on in await self.store.supporters() if on and group in self.groups)
            self._duty = (now, duty)
        settings = self.edge.settings
        return ("on" if self._duty[1] else "nobody"), ("keep" if settings.keep_topics else str(settings.handoff_days))

    # -- the person's side ----------------------------------------------------------------------------------

    @property
    def edge(self) -> Edge:
        assert self._edge is not None, "Warmline.start() first"
        return self._edge

    @property
    def store(self) -> Store:
        return self.edge.store

    @property
    def person(self) -> PersonLine:
        """The way to the person (bot.channels.telegram.toperson): the runtime's outbox, any channel."""
        assert self._person is not None, "Warmline.start() first"
        return self._person

    @property
    def queues(self) -> StaffOutbox:
        assert self._queues is not None, "Warmline.start() first"
        return self._queues

    def _hours(self, lang: str, now: datetime) -> str:
        """When the warm line is next open, in the person's words ("opens today at 12:00 p.m."), from the
        same labels as the service cards; the raw schedule only if it cannot be read that way."""
        labels = self.edge.content.directory.labels
        return cards.schedule_line(labels, self.text.schedule, lang, now) or self.text.hours

    async def request(self, person: str, lang: str, topic: str, path: tuple[str, ...], now: datetime) -> None:
        """A person asked for a person: queue them in their topic (a card) or, out of hours, say so and offer a
        message (bot.channels.telegram.requests)."""
        await self.requests.request(person, lang, topic, path)

    async def _open_topic(self, row: dict[str, Any], *, message: bool = False) -> None:
        """Queue the handoff's forum topic and its card (Take button, or none for a message left) for the group
        with room; the group's sender creates them in turn (bot.channels.telegram.relay)."""
        group = await self._route()
        await self.store.handoff_update(row["id"], group_chat=group)
        row = {**row, "group_chat": group}
        guest = decide.alias(row["token"])
        await self.queues.open_topic(
            row["id"],
            group,
            decide.topic_name(guest, row["language"], row["topic"], urgent=bool(row["urgent"]), channel=row["channel"]),
            decide.topic_name(guest, row["language"], row["topic"], urgent=True, channel=row["channel"]),
            self._card(row, message=message),
            () if message else self._card_buttons(row),
        )

    async def _route(self) -> int:
        """The group a new request goes to: one whose queue has room (pacing.with_room), the most free
        supporters among them (rules.choose_group). When every group is full, on-duty supporters are told in
        General, at most once per pacing.BUSY_EVERY seconds."""
        supporters = await self.supporters()
        queued: dict[int, int] = {}
        for other in await self.store.handoffs():
            if other["status"] == "queued" and other["group_chat"] is not None:
                queued[other["group_chat"]] = queued.get(other["group_chat"], 0) + 1
        queues = self.queues
        room = pacing.with_room(
            self.groups, queues.depths(), self.per_minute, self.burst, pacing.LAG_GOAL, queues.tokens()
        )
        group = decide.choose_group(room or self.groups, supporters, queued, self.text.capacity)
        if not room and pacing.due(self._told_busy, self.clock(), pacing.BUSY_EVERY):
            self._told_busy = self.clock()
            note = self.text.staff_say("groups_busy", seconds=int(pacing.LAG_GOAL))
            for each in self.groups:
                await self._to_group(each, None, note, urgent=True)
        return group

    async def _person_button(self, incoming: Incoming) -> Turn:
        """Cancel, End, Leave a message, Keep waiting, Connect again, and the did-this-help answer."""
        _, verb, arg = [*incoming.event.data.split("|", 2), "", ""][:3]
        session, person = incoming.session, incoming.person
        lang = session.language or "en"
        rows = {r["id"]: r for r in await self.store.handoffs(person=person)}
        number = whole_number(arg)
        row = rows.get(number) if number is not None else None
        query = incoming.update.callback_query
        tapped = query.message.message_id if query is not None and query.message is not None else None
        if verb in ("yes", "no"):  # one answer per conversation: its token goes with it, and the buttons
            await trust.drop_buttons(self, incoming.chat_id, tapped)
            if not await self.store.asked_answer(arg, person):
                return Turn((Reply(self.text.say("earlier", lang)),), session)
            await self.store.count(f"warmline_helped:{verb}", now=incoming.now)
            return Turn((Reply(self.text.say("thanks", lang)),), session)
        if verb in ("share", "noshare") and number is not None:
            return await self._shared(incoming, number, verb == "share", tapped)
        verdict = allow.person_button(verb, row["status"] if row is not None else None)
        if verb in ("cancel", "end", "wait") and verdict != "ok":  # an old screen: say so, change nothing
            await trust.drop_buttons(self, incoming.chat_id, tapped)
            return Turn((Reply(self.text.say(verdict, lang)),), session)
        if verb in ("cancel", "end") and row is not None:
            await self.close(row["id"], "person", say=verb == "end")
            replies = (Reply(self.text.say("cancelled", lang)),) if verb == "cancel" else ()
            return Turn(replies, session.with_(mode="flow"))
        if verb == "lines":
            return Turn((Reply(self.text.say("lines", lang)),), session)
        topic, _, silent = arg.partition("|")  # "topic", or "topic|handoff" from the silence offer
        if verb == "leave":  # from the long-wait or silence offer: the wait (or that silence) gives way to a message
            for live in [r for r in rows.values() if allow.leave_closes(r["status"], r["id"], whole_number(silent))]:
                await self.close(live["id"], "person", say=False)
                rows.pop(live["id"])
        if verb == "leave" and not any(r["status"] in LIVE for r in rows.values()):
            return await self.left.begin(incoming, allow.safe_topic(topic))
        if verb == "leave" and not any(r["status"] == "leaving" for r in rows.values()):
            await trust.drop_buttons(self, incoming.chat_id, tapped)  # an old offer: the conversation goes on
            return Turn((Reply(self.text.say("stale", lang)),), session)
        if verb == "done" and row is not None and row["status"] == "leaving":
            return Turn(await self.left.finish(row, lang), session.with_(mode="flow"))
        if verb == "reply" and row is not None and row["status"] == "left":
            return await self.left.answer(incoming, row)
        if verb == "reconnect":
            if row is not None and row["status"] in ("taken", "queued"):
                await self.requests.reconnect(row)
            else:
                await self.request(person, lang, row["topic"] if row else "talk", session.path, incoming.now)
            return Turn((), (await self._session(person)) or session)
        if verb == "wait" and row is not None:
            await self.store.handoff_update(row["id"], warned=0, last_person=incoming.now)
            if row["status"] == "queued":  # after the long-wait offer: ask again only after another while
                await self.store.handoff_offered(row["id"], incoming.now)
        return Turn((), session)

    async def _shared(self, incoming: Incoming, held: int, yes: bool, tapped: int | None) -> Turn:
        """The answer to "share this contact / place / file?": relayed (or kept as a part of a message being
        left) or dropped; an old question says so."""
        session, lang = incoming.session, incoming.session.language or "en"
        await trust.drop_buttons(self, incoming.chat_id, tapped)
        done = await trust.share(self, incoming.person, held, yes, update_of(incoming))
        if done is None:
            return Turn((Reply(self.text.say("earlier", lang)),), session)
        row, relayed = done
        if relayed and row["status"] == "leaving":
            done_button = (((self.text.say("done_button", lang), f"{PREFIX}done|{row['id']}"),),)
            return Turn((Reply(self.text.say("part_saved", lang), person_buttons(done_button)),), session)
        return Turn((Reply(self.text.say("shared" if relayed else "not_shared", lang)),), session)

    async def relay_edit_in(self, row: dict[str, Any], incoming: Incoming) -> None:
        """The person corrected a message: "Guest 4F2: edited: ..." in the topic; danger words in it mark it."""
        edited = incoming.update.edited_message
        words = trust.edited_words(edited) if edited is not None else None
        if edited is None or words is None or row["status"] not in ("queued", "taken", "left"):
            return
        danger = is_danger(self.edge.content.danger, words)
        if not danger and (row["muted_until"] or 0) > incoming.now.timestamp():
            return  # held back like their other messages during a /mute
        relay = relaying.person_edit(decide.alias(row["token"]), self.text.staff_say("edited", text=words))
        payload = relay.payload(edited.chat_id, edited.message_id)
        await self.relay_in(row, payload, update_of(incoming), incoming.now)
        if danger:
            await self.mark_urgent(row["id"])

    async def relay_payload(self, row: dict[str, Any], payload: dict[str, Any], update_id: int | None) -> None:
        """A held message the person agreed to share: into the topic, or kept as a part of a message being left."""
        now = self.edge.clock()
        if row["status"] == "leaving":
            await self.store.relay_add(row["id"], row["person"], "part", payload, update_id=update_id, now=now)
        else:
            await self.relay_in(row, payload, update_id, now)

    async def relay_in(
        self, row: dict[str, Any], payload: dict[str, Any], update_id: int | None, now: datetime
    ) -> None:
        """Queue the person's message (leftmessages.payload_of) for the topic, once per update; the group's
        sender copies it in turn."""
        await self._relay_into(row, payload, update_id, now)

    async def _relay_into(
        self, row: dict[str, Any], payload: dict[str, Any], update_id: int | None, now: datetime
    ) -> None:
        if row["group_chat"] is None:
            return
        await self.queues.relay(
            row["group_chat"], row["thread"], row["id"], row["person"], payload, update_id=update_id, now=now
        )

    # -- the supporters' side -------------------------------------------------------------------------------

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in a warm-line group: a command (/end, /alias, /onduty, /offduty) or a reply to relay."""
        message, user = update.message, update.effective_user
        if message is None or user is None or user.is_bot or message.chat_id not in self.groups:
            return
        group, thread = message.chat_id, message.message_thread_id if message.is_topic_message else None
        if thread is not None and self.desk.is_note(message.text or message.caption):
            return  # "// ..." or "#note ...": a note for the team, stays in the topic, never relayed
        command = (message.text or "").split(maxsplit=1)
        name = command[0][1:].split("@")[0].lower() if command and command[0].startswith("/") else ""
        if name in ("onduty", "offduty"):
            await self.store.supporter_set(user.id, group, on_duty=name == "onduty")
            self._duty = None  # Event.line counts again
            who = await self.supporter_alias(user.id, group)
            key = "duty_on" if name == "onduty" else "duty_off"
            await self._to_group(group, thread, self.text.staff_say(key, supporter=who))
            await self.refresh_waiting()  # the honest wait changes with who is on duty
            return
        if name in groupcommands.COMMANDS:
            await groupcommands.run(self, name, command[1] if len(command) > 1 else "", group, thread, user.id)
            return
        rows = await self.store.handoffs(thread=(group, thread)) if thread is not None else []
        if not rows:
            if name == "end":  # said in General or an unrelated topic: tell them where it works
                await self._to_group(group, thread, self.text.staff_say("topic_only", command="end"))
            elif thread is not None and await self._was_topic(message, group, thread):
                await self._to_group(group, thread, self.text.staff_say("gone"))  # a closed topic: nobody reads
            return
        row = rows[0]
        if name == "end":
            if allow.may_end_left(holding_of(row)) or await self.may_manage(row, user.id):
                await self.close(row["id"], "supporter", by=user.id)
            else:
                await self._to_group(group, thread, self.text.staff_say("holder_only"))
            return
        if allow.is_bot_command(name, GROUP_COMMANDS):
            return  # another of the bot's commands, not words for the person ("/shrug" is relayed)
        if row["status"] == "queued":
            await self._to_group(group, thread, self.text.staff_say("not_taken"))
        elif (row["status"] == "taken" and row["supporter"] == user.id) or row["status"] == "left":
            await self.relay_out(row, message, update.update_id)
        elif row["status"] == "taken":  # another supporter wrote in a taken topic: nothing reaches the person
            await self._to_group(group, thread, self.text.staff_say("not_yours"))

    async def _was_topic(self, message: Message, group: int, thread: int) -> bool:
        """A topic the warm line opened, though no conversation lives there now (closed since the start, a
        person's topic on record, or named like one): writing there reaches nobody."""
        if (group, thread) in self._closed or trust.was_warmline_topic(message):
            return True
        return await self.store.topic_known(group, thread)

    async def on_group_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The supporter holding a conversation corrected a message: the person gets "edited: ..."."""
        message, user = update.edited_message, update.effective_user
        if message is None or user is None or user.is_bot or message.chat_id not in self.groups:
            return
        words = trust.edited_words(message)
        if self.desk.is_note(words):
            return  # a note for the team, edited: still never relayed
        thread = message.message_thread_id if message.is_topic_message else None
        rows = await self.store.handoffs(thread=(message.chat_id, thread)) if thread is not None else []
        if words is None or not rows or rows[0]["status"] != "taken" or rows[0]["supporter"] != user.id:
            return
        name = words.split(maxsplit=1)[0][1:].split("@")[0].lower() if words.startswith("/") else ""
        if allow.is_bot_command(name, GROUP_COMMANDS):
            return  # an edited command ("/mute 10") is not words for the person
        await self.relay_out(
            rows[0], message, update.update_id, text=self.text.say("edited", rows[0]["language"], text=words)
        )

    async def relay_out(
        self, row: dict[str, Any], message: Message, update_id: int, *, text: str | None = None
    ) -> None:
        """Queue a supporter's message for the person (once per update) in the outbox, and send it: a copy to a
        Telegram person, the words (or a note that something was sent) elsewhere. An answer to a left message
        comes after a line saying who it is from, with "Answer the team" (once per answer, however many
        messages it takes), in the same transaction. A reply carries a short quote of what it answers
        (bot.channels.telegram.warmtrust); `text`, when given, is sent instead (an edit)."""
        await self.desk.first_reply(row, self.edge.clock())
        lang = row["language"]
        answered = row["last_supporter"] is not None and row["last_supporter"] >= (row["last_person"] or 0)
        first = row["status"] == "left" and not answered  # the first message since the person last wrote
        offer = (((self.text.say("reply_button", lang), f"{PREFIX}reply|{row['id']}"),),)
        intro = Reply(self.text.say("answer_intro", lang), person_buttons(offer)) if first else None
        replying = trust.supporter_context(self.text, row["token"], lang, message) if text is None else None
        text = relaying.supporter_out(message.text, replying) if text is None else text
        if text is None and replying is not None and intro is None:  # a reply with a photo, a file...: its context
            intro = Reply(replying)
        note = self.text.say("media_note", lang)
        queued = await self.person.relay(row, message, update_id, note, intro=intro, text=text)
        if queued and first:
            alias = decide.alias(row["token"])
            await self._to_group(row["group_chat"], row["thread"], self.text.staff_say("answer_sent", alias=alias))

    async def _on_blocked(self, person: str) -> None:
        """The outbox found the person has blocked the bot: their conversations end and the topics are told."""
        for row in await self.store.handoffs(person=person):
            await self.close(row["id"], "blocked")

    async def on_group_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Take (first tap wins, within capacity), Release (back in the queue) and End on a card."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or query.message is None or query.message.chat.id not in self.groups:
            return
        _, verb, arg = [*(query.data or "").split("|", 2), "", ""][:3]
        number = whole_number(arg)
        rows = await self.store.handoffs(handoff=number) if number is not None else []
        answer = ""
        holding = holding_of(rows[0]) if rows else None
        chat, tapped = query.message.chat.id, query.message.message_id
        thread = getattr(query.message, "message_thread_id", None)
        if holding is None:
            answer = self.text.staff_say("gone")
        elif not allow.on_own_card(holding, chat, tapped, thread):
            pass  # not this conversation's card (crafted data, another group's handoff): nothing happens
        elif not allow.card_button_counts(holding, verb, chat, tapped, thread):
            answer = self.text.staff_say("taken_already") if verb == "take" else ""
        elif verb == "take":
            answer = await self.take(rows[0], user.id)
        elif not await self.may_manage(rows[0], user.id):
            answer = self.text.staff_say("holder_only")
        elif verb == "release":
            await self.release(rows[0], by=user.id)
        else:
            await self.close(rows[0]["id"], "supporter", by=user.id)
        with contextlib.suppress(TelegramError):
            await query.answer(answer or None)

    async def may_manage(self, row: dict[str, Any], user: int) -> bool:
        """End, release, mute: the holder, or a group admin (Telegram is asked only for someone else)."""
        holding, group = holding_of(row), row["group_chat"]
        admin = allow.needs_admin(holding, user) and group is not None and await self.admins.check(self, group, user)
        return allow.may_manage(holding, user, admin=admin)

    async def take(self, row: dict[str, Any], supporter: int) -> str:
        """The claim; returns what to tell the supporter when it failed ('' when it worked)."""
        active = sum(1 for r in await self.store.handoffs() if r["status"] == "taken" and r["supporter"] == supporter)
        if not decide.may_take(active, self.text.capacity):
            return self.text.staff_say("at_capacity", capacity=self.text.capacity)
        now = self.edge.clock()
        if await self._blocked(row["person"]):  # the person blocked the bot: say so rather than connect
            await self.close(row["id"], "blocked")
            return self.text.staff_say("take_blocked")
        if not await self.store.handoff_take(row["id"], supporter, now):
            return self.text.staff_say("taken_already")
        await self.store.supporter_set(supporter, row["group_chat"], on_duty=True)
        self._duty = None
        row = (await self.store.handoffs(handoff=row["id"]))[0]
        await trust.clear_waiting(self, row, "waiting_taken")  # the place in line is over: no Cancel left
        await self.store.handoff_update(row["id"], waiting=None)
        who = await self.supporter_alias(supporter, row["group_chat"])
        await self._edit_card(row, taken_by=who)
        self._shown.pop(row["id"], None)
        lang = row["language"]
        sent = await self._to_person(
            row["person"],
            self.text.say("connected", lang, supporter=who),
            (((self.text.say("end_button", lang), f"{PREFIX}end|{row['id']}"),),),
            wait=True,
        )
        if sent is None and await self._blocked(row["person"]):
            await self.close(row["id"], "blocked")
            return self.text.staff_say("take_blocked")
        await self.store.count("warmline_taken", now=self.edge.now())
        await self.count("handoff_taken")
        await self.count(wait_counter(now.timestamp() - row["created_at"]))
        await self.refresh_waiting()
        return ""

    async def release(self, row: dict[str, Any], by: int | None = None) -> None:
        """The supporter steps away (or an admin `by` releases it): the person goes back to the queue, keeping
        their place by age; the note names who released it."""
        who = await self.supporter_alias(by if by is not None else row["supporter"], row["group_chat"])
        await self.store.handoff_update(row["id"], status="queued", supporter=None, taken_at=None, warned=0)
        row = (await self.store.handoffs(handoff=row["id"]))[0]
        await self._edit_card(row)
        await self._to_group(row["group_chat"], row["thread"], self.text.staff_say("released_note", supporter=who))
        await self._to_person(row["person"], self.text.say("released", row["language"]))
        await self.store.handoff_update(row["id"], waiting=None)
        await self.refresh_waiting()

    async def close(self, hid: int, reason: str, *, by: int | None = None, say: bool = True) -> None:
        """End a handoff for `reason` (supporter, person, forgot, blocked, topic_gone, idle, reconnect): tell
        both sides what they need to know, close the topic, and delete the handoff's rows."""
        rows = await self.store.handoffs(handoff=hid)
        if not rows:
            return
        row = rows[0]
        await self.store.handoff_delete(hid)
        await self.store.held_drop(hid)
        await self.requests.ended(row, reason)
        self._shown.pop(hid, None)
        await self.desk.ended(row)
        if row["group_chat"] is not None and row["thread"] is not None:
            self._closed.add((row["group_chat"], row["thread"]))
        await trust.clear_waiting(self, row, "waiting_closed")
        guest, lang, person = decide.alias(row["token"]), row["language"], row["person"]
        group, thread = row["group_chat"], row["thread"]
        await self.store.count(f"warmline_closed:{reason}", now=self.edge.now())
        if row["status"] == "queued" and row["offered_at"] is None and reason != "reconnect":
            await self.count("handoff_missed")  # nobody took it (a long wait counted it already)
        if reason not in ("forgot", "blocked", "reconnect") and say:
            if reason == "topic_gone":
                await self._to_person(
                    person,
                    self.text.say("topic_gone", lang),
                    (((self.text.say("reconnect_button", lang), f"{PREFIX}reconnect|"),),),
                )
            elif reason == "idle":
                await self._to_person(person, self.text.say("idle_end", lang))
            elif reason == "expired" and row["status"] in ("queued", "taken"):
                await self._to_person(person, f"{self.text.say('expired', lang)}\n\n{self.text.say('lines', lang)}")
            elif row["status"] == "taken":
                await self._to_person(person, self.text.say("closed", lang))
                asked = await self.store.asked_add(person, self.edge.clock())  # its one answer counts, once
                await self._to_person(
                    person,
                    self.text.say("helped", lang),
                    (
                        (
                            (self.text.say("yes_button", lang), f"{PREFIX}yes|{asked}"),
                            (self.text.say("no_button", lang), f"{PREFIX}no|{asked}"),
                        ),
                    ),
                )
        if reason not in ("reconnect",):
            await self._set_mode(person, "flow")
        if row["status"] == "queued":
            await self.refresh_waiting()  # everyone behind moved up one
        if reason == "forgot":  # the person's words still waiting for the topic do not go
            await self.queues.forget(hid)
        if group is not None and thread is None:  # its topic was not created yet: nothing of it goes
            await self.queues.drop(hid)
        if group is None or thread is None or reason == "topic_gone":
            return
        if await self.topics.ended(row, reason):  # /forget: the topic is deleted now (unless staff keep topics)
            return
        note: dict[str, tuple[str, dict[str, object]]] = {
            "supporter": ("ended", {"supporter": await self.supporter_alias(by or 0, group)}),
            "person": ("person_left", {}),
            "forgot": ("person_forgot", {}),
            "blocked": ("person_blocked", {}),
            "idle": ("idle_note", {"minutes": self.text.idle_minutes}),
            "reconnect": ("reconnected", {}),
            "expired": ("expired_note", {}),
        }
        key, values = note.get(reason, ("person_left", {}))
        await self._to_group(group, thread, self.text.staff_say(key, alias=guest, **values), handoff=hid)
        await self.desk.wrapup(row, reason)
        await self.queues.unbutton(hid, group, thread, row["card"])
        await self.queues.close_topic(hid, group, thread)

    async def mark_urgent(self, hid: int) -> None:
        """Danger words: what the conversation has waiting goes to the front of its group's queue; ⚠ in the
        topic's name, on the card, and a note in the topic (once per handoff)."""
        rows = await self.store.handoffs(handoff=hid)
        if not rows:
            return
        await self.queues.urgent(hid)
        if rows[0]["urgent"]:
            return
        await self.store.handoff_update(hid, urgent=1)
        row = {**rows[0], "urgent": 1}
        group, thread = row["group_chat"], row["thread"]
        if group is None:
            return
        guest = decide.alias(row["token"])
        if thread is not None:  # a topic still waiting to be created gets the ⚠ name when it is
            name = decide.topic_name(guest, row["language"], row["topic"], urgent=True, channel=row["channel"])
            await self.queues.rename(hid, group, thread, name, urgent=True)
        taken = await self.supporter_alias(row["supporter"], group) if row["supporter"] else None
        await self._edit_card(row, taken_by=taken, urgent=True)
        await self._to_group(group, thread, self.text.staff_say("urgent_note", alias=guest), handoff=hid, urgent=True)

    # -- supporters ---------------------------------------------------------------------------------------------

    async def supporters(self) -> list[Supporter]:
        """Every supporter with their duty and how many conversations they hold now."""
        active: dict[int, int] = {}
        for row in await self.store.handoffs():
            if row["status"] == "taken" and row["supporter"] is not None:
                active[row["supporter"]] = active.get(row["supporter"], 0) + 1
        return [
            Supporter(user, group, duty, active.get(user, 0))
            for user, group, _, duty in await self.store.supporters()
            if group in self.groups
        ]

    async def supporter_alias(self, user_id: int | None, group: int) -> str:
        """The name a person sees: the supporter's /alias, or the default ("Peer supporter")."""
        for user, in_group, alias, _ in await self.store.supporters():
            if user == user_id and in_group == group and alias:
                return alias
        return self.text.staff_say("default_alias")

    # -- waiting, silence, idle -----------------------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> None:
        """Refresh places in line; offer choices after a supporter's silence; end idle conversations gently."""
        now = now or self.edge.clock()
        await self.refresh_waiting()
        await self.desk.refresh_cards(now)
        await self.store.purge_relayed(now)
        await self.store.trust_purge(now)
        seconds = int(now.timestamp())
        await self.left.tick(seconds)
        await self.requests.expire(now)
        for row in await self.store.handoffs():
            if row["status"] == "queued":
                await self._long_wait(row, now)
            if row["status"] != "taken":
                continue
            if decide.idle(row["last_person"], row["last_supporter"], seconds, self.text.idle_minutes):
                await self.close(row["id"], "idle")
            elif not row["warned"] and decide.silent(
                row["last_person"], row["last_supporter"], seconds, self.text.silence_minutes
            ):
                await self.store.handoff_update(row["id"], warned=1)
                lang = row["language"]
                await self._to_person(
                    row["person"],
                    self.text.say("silence", lang),
                    (  # what the words offer: keep waiting, someone else, or leave a message
                        ((self.text.say("wait_button", lang), f"{PREFIX}wait|{row['id']}"),),
                        ((self.text.say("reconnect_button", lang), f"{PREFIX}reconnect|{row['id']}"),),
                        ((self.text.say("leave_button", lang), f"{PREFIX}leave|{row['topic']}|{row['id']}"),),
                    ),
                )
                await self._to_group(
                    row["group_chat"],
                    row["thread"],
                    self.text.staff_say(
                        "silence_note", alias=decide.alias(row["token"]), minutes=self.text.silence_minutes
                    ),
                )

    async def _long_wait(self, row: dict[str, Any], now: datetime) -> None:
        """Nobody has taken a waiting person for give_up_minutes: say so plainly and offer to keep waiting,
        leave a message, or see the 24/7 lines (counted once as handoff_missed); again after another while."""
        seconds = now.timestamp()
        if seconds - (row["offered_at"] or row["created_at"]) < self.text.give_up_minutes * 60:
            return
        await self.store.handoff_offered(row["id"], now)
        if row["offered_at"] is None:
            await self.count("handoff_missed")
        minutes = int(seconds - row["created_at"]) // 60
        lang = row["language"]
        await self._to_person(
            row["person"],
            self.text.say("give_up", lang, minutes=minutes),
            (
                ((self.text.say("wait_button", lang), f"{PREFIX}wait|{row['id']}"),),
                ((self.text.say("leave_button", lang), f"{PREFIX}leave|{row['topic']}"),),
                ((self.text.say("lines_button", lang), f"{PREFIX}lines|"),),
            ),
        )
        await self._to_group(
            row["group_chat"],
            row["thread"],
            self.text.staff_say("gave_up_note", alias=decide.alias(row["token"]), minutes=minutes),
        )

    async def refresh_waiting(self) -> None:
        """Show each waiting person their place and an honest wait, editing one message (Cancel under it)."""
        supporters = await self.supporters()
        free = decide.free_slots(supporters, self.text.capacity)
        duty = decide.on_duty(supporters)
        queued = [r for r in await self.store.handoffs() if r["status"] == "queued"]
        for position, row in enumerate(queued, start=1):
            lang = row["language"]
            minutes = decide.estimate_minutes(position, free, duty, self.text.minutes_per_conversation)
            words = self.text.say("queued", lang, position=position, wait=decide.wait_words(self.text, lang, minutes))
            if minutes is None:  # everyone went off duty: no estimate would be honest; say so, give the lines
                words = "\n\n".join(
                    (
                        self.text.say("nobody", lang),
                        self.text.say("lines", lang),
                        self.text.say("place", lang, position=position),
                    )
                )
            if self._shown.get(row["id"]) == words:
                continue
            if row["waiting"] == 0:  # queued, not sent yet (an outage, a restart): it is edited once it is
                continue
            chat = await self.store.chat_id(row["person"])  # Telegram only: there the message is edited
            buttons: Rows = (((self.text.say("cancel_button", lang), f"{PREFIX}cancel|{row['id']}"),),)
            if row["waiting"] is not None and chat is not None:
                try:
                    await self._call(
                        partial(self.bot.edit_message_text, words, chat, row["waiting"], reply_markup=markup(buttons))
                    )
                    self._shown[row["id"]] = words
                    continue
                except BadRequest as exc:
                    if trust.not_modified(exc):  # it says this already (after a restart): still the one message
                        self._shown[row["id"]] = words
                        continue  # otherwise the message is gone: send a fresh one
                except TelegramError:
                    continue
            await self.store.handoff_update(row["id"], waiting=0)  # the outbox records its id when it is sent
            self._shown[row["id"]] = words
            await self._to_person(row["person"], words, buttons, waiting=row["id"])

    async def _true_places(self) -> None:
        """After a start: a place-in-line message whose wait ended while the bot was down is cleared (no Cancel
        left under it), and every waiting person's one message is brought up to date at once."""
        for row in await self.store.handoffs():
            if row["status"] != "queued" and row["waiting"] is not None:
                await trust.clear_waiting(self, row, "waiting_taken" if row["status"] == "taken" else "waiting_closed")
                await self.store.handoff_update(row["id"], waiting=None)
        await self.refresh_waiting()

    async def _ticker(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.tick()
            except Exception:
                log.exception("the warm line's periodic check failed; trying again next time")

    # -- sending ------------------------------------------------------------------------------------------

    @property
    def bot(self) -> Any:
        return self.edge.bot

    async def count(self, name: str) -> None:
        """One more on today's anonymous counter `name` (a day in BOT_TIMEZONE, as bot.staff.stats reads them)."""
        await self.store.count(name, now=self.edge.now())

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(call, self.edge.policy)

    async def _to_group(
        self,
        group: int | None,
        thread: int | None,
        text: str,
        buttons: Rows = (),
        *,
        handoff: int | None = None,
        urgent: bool = False,
    ) -> int | None:
        """Queue a note for a topic (General when thread is None and no handoff is named): one store trip, never
        a wait for the group. 1 when queued, None when it cannot be (no such group)."""
        if group is None:
            return None
        text = self.note(text)  # the bot's own words: never the person's
        return 1 if await self.queues.post(group, thread, text, buttons, handoff=handoff, urgent=urgent) else None

    def note(self, text: str) -> str:
        """A note of the bot for a topic, marked as one (bot.warmline.relaying.note)."""
        return relaying.note(self.text.staff_say("note_mark"), text)

    async def _to_person(
        self, person: str, text: str, buttons: Rows = (), *, wait: bool = False, waiting: int | None = None
    ) -> int | None:
        """A note for the person, through the runtime's outbox (durable, in order, retried after an outage) on
        whichever channel they use; with `wait`, once sent, its message id (None: not sent yet, or no chat).
        `waiting`: the handoff whose place in line it is (its id is recorded on the handoff when sent)."""
        return await self.person.say(person, Reply(text, person_buttons(buttons)), wait=wait, waiting=waiting)

    def _card(self, row: dict[str, Any], *, taken_by: str | None = None, message: bool = False) -> str:
        minutes = max(0, int((self.edge.clock().timestamp() - row["created_at"]) // 60))
        card = decide.card_text(
            self.text,
            guest=decide.alias(row["token"]),
            language=row["language"],
            path=row["path"],
            minutes=minutes,
            urgent=bool(row["urgent"]),
            taken_by=taken_by,
            message=message or row["status"] == "left",
            channel=row["channel"],
        )
        return relaying.note(self.text.staff_say("note_mark"), card)

    def _card_buttons(self, row: dict[str, Any]) -> Rows:
        if row["status"] == "queued":
            return (((self.text.staff_say("take_button"), f"{PREFIX}take|{row['id']}"),),)
        if row["status"] == "taken":
            return (
                (
                    (self.text.staff_say("release_button"), f"{PREFIX}release|{row['id']}"),
                    (self.text.staff_say("end_button"), f"{PREFIX}close|{row['id']}"),
                ),
            )
        return ()

    async def _edit_card(self, row: dict[str, Any], *, taken_by: str | None = None, urgent: bool = False) -> None:
        """Queue the card's new text and buttons (a pending older edit is replaced; a card not yet posted is
        edited once it is)."""
        if row["group_chat"] is None:
            return
        await self.queues.edit(
            row["id"],
            row["group_chat"],
            row["thread"],
            row["card"],
            self._card(row, taken_by=taken_by),
            self._card_buttons(row),
            urgent=urgent,
        )

    # -- when a topic fails (the staff outbox's Hooks) ---------------------------------------------------------

    async def topic_lost(self, handoff: int) -> list[StaffNew]:
        """Staff deleted a live conversation's topic: a new one for the same person, its card, and a note that
        earlier history was lost; what was waiting is then sent there."""
        rows = await self.store.handoffs(handoff=handoff)
        if not rows or rows[0]["group_chat"] is None:
            return []
        row = rows[0]
        guest, group = decide.alias(row["token"]), row["group_chat"]
        taken = await self.supporter_alias(row["supporter"], group) if row["supporter"] else None
        urgent = bool(row["urgent"])
        name = decide.topic_name(guest, row["language"], row["topic"], channel=row["channel"])
        card = {"text": self._card(row, taken_by=taken), "buttons": self._card_buttons(row)}
        return [
            StaffNew(group, "topic", {"name": name, "urgent_name": f"⚠ {name}"[:128]}, handoff, urgent=urgent),
            StaffNew(group, "card", card, handoff, urgent=urgent),
            StaffNew(group, "note", {"text": self.note(self.text.staff_say("topic_reopened", alias=guest))}, handoff),
        ]

    async def topic_refused(self, handoff: int, group: int) -> bool:
        """Telegram would not open a topic (the bot lacks the Manage topics right): General is told once per
        handoff; a waiting person is offered to leave a message instead. True: try again later (a message
        left keeps waiting for its topic)."""
        rows = await self.store.handoffs(handoff=handoff)
        if not rows:
            return False
        row = rows[0]
        if handoff not in self._told_refused:
            self._told_refused.add(handoff)
            note = self.text.staff_say("topic_refused", alias=decide.alias(row["token"]))
            await self._to_group(group, None, note, urgent=True)
        if row["status"] != "queued":
            return True
        await self.close(handoff, "failed", say=False)
        lang = row["language"]
        await self._to_person(
            row["person"],
            self.text.say("no_topic", lang),
            (
                ((self.text.say("leave_button", lang), f"{PREFIX}leave|{row['topic']}"),),
                ((self.text.say("lines_button", lang), f"{PREFIX}lines|"),),
            ),
        )
        return False

    async def on_blocked(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The person blocked the bot (my_chat_member, status "kicked"): their topic is told at once and closed."""
        member = update.my_chat_member
        if member is None or member.chat.type != "private" or member.new_chat_member.status != "kicked":
            return
        person = self.store.channel_key(CHANNEL, str(member.from_user.id))
        for row in await self.store.handoffs(person=person):
            await self.close(row["id"], "blocked")

    async def _blocked(self, person: str) -> bool:
        """The person has blocked the bot (their session was marked inactive)."""
        session = await self._session(person)
        return session is not None and session.mode == "inactive"

    async def _session(self, person: str) -> Session | None:
        data = await self.store.load_session(person)
        return Session.from_dict(data) if data is not None else None

    async def _set_mode(self, person: str, mode: str) -> None:
        """Put the person's session on the warm line ("handoff": the edge asks us first) or back in the flow."""
        session = await self._session(person)
        if session is not None and session.mode != mode and session.mode != "inactive":
            await self.store.save_turn(person, session.with_(mode=mode).to_dict(), now=self.edge.clock())


def from_settings(settings: Settings, **options: Any) -> Warmline:
    """The warm line for `settings`: flows/warmline.yaml from the flows folder (a broken file raises ValueError
    naming every problem, file:line)."""
    text, problems = decide.load_warmline(settings.flows_dir / decide.FILE)
    if text is None:
        raise ValueError("; ".join(str(p) for p in problems))
    return Warmline(text, **options)
