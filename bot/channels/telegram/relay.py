"""The way into a warm-line group: one ordered send queue per group, paced under Telegram's limit (about 20
messages a minute in one group), with neighbouring texts for one topic merged while they wait.

The decisions (the token bucket, which items merge) are bot.warmline.rules's `Pacer` and `next_batch`; this module
only waits, sends and reports. Each item is a row of the store's `relay` table, deleted once Telegram has it,
so a restart re-queues exactly what was not yet sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from telegram.error import BadRequest, Forbidden

from bot.channels.telegram.relaycalls import relay_call
from bot.store.database import Store
from bot.warmline.rules import Item, Pacer, next_batch

log = logging.getLogger(__name__)
GONE_WORDS = ("thread not found", "topic_deleted", "topic_closed", "topic not found")
Call = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]  # runs one Bot API call with retries


def topic_gone(exc: BadRequest) -> bool:
    """Telegram's way of saying the forum topic was deleted or closed by staff."""
    return any(word in exc.message.lower() for word in GONE_WORDS)


async def cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel background tasks and wait until each has stopped; the list is emptied."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()


class GroupQueues:
    """Per-group queues and their workers. `on_gone(handoff id)` is awaited when a topic no longer exists."""

    def __init__(
        self,
        bot: Any,
        store: Store,
        call: Call,
        on_gone: Callable[[int], Awaitable[None]],
        *,
        per_minute: int = 20,
        burst: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot, self.store, self.call, self.on_gone, self.clock = bot, store, call, on_gone, clock
        self.per_minute, self.burst = per_minute, burst
        self._pacers: dict[int, Pacer] = {}
        self._queues: dict[int, list[Item]] = {}
        self._meta: dict[int, tuple[int, dict[str, Any]]] = {}  # relay row -> (handoff id, message)
        self._wake: dict[int, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def open(self, groups: tuple[int, ...]) -> None:
        for group in groups:
            self._pacers[group] = Pacer(self.per_minute, self.burst)
            self._queues[group] = []
            self._wake[group] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._worker(group)))

    async def close(self) -> None:
        await cancel_all(self._tasks)

    def knows(self, group: int | None) -> bool:
        return group in self._queues

    def add(self, group: int, thread: int, row_id: int, handoff: int, message: dict[str, Any]) -> None:
        """Queue one relayed message (copy of `message_id` from `from_chat`; `text` when it is plain text)."""
        self._meta[row_id] = (handoff, message)
        self._queues[group].append(Item(row_id, thread, message.get("text")))
        self._wake[group].set()

    async def slot(self, group: int) -> None:
        """Wait until the group's pacer lets one more message go, and take it (notes and cards use it too)."""
        pacer = self._pacers.get(group)
        if pacer is None:
            return
        while (wait := pacer.delay(self.clock())) > 0:  # noqa: ASYNC110 - a timed wait for a token, not a task
            await asyncio.sleep(wait)
        pacer.spend(self.clock())

    async def _worker(self, group: int) -> None:
        """Send the group's queue in order; while it waits for the pacer, texts pile up and merge."""
        queue, wake = self._queues[group], self._wake[group]
        while True:
            if not queue:
                wake.clear()
                await wake.wait()
                continue
            await self.slot(group)
            batch = next_batch(queue)
            try:
                await self._send(group, batch)
            except Exception:  # a worker must outlive any one message; the next one may go
                log.exception("relaying into a warm-line topic failed; message dropped")
            for item in batch:
                queue.remove(item)
                self._meta.pop(item.row, None)

    async def _send(self, group: int, batch: tuple[Item, ...]) -> None:
        handoff, first = self._meta[batch[0].row]
        rows = [item.row for item in batch]
        try:
            if len(batch) == 1:
                await self.call(relay_call(self.bot, group, first, batch[0].thread))
            else:
                merged = "\n\n".join(item.text or "" for item in batch)
                await self.call(partial(self.bot.send_message, group, merged, message_thread_id=batch[0].thread))
        except BadRequest as exc:
            if topic_gone(exc):
                await self.store.relay_done(*rows)
                await self.on_gone(handoff)
                return
            log.warning("Telegram refused a relayed message (%s); dropped", exc.message)
        except Forbidden:
            log.error("the bot cannot write in a warm-line group; check it is an admin there")
        await self.store.relay_done(*rows)
