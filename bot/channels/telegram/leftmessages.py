"""A message left for the team (bot.channels.telegram.warmline): written in parts, sent as one, answerable.

    "Leave a message" ─► handoff "leaving" ─► each part kept (relay rows "part", once per update, before the
                         reply that says it is kept) ─► Done / "done" / a quiet minute ─► "left": the parts go
                         into the person's topic as one post (bot.warmline.leaving), in one transaction
    supporter answers in the topic ─► the person (toperson), with "Answer the team" ─► "leaving" again, same topic

A detour never traps the person: a command (/menu, /talk...) or another screen's button while leaving sends what
they wrote (or drops an empty message) and the engine answers as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.telegram import warmtrust as trust
from bot.channels.telegram.requests import Requests
from bot.channels.telegram.toperson import CHANNEL, person_buttons
from bot.channels.telegram.warmparts import WarmlineParts
from bot.conversation.engine import advance
from bot.conversation.safety import is_danger
from bot.core.types import Reply, Turn
from bot.runtime.ports import parse_address
from bot.store.staffoutbox import StaffNew
from bot.warmline import leaving
from bot.warmline import rules as decide

if TYPE_CHECKING:
    from bot.channels.telegram.edge import Incoming


def payload_of(incoming: Incoming) -> dict[str, Any] | None:
    """What to relay of the person's message: a Telegram message by its ids (copied; its text for merging), the
    words of a person on another channel; None for an edit (the first version went already)."""
    message = incoming.update.message
    if message is not None:
        return {"from_chat": message.chat_id, "message_id": message.message_id, "text": message.text}
    if not on_telegram(incoming) and incoming.event.kind == "text":
        return {"from_chat": None, "message_id": None, "text": incoming.event.text}
    return None


def on_telegram(incoming: Incoming) -> bool:
    return parse_address(incoming.chat)[0] == CHANNEL


def update_of(incoming: Incoming) -> int | None:
    """The Telegram update id, which the relay records so a redelivered update is never relayed twice (another
    channel's updates are deduplicated by the runtime alone)."""
    return incoming.update.update_id if on_telegram(incoming) else None


class LeftMessages:
    """The leave-a-message states of one Warmline."""

    def __init__(self, warm: WarmlineParts, requests: Requests) -> None:
        self.warm, self.requests = warm, requests

    def _done(self, lang: str, hid: int) -> tuple[tuple[tuple[str, str], ...], ...]:
        return (((self.warm.text.say("done_button", lang), f"w|done|{hid}"),),)

    async def begin(self, incoming: Incoming, topic: str) -> Turn:
        """ "Leave a message": the person writes it now, in as many parts as they like, then taps Done."""
        warm, store = self.warm, self.warm.store
        lang = incoming.session.language or "en"
        left = [r for r in await store.handoffs(person=incoming.person) if r["status"] == "left"]
        if left and await store.handoff_status(left[-1]["id"], "leaving", was="left"):  # more for the same topic
            prompt = Reply(warm.text.say("leave_prompt", lang), person_buttons(self._done(lang, left[-1]["id"])))
            return Turn((prompt,), incoming.session.with_(mode="handoff"))
        mine = await store.person_topic(incoming.person)
        channel, _ = parse_address(incoming.chat)
        hid = await store.handoff_request(
            incoming.person,
            mine.token if mine is not None else decide.new_token(),
            lang,
            topic,
            incoming.session.path,
            None,
            incoming.now,
            channel=channel,
            status="leaving",
        )
        prompt = Reply(warm.text.say("leave_prompt", lang), person_buttons(self._done(lang, hid)))
        return Turn((prompt,), incoming.session.with_(mode="handoff"))

    async def answer(self, incoming: Incoming, row: dict[str, Any]) -> Turn:
        """ "Answer the team" under a supporter's answer: the person writes again, into the same topic."""
        lang = incoming.session.language or row["language"]
        if not await self.warm.store.handoff_status(row["id"], "leaving", was="left"):
            return Turn((), incoming.session)
        prompt = Reply(self.warm.text.say("reply_prompt", lang), person_buttons(self._done(lang, row["id"])))
        return Turn((prompt,), incoming.session.with_(mode="handoff"))

    async def intercept(self, incoming: Incoming, row: dict[str, Any]) -> Turn | None:
        """While the person is leaving a message: keep each part; "done" sends it; a command is a detour."""
        warm, event, session = self.warm, incoming.event, incoming.session
        lang = session.language or row["language"]
        if event.kind in ("command", "start"):
            if (event.text or "start") == "forget":
                return None  # the engine asks; erasing closes every handoff of theirs
            return await self.detour(incoming, row)
        done_words = f"{warm.text.say('done_words', lang)},{warm.text.say('done_words', 'en')}"  # English too
        if event.kind == "text" and leaving.is_done(event.text, done_words):
            return Turn(await self.finish(row, lang), session.with_(mode="flow"))
        payload = payload_of(incoming)
        if payload is None:
            return Turn((), session)
        message = incoming.update.message
        if message is not None and trust.needs_consent(message):  # a contact, place or file: once they say yes
            return Turn((await trust.hold(warm, row, message, lang, "w|"),), session)
        payload = trust.words_in(warm.text, row["token"], payload, message)
        parts = await self._parts(row["id"])
        added = await warm.store.relay_add(
            row["id"], row["person"], "part", payload, update_id=update_of(incoming), now=incoming.now
        )
        if event.kind == "text" and is_danger(warm.edge.content.danger, event.text):
            await warm.mark_urgent(row["id"])
            return None  # the engine answers danger words; the part is kept
        if message is not None and message.caption and is_danger(warm.edge.content.danger, message.caption):
            await warm.mark_urgent(row["id"])  # danger words in a photo's caption mark the topic too
        if added is None or parts:
            return Turn((), session)
        saved = Reply(warm.text.say("part_saved", lang), person_buttons(self._done(lang, row["id"])))
        return Turn((saved,), session)

    async def detour(self, incoming: Incoming, row: dict[str, Any]) -> Turn:
        """A command or another screen's button while leaving a message: what was written goes to the team (an
        empty message is dropped), and the engine answers as if the person had never been writing."""
        lang = incoming.session.language or row["language"]
        said = await self.finish(row, lang)
        turn = advance(self.warm.edge.content, incoming.session.with_(mode="flow"), incoming.event, incoming.now)
        kept = tuple(r for r in said if r.text != self.warm.text.say("cancelled", lang))
        return Turn(kept + turn.replies, turn.session, turn.actions)

    async def finish(self, row: dict[str, Any], lang: str) -> tuple[Reply, ...]:
        """The person is done: the parts go to the team as one ("left"); nothing written drops the message.
        Returns what to tell the person."""
        warm, store = self.warm, self.warm.store
        if not await self._parts(row["id"]):
            if row["status"] == "leaving" and row["thread"] is None:
                await store.handoff_delete(row["id"])
            else:  # an answer to the team with nothing in it: the message stays, waiting for the team
                await store.handoff_status(row["id"], "left", was="leaving")
            await warm._set_mode(row["person"], "flow")
            return (Reply(warm.text.say("cancelled", lang)),)
        await self.post(row)
        await warm._set_mode(row["person"], "flow")
        return (Reply(warm.text.say("left", lang)),)

    async def post(self, row: dict[str, Any]) -> None:
        """Into the person's topic (opened with a message card if need be): the texts as one post, then the rest
        as copies; the parts become relay rows in one transaction, so a crash posts them once."""
        warm, store = self.warm, self.warm.store
        await store.handoff_status(row["id"], "left", was="leaving")
        row = (await store.handoffs(handoff=row["id"]))[0]
        if row["thread"] is None:
            await self.requests.into_topic(row, message=True)
            row = (await store.handoffs(handoff=row["id"]))[0]
        pending = [(r, m) for r, h, d, m in await store.relay_pending() if h == row["id"] and d == "part"]
        texts, media = leaving.posts([leaving.Part(r, m.get("text")) for r, m in pending])
        copies = {r: m for r, m in pending}
        words = [m for r, m in pending if r not in media]
        if len(words) == 1 and len(texts) == 1:  # one part: copied as it was written
            payloads = words
        else:
            payloads = [{"from_chat": None, "message_id": None, "text": t} for t in texts]
        payloads += [copies[r] for r in media]
        if row["group_chat"] is None:
            return
        shaped = [trust.words_in(warm.text, row["token"], p, None) for p in payloads]  # never passing for a note
        items = [StaffNew(row["group_chat"], "relay", p, row["id"], row["thread"]) for p in shaped]
        warm.queues.adopt(await store.relay_post_parts(row["id"], row["person"], items, warm.edge.clock()))

    async def _parts(self, hid: int) -> list[int]:
        return [r for r, h, d, _ in await self.warm.store.relay_pending() if h == hid and d == "part"]

    async def tick(self, now: int) -> None:
        """A quiet minute after the last part: the message goes as it is, and the person is told."""
        warm = self.warm
        rows = [r for r in await warm.store.handoffs() if r["status"] in ("leaving", "left")]
        if not rows:
            return
        written = {h for _, h, d, _ in await warm.store.relay_pending() if d == "part"}
        for row in rows:
            if row["id"] not in written:
                continue
            if row["status"] == "leaving" and leaving.quiet(row["last_person"], now):
                for reply in await self.finish(row, row["language"]):
                    await warm._to_person(row["person"], reply.text)
            elif row["status"] == "left":  # a crash while its parts were being posted: post them now
                await self.post(row)
