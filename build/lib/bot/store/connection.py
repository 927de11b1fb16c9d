"""The one connection to the SQLite file, through aiosqlite: SQLite never runs on the event loop.

aiosqlite keeps one sqlite3 connection on a thread of its own and runs each call there, one at a time, in the
order they were made. Its public methods (`execute`, `commit`, ...) each take one trip to that thread and back;
a store method with four statements would make five trips, and another coroutine's statements could land
between them. So every store method hands aiosqlite one plain function that runs all its statements
(`Connection.run`): at most one trip per method, and nothing can interleave with its transaction. Calls made
while a trip is under way leave together on the next one, each still run whole and alone, in order: under load
that halves the trips (tests/bench/bench_telegram.py: ~1.5 trips for the 3 store calls of an update).

aiosqlite has no public "run this function on your thread"; its `Connection._execute(fn, *args)` is what each of
its own methods calls. That one private name is used here and nowhere else; the dependency is pinned below the
next minor version, and every store test goes through it (a rename fails the whole suite at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used as it is; the message names the file and what to do."""


class Rollback(Exception):
    """Raised inside a transaction to undo it without an error (e.g. the update was handled already)."""


@dataclass(frozen=True, slots=True)
class Done:
    """What a writing statement did: rows changed, and the last inserted row's id."""

    rowcount: int
    lastrowid: int


class Connection:
    """aiosqlite's connection, driven one whole function per call (see the module docstring)."""

    def __init__(self, path: Path, driver: aiosqlite.Connection, raw: sqlite3.Connection) -> None:
        """Use Connection.open; raw is the sqlite3 connection living on driver's thread."""
        self.path = path
        self._driver = driver
        self._raw = raw
        # aiosqlite's own entry point for "call this on the connection's thread" (see the module docstring).
        self._submit: Callable[..., Awaitable[Any]] = driver._execute
        self._closed = False
        self._waiting: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._trip: asyncio.Future[None] | None = None

    @classmethod
    async def open(cls, path: Path, prepare: Callable[[sqlite3.Connection], None]) -> Connection:
        """Connect on aiosqlite's thread and run prepare (configure, migrate) there before anything else."""
        opened: list[sqlite3.Connection] = []

        def connect() -> sqlite3.Connection:
            opened.append(sqlite3.connect(path, isolation_level=None))  # None: every transaction is explicit
            return opened[0]

        driver = aiosqlite.Connection(connect, iter_chunk_size=64)
        await driver  # starts the thread and connects there
        self = cls(path, driver, opened[0])
        try:
            await self.run(prepare)
        except BaseException:
            await self.close()  # waits for the thread to end, so nothing outlives a refused start
            raise
        return self

    async def run(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """function(connection), on aiosqlite's thread; its exceptions are raised here.

        Calls made while a trip is under way ride together on the next one (see _trip): each is still its own
        function, run whole and in the order called, so each store method stays one transaction.
        """
        if self._closed:
            raise StoreError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((function, future))
        if self._trip is None:
            self._trip = asyncio.ensure_future(self._travel())
        return await future

    async def _travel(self) -> None:
        """Trips to aiosqlite's thread, one at a time, each taking every call waiting when it leaves."""
        try:
            while self._waiting:
                calls, self._waiting = self._waiting, []
                outcomes = await self._submit(_run_each, [function for function, _ in calls], self._raw)
                for (_, future), (ok, value) in zip(calls, outcomes, strict=True):
                    if future.done():  # its caller was cancelled meanwhile
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        except BaseException as exc:  # the trip itself failed (e.g. the connection closed): every caller hears
            for _, future in self._waiting:
                if not future.done():
                    future.set_exception(exc)
            self._waiting = []
            raise
        finally:
            self._trip = None

    async def transaction(self, body: Callable[[sqlite3.Connection], T]) -> T | None:
        """body(connection) inside BEGIN IMMEDIATE ... COMMIT; None when it raised Rollback (rolled back)."""
        return await self.run(partial(in_transaction, body=body))

    async def fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """The rows of one query."""
        return await self.run(lambda db: db.execute(sql, args).fetchall())

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> Done:
        """One statement, which is its own transaction."""

        def execute(db: sqlite3.Connection) -> Done:
            cursor = db.execute(sql, args)
            return Done(cursor.rowcount, cursor.lastrowid or 0)

        return await self.run(execute)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Done:
        """One statement per row, all in one transaction."""

        def executemany(db: sqlite3.Connection) -> Done:
            cursor = db.executemany(sql, rows)
            return Done(cursor.rowcount, cursor.lastrowid or 0)

        return await self.transaction(executemany) or Done(0, 0)

    async def close(self) -> None:
        """Close once every call made before has run, and end the thread; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        while self._trip is not None:  # calls already made still run
            with contextlib.suppress(Exception):
                await asyncio.shield(self._trip)
        await self._driver.close()


def _run_each(functions: list[Callable[[sqlite3.Connection], Any]], db: sqlite3.Connection) -> list[tuple[bool, Any]]:
    """On aiosqlite's thread: each function in turn, its result or exception kept apart from the others'."""
    outcomes: list[tuple[bool, Any]] = []
    for function in functions:
        try:
            outcomes.append((True, function(db)))
        except BaseException as exc:  # handed to its own caller, whatever it is
            outcomes.append((False, exc))
    return outcomes


def in_transaction(db: sqlite3.Connection, *, body: Callable[[sqlite3.Connection], T]) -> T | None:
    """BEGIN IMMEDIATE ... COMMIT; any exception rolls back (a Rollback silently, returning None)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = body(db)
        db.execute("COMMIT")
    except BaseException as exc:
        if db.in_transaction:  # SQLite may have rolled back already (e.g. a full disk)
            db.execute("ROLLBACK")
        if isinstance(exc, Rollback):
            return None
        raise
    return result


def checkpoint(db: sqlite3.Connection) -> None:
    """Copy the -wal file into the database and cut it to nothing, so deleted rows leave no old page behind."""
    (busy, _, _) = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        # Another connection (e.g. `python -m bot stats`) is reading; a later checkpoint finishes the job.
        log.warning("WAL checkpoint after a delete was blocked by a reader; old pages wait for the next")


def seconds(moment: datetime) -> int:
    """UTC Unix seconds; a naive datetime is refused, as its meaning depends on the machine's time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the store needs timezone-aware datetimes (e.g. datetime.now(UTC))")
    return int(moment.timestamp())
