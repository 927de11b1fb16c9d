"""Open web chats, held in memory only: what the page shows, for the tab's life and never written down.

A chat is known by a random id in its one cookie. The store knows the person only by an HMAC of that id
(Store.channel_key("web", id)), and holds no message text; the lines shown on the page live here until the
chat ends (erase, quick exit, or the quiet time), when they are dropped with every server row. The runtime
reaches a chat by its `handle`, another random id (its address "web:<handle>"), never by the cookie's.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.core.types import Button

Who = Literal["bot", "person", "supporter", "note"]
Quiet = Literal["open", "warn", "close"]
MAX_LINES = 200  # lines a page keeps (older ones scroll away, as in any chat)
ENDED_KEPT = timedelta(hours=2)  # how long a closed chat's id still gets "this chat closed" instead of a new chat


@dataclass(frozen=True, slots=True)
class Line:
    """One message on the page; `n` counts up within the chat, so the script appends only what is new."""

    n: int
    who: Who
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(slots=True)
class Chat:
    """One open web chat: its lines, its one-time form ids, its quiet time and who is listening for updates."""

    id: str
    person: str
    token: str  # the CSRF token every form carries
    language: str
    last_active: datetime
    lines: list[Line] = field(default_factory=list)
    warned: bool = False
    used_forms: deque[str] = field(default_factory=lambda: deque(maxlen=32))
    listeners: set[asyncio.Queue[str]] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    handle: str = field(default_factory=lambda: new_id())  # how the runtime addresses the chat (not the cookie)

    counted: int = 0  # the last line number given (removed lines keep theirs: numbers never repeat)
    closing: bool = False  # being erased and ended: its open tabs hear "closed", not every line's removal

    @property
    def last_n(self) -> int:
        return self.lines[-1].n if self.lines else 0

    def add(self, who: Who, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Line:
        self.counted += 1
        line = Line(self.counted, who, text, buttons)
        self.lines.append(line)
        del self.lines[:-MAX_LINES]
        return line

    def remove(self, numbers: Iterable[int]) -> bool:
        """Drop the lines with these numbers (an erase, quiet erase); True when any was on the page."""
        gone = set(numbers)
        kept = [line for line in self.lines if line.n not in gone]
        removed = len(kept) != len(self.lines)
        self.lines[:] = kept
        return removed

    def buttons(self) -> tuple[tuple[Button, ...], ...]:
        """The buttons a person can tap now: those of the newest bot message that has any (as on Telegram,
        where a screen's buttons stay under it), without empty rows."""
        for line in reversed(self.lines):
            rows = tuple(row for row in line.buttons if row)
            if line.who == "bot" and rows:
                return rows
        return ()

    def label_of(self, data: str) -> str:
        """The label of the button the person tapped (shown as their line), or '' when it is not on the page."""
        for row in self.buttons():
            for button in row:
                if button.data == data:
                    return button.label
        return ""

    def first_use(self, form: str) -> bool:
        """True the first time a form id is posted; a second post of the same form (a double tap, a reload
        that resends) is not a second message."""
        if form in self.used_forms:
            return False
        self.used_forms.append(form)
        return True

    def notify(self, what: str = "update") -> None:
        for queue in self.listeners:
            queue.put_nowait(what)


def quiet_state(last_active: datetime, now: datetime, *, warn: timedelta, close: timedelta, warned: bool) -> Quiet:
    """What the quiet time asks of a chat now: nothing yet, a warning (once), or closing."""
    quiet = now - last_active
    if quiet >= close:
        return "close"
    if quiet >= warn and not warned:
        return "warn"
    return "open"


def new_id() -> str:
    return secrets.token_urlsafe(24)


class Chats:
    """The open chats, and the ids of chats that ended lately (so a returning tab hears why it is empty)."""

    def __init__(self, *, max_chats: int) -> None:
        self.max_chats = max_chats
        self._open: dict[str, Chat] = {}
        self._handles: dict[str, Chat] = {}
        self._ended: dict[str, tuple[str, str, datetime]] = {}  # id -> (reason, language, when)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Chat]:
        return iter(list(self._open.values()))  # a copy: ending a chat while walking them is fine

    def full(self) -> bool:
        return len(self._open) >= self.max_chats

    def add(self, chat: Chat) -> Chat:
        self._open[chat.id] = chat
        self._handles[chat.handle] = chat
        return chat

    def get(self, chat_id: str | None) -> Chat | None:
        return self._open.get(chat_id or "")

    def by_handle(self, handle: str) -> Chat | None:
        """The open chat the runtime addresses as "web:<handle>"."""
        return self._handles.get(handle)

    def end(self, chat: Chat, reason: str, now: datetime) -> None:
        """Drop the chat's lines and listeners' hold on it; remember only why it ended, for a while."""
        self._open.pop(chat.id, None)
        self._handles.pop(chat.handle, None)
        if reason not in ("exit", "restart"):  # after Quick exit, coming back looks like a first visit
            self._ended[chat.id] = (reason, chat.language, now)
        chat.lines.clear()
        chat.notify("restart" if reason == "restart" else "closed")
        for old, (_, _, when) in list(self._ended.items()):
            if now - when > ENDED_KEPT:
                del self._ended[old]

    def ended(self, chat_id: str | None) -> tuple[str, str] | None:
        """(reason, language) of a chat that ended lately, or None."""
        found = self._ended.get(chat_id or "")
        return (found[0], found[1]) if found else None
