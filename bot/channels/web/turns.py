"""The web chat over the channel-neutral runtime: a form post becomes an Inbound, the runtime's replies lines.

    form post ─► event_for ─► Inbound("web", chat id, handle, update) ─► Runtime.handle
              (flood gate, danger words, session, the warm line's hook, engine, save + outbox, actions)
    replies ─► Outbox ─► WebSender (bot.channels.web.sender) ─► lines on the page, an SSE "update"

So the web chat has exactly Telegram's pipeline: the same flood gate, danger words on every screen, the durable
outbox, /forget and quiet erase (bot.runtime.forget) and the warm line's hook. The person's own words are put on
the page here, before the turn (so the answer comes under them). Quick exit and the quiet-time close erase
through the runtime as well (`Runtime.erase_now`: the warm line closes the person's topic first).

Where no warm line reaches the web (`python -m bot web` alone, or `run` without WARMLINE_CHAT_ID), every event
says so (`Event.line = "off"`): the talk screen opens with `line_off` and the handoff screen's words become
flows/bot.yaml `web_warmline_telegram` with the 24/7 lines (WebSender.rewrite). /privacy answers with what the web
chat keeps (`web_privacy`), as Telegram's own /privacy handler does for Telegram.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.channels.web.chats import Chat
from bot.channels.web.sender import WebSender
from bot.content.loader import Content
from bot.conversation.engine import LANGUAGE, MENU, topics_words
from bot.core.types import Button, Event
from bot.runtime.ports import Inbound
from bot.runtime.turns import Runtime
from bot.store.database import Store

CHANNEL = "web"


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


def language_after(content: Content, event: Event, current: str) -> str:
    """The page's language after the event: the one a language button chose (as the engine reads it), else the
    same (the session's language changes only that way once the chat has begun)."""
    kind, _, chosen = event.data.partition("|")
    if event.kind == "option" and kind == LANGUAGE and chosen in content.languages:
        return chosen
    return current


@dataclass
class Turns:
    """The web chat's side of the runtime: one Inbound per form post, the sender that puts replies on the page."""

    runtime: Runtime
    sender: WebSender
    quiet_minutes: int = 20
    _updates: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def warm_line(self) -> bool:
        return self.sender.warm_line

    @property
    def store(self) -> Store:
        return self.runtime.store

    def content(self) -> Content:
        return self.runtime.content

    def now(self) -> datetime:
        return self.runtime.now()

    def person(self, chat_id: str) -> str:
        return self.runtime.person_key(CHANNEL, chat_id)

    def inbound(self, chat: Chat, event: Event) -> Inbound:
        """The runtime's Inbound: the cookie's id keys the person, the handle addresses the chat; each post is
        its own update (a form posted twice never gets this far: Chat.first_use). No message id is kept for the
        person's own lines: they live on the page only, and go with it when the chat ends."""
        line = "" if self.warm_line else "off"
        update = f"{chat.handle}.{next(self._updates)}"
        return Inbound(CHANNEL, chat.id, chat.handle, update, replace(event, line=line))

    async def take(self, chat: Chat, event: Event, *, shown: str = "") -> str:
        """Answer one event: `shown` is what the page records the person said (their words, or the label of the
        button they tapped), put on the page first; the runtime's replies follow through the sender. Returns the
        runtime's outcome ("replied", "flood_warned", "flood_dropped", "erased", ...), for the log line."""
        content = self.content()
        mine = chat.add("person", shown) if shown else None
        if event.kind == "command" and event.text == "privacy":
            chat.last_active, chat.warned = self.now(), False
            menu = ((Button(content.text("menu_button", chat.language), MENU),),)
            said = self.privacy_words(content, chat.language)
            if self.warm_line:  # the person's words to a supporter sit in the team's Telegram chat: say for how long
                topics = (await self.runtime.with_line(self.inbound(chat, event))).event.topics
                said = " ".join(filter(None, (said, topics_words(content, chat.language, "topics_kept", topics))))
            chat.add("bot", said, menu)
            return "replied"
        outcome = await self.runtime.handle(self.inbound(chat, event))
        if outcome == "flood_dropped":
            if mine is not None:
                chat.remove((mine.n,))
            return "flood_dropped"
        chat.last_active, chat.warned = self.now(), False
        chat.language = language_after(content, event, chat.language)
        return outcome

    def privacy_words(self, content: Content, lang: str) -> str:
        return content.text("web_privacy", lang).replace("{minutes}", str(self.quiet_minutes))

    async def erase(self, chat: Chat) -> None:
        """Every row about the person goes, and the warm line closes their topic (the page's lines go with the
        chat itself)."""
        await self.runtime.erase_now(self.inbound(chat, Event("command", text="forget")))
