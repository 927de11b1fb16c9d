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
the warm line (warmline.py), what waits for its groups (staffoutbox.py), counts and retention (counts.py); the
schema and its migrations in schema.py.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from functools import partial
from pathlib import Path
from types import TracebackType

from bot.store.connection import Connection, StoreError
from bot.store.console import Console
from bot.store.counts import Counts
from bot.store.keys import SECRET_FILE, Keys, SecretKeyError
from bot.store.persontopics import PersonTopics
from bot.store.privacy import Privacy
from bot.store.schema import DB_FILE, MIGRATIONS, PERSON_TABLES, migrate, prepare
from bot.store.sessions import Sessions
from bot.store.trust import WarmTrust
from bot.store.warmline import WarmLine

__all__ = ["DB_FILE", "MIGRATIONS", "PERSON_TABLES", "Store", "StoreError", "migrate"]


class Store(Sessions, Privacy, WarmLine, WarmTrust, PersonTopics, Counts, Console):  # PersonTopics is a StaffOutbox
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
        path = data_dir / DB_FILE
        lost, keys = _files(data_dir, path)
        db = await Connection.open(path, partial(_prepare, path=path, secret_lost=lost))
        if keys is None:
            try:
                keys = Keys.load(data_dir)
            except BaseException:
                await db.close()
                raise
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


def _files(data_dir: Path, path: Path) -> tuple[bool, Keys | None]:
    """Make the data dir and the database file (0600); refuse an exposed secret or database before anything
    else. Returns whether secret.key is missing, and the keys when it is not: a missing one is made only once
    the database is known to hold nobody stored with a lost one (_refuse_a_lost_secret)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lost = not (data_dir / SECRET_FILE).exists()
    keys = None if lost else Keys.load(data_dir)
    # SQLite gives the -wal and -shm files the database's own mode, so making it 0600 covers all three.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    _refuse_exposed_files(path)
    return lost, keys


def _prepare(db: sqlite3.Connection, *, path: Path, secret_lost: bool) -> None:
    """Configure and migrate; then, when secret.key is missing, make sure nobody was stored with it."""
    prepare(db, path)
    if secret_lost:
        _refuse_a_lost_secret(db, path)


def _refuse_a_lost_secret(db: sqlite3.Connection, path: Path) -> None:
    """People stored under a secret.key that is gone: a fresh secret would make their rows unreadable, and ones
    /forget could never find again (their person keys cannot be recomputed), so the start stops instead."""
    # table names come from our own constant, never from input
    if any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in PERSON_TABLES):
        secret = path.parent / SECRET_FILE
        raise SecretKeyError(
            f"{secret} is missing, but {path} holds people stored with it: without it their sessions cannot be "
            f"read and /forget cannot find their rows. Restore {SECRET_FILE} from your backup into {path.parent} "
            f"and start again. Only to start afresh (every stored session lost), move {path.name} and its -wal "
            f"and -shm files out of {path.parent} first."
        )


def _refuse_exposed_files(path: Path) -> None:
    """The database, -wal and -shm files must be readable by the bot's user alone, like secret.key."""
    exposed = [
        (each, stat.S_IMODE(each.stat().st_mode))
        for each in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm"))
        if each.exists() and stat.S_IMODE(each.stat().st_mode) & 0o077
    ]
    if exposed:
        names = " ".join(str(each) for each, _ in exposed)
        modes = ", ".join(f"{each.name} is {mode:04o}" for each, mode in exposed)
        raise StoreError(
            f"other users can read the database ({modes}); it holds who wrote when and encrypted sessions. "
            f"Run `chmod 600 {names}` and start again."
        )
