"""Housekeeping's one scheduler: asyncio tasks in the running bot, for every channel alike.

    every(name, seconds, job)   counts, queued replies, quiet erase, retention: a round every `seconds`
    after(seconds, job)         one job later (a vanishing line)

A job that fails is logged (its kind only) and the next round runs as usual; `close()` cancels everything.
It needs no library extra (retention used to run only when python-telegram-bot's job-queue was installed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[object]]


class Scheduler:
    """Named repeating rounds and one-off delayed jobs, as tasks on the running event loop."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()

    def every(self, name: str, seconds: float, job: Job, *, first: float | None = None) -> None:
        """Run `job` every `seconds` (the first time after `first`, default `seconds`) until close()."""
        self._spawn(self._repeat(name, seconds, job, seconds if first is None else first), name)

    def after(self, seconds: float, job: Job, *, name: str = "once") -> None:
        """Run `job` once, `seconds` from now (at once when <= 0)."""
        self._spawn(self._once(name, max(0.0, seconds), job), name)

    @property
    def pending(self) -> int:
        """How many rounds and jobs are waiting or running."""
        return len(self._tasks)

    async def close(self) -> None:
        """Cancel every round and job, and wait until they have stopped."""
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        task.set_name(f"housekeeping:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _repeat(self, name: str, seconds: float, job: Job, first: float) -> None:
        await self._sleep(first)
        while True:
            await _run(name, job)
            await self._sleep(seconds)

    async def _once(self, name: str, seconds: float, job: Job) -> None:
        await self._sleep(seconds)
        await _run(name, job)


async def _run(name: str, job: Job) -> None:
    try:
        await job()
    except Exception:  # keep housekeeping alive through a bad moment; the next round retries
        log.exception("housekeeping job %s failed", name)
