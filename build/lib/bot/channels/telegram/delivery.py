"""Sending to Telegram: replies as Bot API messages, retried through Telegram's errors, via the outbox.

A turn's replies are queued in the outbox with the session (bot.store.database), then `Delivery.deliver(person)` sends
whatever the person has queued, oldest first, deleting each row as Telegram accepts it. So a reply survives a
429 (waited out for `retry_after`), a 5xx or a timeout (retried with backoff, then left queued for the next
turn or restart), and a crash (sent first on restart). A 403 means the person blocked the bot: their queue is
dropped and their session marked inactive. A 400 for one message drops that message only.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
from typing import Any, Literal, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.core.clock import Clock, system_clock
from bot.core.types import Reply, Session
from bot.store.database import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Outcome = Literal["sent", "queued", "blocked"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one call: transient failures (5xx, timeouts) back off; 429s wait as told."""

    attempts: int = 5              # tries for 5xx and timeouts, then the message stays queued
    first_delay: float = 0.5       # seconds before the second try; doubles each time
    max_delay: float = 30.0
    max_waits: int = 5             # 429s in a row we wait out before leaving the message queued


DEFAULT_POLICY = RetryPolicy()


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after as seconds, whether the library gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # the int form is deprecated, not gone
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy = DEFAULT_POLICY,
                       sleep: Sleep = asyncio.sleep) -> T:
    """Run `call` until it succeeds; Forbidden, BadRequest and InvalidToken are final and raised at once."""
    failures = waits = 0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            waits += 1
            if waits > policy.max_waits:
                raise
            await sleep(retry_after_seconds(exc) + 0.05)
        except BadRequest:
            raise
        except NetworkError:  # 5xx, timeouts, connection errors
            failures += 1
            if failures >= policy.attempts:
                raise
            await sleep(min(policy.max_delay, policy.first_delay * 2 ** (failures - 1)))


def message_for(chat_id: int, reply: Reply) -> dict[str, Any]:
    """One reply as an outbox payload: plain JSON, so it can wait in the store."""
    buttons = [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons]
    return {"chat_id": chat_id, "text": reply.text, "buttons": buttons}


def keyboard(buttons: list[list[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard from payload buttons: a URL button opens a link, the others send callback data."""
    if not buttons:
        return None
    return _keyboard(tuple(tuple((b["label"], b.get("data") or "", b.get("url") or "") for b in row)
                           for row in buttons))


@lru_cache(maxsize=512)
def _keyboard(rows: tuple[tuple[tuple[str, str, str], ...], ...]) -> InlineKeyboardMarkup:
    # Screens repeat: building the library's (immutable) button objects, and turning them back into JSON for
    # every message, cost more than the rest of a turn; both are done once per distinct keyboard.
    return _SerializedKeyboard([
        [InlineKeyboardButton(label, url=url) if url else InlineKeyboardButton(label, callback_data=data)
         for label, data, url in row]
        for row in rows
    ])


class _SerializedKeyboard(InlineKeyboardMarkup):
    """An inline keyboard that keeps its Bot API form: the library's objects are immutable, so it never changes."""

    __slots__ = ("_serialized",)
    _serialized: dict[str, Any]

    def __init__(self, inline_keyboard: list[list[InlineKeyboardButton]]) -> None:
        super().__init__(inline_keyboard)
        # object.__setattr__: the library freezes its objects after __init__, as a frozen dataclass would.
        object.__setattr__(self, "_serialized", super().to_dict())

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        return dict(self._serialized)


class Delivery:
    """Sends queued replies for a person, one person at a time, and applies what Telegram's errors mean."""

    def __init__(self, bot: Bot, store: Store, policy: RetryPolicy = DEFAULT_POLICY,
                 sleep: Sleep = asyncio.sleep, clock: Clock = system_clock) -> None:
        self.bot = bot
        self.clock = clock
        self.store = store
        self.policy = policy
        self.sleep = sleep
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # per person, with how many use it
        self.backlog: set[str] = set()  # people with older messages still queued (an outage, a restart)

    async def deliver(self, person: str, fresh: Sequence[dict[str, Any]] = ()) -> tuple[Outcome, list[int]]:
        """Send the person's queued messages in order; returns the outcome and the message ids sent.

        `fresh` are the messages just queued by save_turn: when nothing older waits for this person, they are
        the whole queue, and are sent without reading it back.
        """
        lock, users = self._locks.get(person) or (asyncio.Lock(), 0)
        self._locks[person] = (lock, users + 1)
        try:
            async with lock:
                if fresh and person not in self.backlog:
                    rows: list[tuple[int | None, dict[str, Any]]] = [(None, m) for m in fresh]
                else:
                    rows = [(row_id, m) for row_id, _, m in await self.store.outbox(person)]
                outcome, sent = await self._send(person, rows)
                if outcome == "queued":
                    self.backlog.add(person)
                else:
                    self.backlog.discard(person)
                return outcome, sent
        finally:
            lock, users = self._locks[person]
            if users == 1:
                del self._locks[person]
            else:
                self._locks[person] = (lock, users - 1)

    async def _send(self, person: str, rows: list[tuple[int | None, dict[str, Any]]]) -> tuple[Outcome, list[int]]:
        sent: list[int] = []
        for row_id, message in rows:
            markup = keyboard(message.get("buttons") or [])
            try:
                chat_id, text = message["chat_id"], message["text"]
                send = partial(self.bot.send_message, chat_id, text, reply_markup=markup)
                result = await with_retries(send, self.policy, self.sleep)
            except Forbidden:
                await self.mark_inactive(person)
                return "blocked", sent
            except BadRequest as exc:
                log.error("Telegram refused a queued message, which is dropped: %s", exc.message)
                await self.store.outbox_drop(person, row_id, oldest=row_id is None)
                continue
            except (NetworkError, RetryAfter) as exc:
                log.warning("Telegram is not taking messages (%s); reply kept queued", type(exc).__name__)
                return "queued", sent
            await self.store.outbox_delivered(row_id, person, result.message_id, self.clock())
            sent.append(result.message_id)
        return "sent", sent

    async def deliver_all(self) -> int:
        """Send everything queued (after a restart, or left by an outage); returns how many people had some."""
        people = list(dict.fromkeys(who for _, who, _ in await self.store.outbox()))
        self.backlog.update(people)
        for person in people:
            await self.deliver(person)
        return len(people)

    async def send_now(self, person: str, chat_id: int, text: str, *, remember: bool = True) -> bool:
        """Send one transient message outside the outbox (e.g. "slow down"); False if it did not go out."""
        try:
            send = partial(self.bot.send_message, chat_id, text)
            result = await with_retries(send, self.policy, self.sleep)
        except Forbidden:
            await self.mark_inactive(person)
            return False
        except (NetworkError, RetryAfter):
            return False
        if remember:
            await self.store.remember_sent(person, result.message_id, self.clock())
        return True

    async def mark_inactive(self, person: str) -> None:
        """The person blocked the bot: keep their session (they may come back) but stop sending to them."""
        await self.store.outbox_drop(person)
        data = await self.store.load_session(person)
        if data is not None:
            session = Session.from_dict(data).with_(mode="inactive")
            await self.store.save_turn(person, session.to_dict(), now=self.clock())
