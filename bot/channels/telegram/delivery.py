"""Sending to Telegram: the runtime's PersonSender (bot.runtime.ports), and retries through Telegram's errors.

The outbox (bot.runtime.outbox) decides what to send and when; `TelegramSender` turns one reply into a Bot API
message and Telegram's answer into an outcome: a 429 is waited out for `retry_after`, a 5xx or a timeout is
retried with backoff and then reported UNAVAILABLE (the reply stays queued), a 403 is BLOCKED (the person
blocked the bot), a 400 is REFUSED (that message only is dropped).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.core.channels import TELEGRAM
from bot.core.types import Button, Reply
from bot.runtime.ports import Copy, Deleted, Outgoing, SendOutcome, Sent, address

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
DELETE_BATCH = 100  # deleteMessages takes up to 100 ids


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one call: transient failures (5xx, timeouts) back off; 429s wait as told."""

    attempts: int = 5  # tries for 5xx and timeouts, then the message stays queued
    first_delay: float = 0.5  # seconds before the second try; doubles each time
    max_delay: float = 30.0
    max_waits: int = 5  # 429s in a row we wait out before leaving the message queued


DEFAULT_POLICY = RetryPolicy()


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after as seconds, whether the library gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # the int form is deprecated, not gone
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_retries(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy = DEFAULT_POLICY, sleep: Sleep = asyncio.sleep
) -> T:
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


def keyboard(buttons: list[list[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard from payload buttons: a URL button opens a link, the others send callback data."""
    if not buttons:
        return None
    return _keyboard(
        tuple(tuple((b["label"], b.get("data") or "", b.get("url") or "") for b in row) for row in buttons)
    )


@lru_cache(maxsize=512)
def _keyboard(rows: tuple[tuple[tuple[str, str, str], ...], ...]) -> InlineKeyboardMarkup:
    # Screens repeat: building the library's (immutable) button objects, and turning them back into JSON for
    # every message, cost more than the rest of a turn; both are done once per distinct keyboard.
    return _SerializedKeyboard(
        [
            [
                InlineKeyboardButton(label, url=url) if url else InlineKeyboardButton(label, callback_data=data)
                for label, data, url in row
            ]
            for row in rows
        ]
    )


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


TELEGRAM_LIMITS = TELEGRAM  # what check measures screens and buttons against (bot.core.channels)


def message_for(chat_id: int, reply: Reply) -> dict[str, Any]:
    """One reply for a Telegram chat as an outbox payload (bot.runtime.ports.Outgoing), so it can wait in the store."""
    return Outgoing(address(TELEGRAM.channel, str(chat_id)), reply).to_payload()


class TelegramSender:
    """The runtime's PersonSender for Telegram: sendMessage with an inline keyboard, deleteMessages in batches
    of 100, each call retried through Telegram's errors as `policy` says."""

    limits = TELEGRAM_LIMITS

    def __init__(self, bot: Bot, policy: RetryPolicy = DEFAULT_POLICY, sleep: Sleep = asyncio.sleep) -> None:
        self.bot = bot
        self.policy = policy
        self.sleep = sleep

    async def send(self, chat: str, reply: Reply) -> Sent:
        """Send one reply; Forbidden means blocked, BadRequest refused, the rest (after retries) unavailable."""
        markup = reply_markup(reply.buttons)
        return await self._outcome(partial(self.bot.send_message, int(chat), reply.text, reply_markup=markup))

    async def copy(self, chat: str, source: Copy) -> Sent:
        """Copy a message (a supporter's, from their topic) into the person's chat: never a forward, which would
        name its sender. The same outcomes as `send`."""
        return await self._outcome(partial(self.bot.copy_message, int(chat), int(source.from_chat), source.message_id))

    async def _outcome(self, call: Callable[[], Awaitable[Any]]) -> Sent:
        try:
            result = await with_retries(call, self.policy, self.sleep)
        except Forbidden:
            return Sent(SendOutcome.BLOCKED, reason="Forbidden")
        except BadRequest as exc:
            return Sent(SendOutcome.REFUSED, reason=exc.message)
        except (NetworkError, RetryAfter) as exc:
            return Sent(SendOutcome.UNAVAILABLE, reason=type(exc).__name__)
        return Sent(SendOutcome.SENT, int(result.message_id))

    async def delete(self, chat: str, message_ids: Sequence[int]) -> Deleted:
        """Delete ids from a private chat: one deleteMessage for a single id, deleteMessages in batches of 100
        otherwise. Already-deleted ids are skipped by Telegram; a refused batch is logged (kind only) and skipped."""
        ids = list(message_ids)
        if len(ids) == 1:
            return await self._delete_one(int(chat), ids[0])
        accepted, retry = 0, False
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start : start + DELETE_BATCH]
            try:
                await with_retries(partial(self.bot.delete_messages, int(chat), batch), self.policy, self.sleep)
            except Forbidden:
                log.info("the person blocked the bot; their messages cannot be deleted")
                break
            except TelegramError as exc:
                log.warning("Telegram refused to delete a batch of %d messages (%s)", len(batch), type(exc).__name__)
                retry = retry or (isinstance(exc, NetworkError | RetryAfter) and not isinstance(exc, BadRequest))
                continue
            accepted += len(batch)
        return Deleted(accepted, retry)

    async def _delete_one(self, chat: int, message_id: int) -> Deleted:
        try:
            await with_retries(partial(self.bot.delete_message, chat, message_id), self.policy, self.sleep)
        except (BadRequest, Forbidden):
            return Deleted(0)  # already deleted by the person, too old, or the bot was blocked: nothing left to do
        except TelegramError as exc:
            log.warning("a message could not be deleted yet (%s)", type(exc).__name__)
            return Deleted(0, retry=True)
        return Deleted(1)


def reply_markup(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """An inline keyboard for a reply's buttons (built once per distinct keyboard)."""
    if not rows:
        return None
    return _keyboard(tuple(tuple((b.label, b.data, b.url or "") for b in row) for row in rows))
