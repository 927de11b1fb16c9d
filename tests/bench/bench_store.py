"""Store throughput: save_turn, load_session, is_handled, count and forget on a real file; prints ops/s.
Each call is one trip to aiosqlite's thread (calls made together share one): the µs are mostly that trip.

Run: .venv/bin/python tests/bench/bench_store.py [N]
On /dev/shm (a tmpfs) when present, then on the temp dir's disk.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.store.database import Store

SESSION = {
    "version": "2026-11-28T12:00",
    "node": "work.passport",
    "language": "en",
    "vars": [["where", "a restaurant in the northeast"]],
    "path": ["work", "documents"],
    "search": [],
    "mode": "flow",
    "brief": False,
}


async def timed(label: str, n: int, step: Callable[[int], Awaitable[object]]) -> None:
    start = time.perf_counter()
    for i in range(n):
        await step(i)
    elapsed = time.perf_counter() - start
    print(f"  {label:<14} {n / elapsed:>9,.0f} ops/s  {elapsed / n * 1e6:>7.1f} µs/op")


async def bench(where: Path, n: int) -> None:
    now = datetime.now(UTC)
    async with await Store.open(where) as store:
        people = [store.person_key(7_000_000_000 + i) for i in range(1000)]
        print(f"{where} ({n} ops each)")
        await timed("person_key", n, lambda i: asyncio.sleep(0, store.person_key(i)))
        await timed(
            "save_turn",
            n,
            lambda i: store.save_turn(people[i % 1000], SESSION, update_id=i, chat_id=7_000_000_000 + i, now=now),
        )
        await timed("save_turn dup", n, lambda i: store.save_turn(people[i % 1000], SESSION, update_id=i, now=now))
        await timed("load_session", n, lambda i: store.load_session(people[i % 1000]))
        await timed("is_handled", n, lambda i: store.is_handled(i))
        await timed("count", n, lambda i: store.count("door:work", now=now))
        await timed("remember_sent", n, lambda i: store.remember_sent(people[i % 1000], i, now))
        await timed("forget", 200, lambda i: store.forget(people[i]))
        # eight people's turns at once, as the edge's lanes make them: calls share trips to aiosqlite's thread
        await timed(
            "save_turn x8",
            n // 8,
            lambda i: asyncio.gather(
                *(
                    store.save_turn(people[(8 * i + j) % 1000], SESSION, update_id=10 * n + 8 * i + j, now=now)
                    for j in range(8)
                )
            ),
        )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    roots = [Path("/dev/shm")] if Path("/dev/shm").is_dir() else []
    roots.append(Path(tempfile.gettempdir()))
    for root in roots:
        where = Path(tempfile.mkdtemp(prefix="bench-store-", dir=root))
        try:
            asyncio.run(bench(where, n))
        finally:
            shutil.rmtree(where)


if __name__ == "__main__":
    main()
