"""The one seam between the web chat and the turn pipeline: an event in, the lines the page shows out.

    event ─► flood gate ─► session (store) ─► engine.advance ─► store.save_turn ─► lines on the page
          ─► actions: count, erase (every row, and the page), handoff (see below)

This is the only web module that calls the engine and the store's session methods, so moving it onto the
channel-neutral runtime (bot/runtime/) is a change here alone.

The warm line is still Telegram's (bot/channels/telegram/warmline.py), so "talk to a person" on the web is
honest about it: the "I'm finding someone" screen is replaced by flows/bot.yaml `web_warmline_telegram` and the
24/7 lines of flows/warmline.yaml (each with its source). Nobody is ever pretended to be on the way. /privacy
answers with what the web chat keeps (`web_privacy`), not Telegram's message-deleting choices.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.channels.web.chats import Chat
from bot.content.loader import Content
from bot.conversation.engine import MENU, advance, language_for
from bot.conversation.safety import is_danger
from bot.core.clock import Clock
from bot.core.types import Button, Event, Reply, Session, Turn
from bot.runtime.flood import FloodGate
from bot.store.database import Store

log = logging.getLogger(__name__)
CHANNEL = "web"
LINE = "off"  # Event.line: no warm line reaches the web chat until the warm line is channel-neutral
Outcome = Literal["replied", "flood_warned", "flood_dropped", "erased"]


def never_held_back(content: Content, event: Event, lang: str) -> bool:
    """What the flood gate must never drop (as on Telegram): a tapped button, /forget, and words that may mean
    danger, however fast they come."""
    if event.kind == "option" or (event.kind == "command" and event.text == "forget"):
        return True
    return event.kind == "text" and is_danger(content.danger, event.text)


def event_for(text: str, choice: str, language_hint: str | None) -> Event | None:
    """What a form post means: a tapped button (`choice`), a /command, or free text; None when empty.
    Typed text reads as it does on Telegram: "/menu", "2", "bed tonight"."""
    if choice:
        return Event("option", data=choice[:64], language_hint=language_hint)
    line = text.strip()
    if not line:
        return None
    if line.startswith("/"):
        words = line[1:].split(maxsplit=1)
        name = words[0].lower() if words else ""
        return (
            Event("start", language_hint=language_hint)
            if name == "start"
            else Event("command", text=name, language_hint=language_hint)
        )
    return Event("text", text=line[:2000], language_hint=language_hint)


def for_the_web(content: Content, turn: Turn) -> Turn:
    """The web's own words where a screen speaks of Telegram: the erase question (no phone messages to
    delete here), and the handoff. No warm line reaches the web yet, so the handoff's "I'm finding someone"
    becomes where the peer supporters are and the lines open 24/7. Buttons stay as they are."""
    node = content.flows.node(turn.session.node)
    if node is None:
        return turn
    lang = turn.session.language
    if node.kind == "handoff" and content.warmline is not None:
        words = f"{content.text('web_warmline_telegram', lang)}\n\n{content.warmline.say('lines', lang)}"
    elif node.id == content.flows.entry("forget"):
        words = content.text("web_forget", lang)
    else:
        return turn
    said = node.say.get(lang, content.default_language)
    return replace(turn, replies=tuple(Reply(words, r.buttons) if r.text == said else r for r in turn.replies))


@dataclass
class Turns:
    """The turn pipeline as the web chat uses it; `content` is read at each turn, so a reload applies at once."""

    store: Store
    content: Callable[[], Content]
    clock: Clock
    zone: ZoneInfo
    flood: FloodGate
    monotonic: Callable[[], float] = time.monotonic

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def person(self, chat_id: str) -> str:
        return self.store.channel_key(CHANNEL, chat_id)

    async def take(self, chat: Chat, event: Event, *, shown: str = "") -> Outcome:
        """Answer one event: `shown` is what the page records the person said (their words, or the label of the
        button they tapped). Lines are added to the chat; the caller tells listeners."""
        content = self.content()
        now = self.now()
        event = replace(event, line=LINE)  # the talk screen says the warm line is not on this chat (yet)
        session = Session.from_dict(await self.store.load_session(chat.person) or {})
        lang = session.language or language_for(content, event.language_hint)
        verdict = self.flood.check(chat.person, self.monotonic())
        if verdict != "pass" and never_held_back(content, event, lang):
            verdict = "pass"
        if verdict == "drop":
            return "flood_dropped"
        chat.last_active, chat.warned = now, False
        if shown:
            chat.add("person", shown)
        if verdict == "warn":
            chat.add("note", content.text("slow_down", lang))
            return "flood_warned"
        if event.kind == "command" and event.text == "privacy":
            menu = ((Button(content.text("menu_button", lang), MENU),),)
            chat.add("bot", self.privacy_words(content, lang), menu)
            return "replied"
        turn = for_the_web(content, advance(content, session, event, now))
        if any(a.name == "erase" for a in turn.actions):
            await self.erase(chat, now)
            return "erased"
        await self.store.save_turn(chat.person, turn.session.to_dict(), now=now)
        chat.language = turn.session.language
        for reply in turn.replies:
            chat.add("bot", reply.text, reply.buttons)
        for action in turn.actions:
            if action.name == "count":
                await self.count(str(action.get("name", "")), now)
        return "replied"

    quiet_minutes: int = 20

    def privacy_words(self, content: Content, lang: str) -> str:
        return content.text("web_privacy", lang).replace("{minutes}", str(self.quiet_minutes))

    async def count(self, name: str, now: datetime) -> None:
        try:
            await self.store.count(name, now=now)
        except ValueError:
            log.warning("a counter name from the flows is not a vocabulary key; not counted")

    async def erase(self, chat: Chat, now: datetime | None = None) -> None:
        """Every row about the person goes (the page's lines go with the chat itself)."""
        await self.store.forget(chat.person)
