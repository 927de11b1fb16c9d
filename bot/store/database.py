"""The store: the only package that speaks SQL. One SQLite file in the data dir, reached through aiosqlite, one
trip to its thread per method (bot.store.connection).

People are known by their person key (bot.store.keys: an HMAC of "channel:user id"); sessions and chat ids are
kept encrypted; the only other long-lived data are anonymous daily counts.

    async with await Store.open(data_dir) as store:
        person = store.person_key(update.effective_user.id)
        session = await store.load_session(person)
        ...
        if not await store.save_turn(person, new_session.to_dict(), update_id=u.update_id, now=now):
            return  # Telegram delivered this update again after a restart: it was answered already

The methods live in one file per group: sessions and the outbox (sessions.py), forget and erasing (privacy.py),
the warm line (warmline.py), counts and retention (counts.py); the schema and its migrations in schema.py.
"""

from __future__ import annotations

import os
import sqlite3
from functools import partial
from pathlib import Path
from types import TracebackType

from bot.store.connection import Connection, StoreError
from bot.store.counts import Counts
from bot.store.keys import Keys
from bot.store.privacy import Privacy
from bot.store.schema import DB_FILE, MIGRATIONS, PERSON_TABLES, migrate, prepare
from bot.store.sessions import Sessions
from bot.store.warmline import WarmLine

__all__ = ["DB_FILE", "MIGRATIONS", "PERSON_TABLES", "Store", "StoreError", "migrate"]


class Store(Sessions, Privacy, WarmLine, Counts):
    """Sessions, handled updates, message ids, the warm line and counts in one SQLite file; one transaction
    (and one trip to aiosqlite's thread) per method, so no other coroutine's statements land inside it."""

    def __init__(self, db: Connection, path: Path, keys: Keys) -> None:
        """Use Store.open; this only wires up an already prepared connection."""
        super().__init__(db, keys)
        self.path = path
        self._legacy = False  # people keyed the old way may still be waiting to be adopted (schema migration 6)

    @classmethod
    async def open(cls, data_dir: Path) -> Store:
        """Open (creating, then migrating as needed) the store in data_dir; also loads or makes the secret."""
        keys = Keys.load(data_dir)  # first: refuse an exposed secret before touching anything else
        path = data_dir / DB_FILE
        # SQLite gives the -wal and -shm files the database's own mode, so making it 0600 covers all three.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = await Connection.open(path, partial(prepare, path=path))
        store = cls(db, path, keys)
        store._legacy = bool(await db.fetchall("SELECT 1 FROM legacy_people LIMIT 1"))
        return store

    async def close(self) -> None:
        """Close the connection (after every call already made); safe to call twice."""
        await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def person_key(self, user_id: int) -> str:
        """The key a Telegram user is stored under (no I/O, so not async)."""
        return self._keys.person_key(user_id)

    def channel_key(self, channel: str, ident: str) -> str:
        """The key a person of another channel is stored under ("web", the chat's random id); no I/O."""
        return self._keys.channel_key(channel, ident)

    def legacy_key(self, user_id: int | str) -> str:
        """How a Telegram user was keyed before keys carried their channel (Store.adopt moves their rows)."""
        return self._keys.legacy_key(user_id)

    async def adopt(self, legacy: str, person: str) -> bool:
        """A person stored under their old key (before keys carried their channel) is back: move every row of
        theirs to `person`, in one transaction. False, at no cost, when nobody is left to adopt."""
        if not self._legacy:
            return False

        def adopt(db: sqlite3.Connection) -> bool:
            if not db.execute("DELETE FROM legacy_people WHERE person = ?", (legacy,)).rowcount:
                return False
            for table in PERSON_TABLES[:-1]:  # table comes from our own constant, never from input
                db.execute(f"UPDATE OR REPLACE {table} SET person = ? WHERE person = ?", (person, legacy))
            return True

        return bool(await self._db.transaction(adopt))
