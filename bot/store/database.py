"""The store: the only module that speaks SQL. One SQLite file in the data dir (see Connection for how it is
reached from the event loop).

People are known by their person key (bot.store.keys: an HMAC of the Telegram user id); sessions and chat ids are
kept encrypted; the only other long-lived data are anonymous daily counts.

    async with await Store.open(data_dir) as store:
        person = store.person_key(update.effective_user.id)
        session = await store.load_session(person)
        ...
        if not await store.save_turn(person, new_session.to_dict(), update_id=u.update_id, now=now):
            return  # Telegram delivered this update again after a restart: it was answered already

Changing the schema (e.g. the handoff tables) is one appended string, plus one name if it holds people:

    MIGRATIONS = (..., "CREATE TABLE handoffs (person TEXT NOT NULL, ...);")   # becomes version N+1
    _PERSON_TABLES = ("handoffs", ...)   # forget() deletes its rows; a test fails if one is missing

Never edit a script that has shipped: databases in the field have already run it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from queue import SimpleQueue
from types import TracebackType
from typing import Any, TypeVar

from bot.store.keys import InvalidToken, Keys

log = logging.getLogger(__name__)
T = TypeVar("T")

DB_FILE = "navigator.sqlite3"
BUSY_TIMEOUT_MS = 5000  # how long the store's thread waits for a lock another process holds
CHECKPOINT_EVERY = 256  # store calls between PASSIVE checkpoints (see Connection)

# The schema, one script per version: PRAGMA user_version counts the scripts applied. To change the schema,
# APPEND one script (never edit or reorder a shipped one): opening an older database then runs the new
# scripts in order, each in one transaction with its user_version bump, so a failed script changes nothing.
# A table that holds anything about a person needs a `person` column and a line in _PERSON_TABLES.
# Times are UTC Unix seconds (INTEGER); days are ISO dates (TEXT).
MIGRATIONS: tuple[str, ...] = (
    # 1: sessions, handled updates, message ids for /forget, anonymous daily counts
    """
    CREATE TABLE sessions (
        person TEXT PRIMARY KEY,
        data BLOB NOT NULL,              -- Fernet(JSON of Session.to_dict())
        chat BLOB,                       -- Fernet(chat id), to message the person later
        last_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_last_seen ON sessions (last_seen);

    CREATE TABLE handled_updates (
        update_id INTEGER PRIMARY KEY,
        person TEXT NOT NULL,            -- so /forget can remove them too
        handled_at INTEGER NOT NULL
    );
    CREATE INDEX handled_updates_person ON handled_updates (person);
    CREATE INDEX handled_updates_handled_at ON handled_updates (handled_at);

    CREATE TABLE sent_messages (
        person TEXT NOT NULL,
        message_id INTEGER NOT NULL,     -- in the person's private chat, ours or theirs
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (person, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX sent_messages_sent_at ON sent_messages (sent_at);

    CREATE TABLE daily_counts (
        day TEXT NOT NULL,
        name TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, name)
    ) WITHOUT ROWID;
    """,
    # 2: the outbox: a turn's replies, saved with its session, deleted once Telegram has them (see "Outbox")
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: ids never reused, so order is send order
        person TEXT NOT NULL,
        payload BLOB NOT NULL,                  -- Fernet(JSON of one message: chat_id, text, buttons)
        created_at INTEGER NOT NULL
    );
    CREATE INDEX outbox_person ON outbox (person, id);
    """,
    # 3: privacy (bot/runtime/forget.py): a person's "erase each exchange after N hours"; neutral lines due to vanish
    """
    CREATE TABLE quiet_erase (
        person TEXT PRIMARY KEY,
        hours INTEGER NOT NULL           -- erase the person's messages older than this from their phone
    ) WITHOUT ROWID;

    CREATE TABLE pending_deletes (
        id INTEGER PRIMARY KEY,
        chat BLOB NOT NULL,              -- Fernet(chat id); no person column: the person was just forgotten
        message_id INTEGER NOT NULL,
        due INTEGER NOT NULL
    );
    """,
    # 4: the warm line (bot.channels.telegram.warmline): handoffs, messages waiting to be relayed, relayed updates, supporters
    """
    CREATE TABLE handoffs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person TEXT NOT NULL,
        token TEXT NOT NULL,             -- random; the alias ("Guest 4F2") derives from it alone
        language TEXT NOT NULL,
        topic TEXT NOT NULL,             -- the flow's handoff topic ("work")
        path TEXT NOT NULL,              -- JSON list of option ids chosen (door names, never free text)
        status TEXT NOT NULL,            -- queued, taken, leaving (writing a message), left (message waiting)
        group_chat INTEGER,
        thread INTEGER,                  -- the forum topic's message_thread_id
        card INTEGER,                    -- the card's message id in the group
        waiting INTEGER,                 -- the person's "you are number N" message id, edited while waiting
        supporter INTEGER,               -- a supporter's Telegram user id: staff data
        urgent INTEGER NOT NULL DEFAULT 0,
        warned INTEGER NOT NULL DEFAULT 0,   -- the person was offered choices after the supporter went silent
        created_at INTEGER NOT NULL,
        taken_at INTEGER,
        last_person INTEGER,
        last_supporter INTEGER
    );
    CREATE INDEX handoffs_person ON handoffs (person);
    CREATE INDEX handoffs_thread ON handoffs (group_chat, thread);

    CREATE TABLE relay (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- order of arrival is order of delivery
        handoff INTEGER NOT NULL,
        person TEXT NOT NULL,
        direction TEXT NOT NULL,         -- 'in': person -> topic; 'out': topic -> person
        payload BLOB NOT NULL,           -- Fernet(JSON: from_chat, message_id, text); deleted once sent
        created_at INTEGER NOT NULL
    );
    CREATE INDEX relay_person ON relay (person);

    CREATE TABLE relayed_updates (
        update_id INTEGER PRIMARY KEY,   -- a redelivered update is never relayed twice
        person TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX relayed_updates_person ON relayed_updates (person);

    CREATE TABLE supporters (
        user_id INTEGER NOT NULL,        -- staff data: a supporter's Telegram id, never shown to a person
        group_chat INTEGER NOT NULL,
        alias TEXT NOT NULL DEFAULT '',
        on_duty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, group_chat)
    ) WITHOUT ROWID;
    """,
    # 5: the warm line's mute (a supporter pauses a flooding person) and the offer made after a long wait
    """
    ALTER TABLE handoffs ADD COLUMN muted_until INTEGER;          -- the person's messages are held back until
    ALTER TABLE handoffs ADD COLUMN mute_told INTEGER NOT NULL DEFAULT 0;  -- the person had the one calm note
    ALTER TABLE handoffs ADD COLUMN offered_at INTEGER;           -- nobody took them: choices offered at
    """,
    # 6: ids carry their channel (bot/runtime/ports.py). Handled update ids become "channel:id" text (every one
    # so far was Telegram's); the people stored before person keys were HMAC("channel:id") are listed, so each
    # one's rows move to the new key when they next write (Store.adopt): their old key cannot be recomputed.
    """
    CREATE TABLE handled_updates_by_channel (
        update_id TEXT PRIMARY KEY,      -- "telegram:9001"
        person TEXT NOT NULL,
        handled_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO handled_updates_by_channel SELECT 'telegram:' || update_id, person, handled_at FROM handled_updates;
    DROP TABLE handled_updates;
    ALTER TABLE handled_updates_by_channel RENAME TO handled_updates;
    CREATE INDEX handled_updates_person ON handled_updates (person);
    CREATE INDEX handled_updates_handled_at ON handled_updates (handled_at);

    CREATE TABLE legacy_people (
        person TEXT PRIMARY KEY          -- a Telegram person's key from before: HMAC(secret, str(user id))
    ) WITHOUT ROWID;
    INSERT INTO legacy_people SELECT person FROM sessions UNION SELECT person FROM handoffs;
    """,
)

# Every table with a `person` column, in the order forget() deletes from it (children before parents, unless a
# foreign key cascades). tests/test_store.py fails if a table with a `person` column is missing here.
_PERSON_TABLES: tuple[str, ...] = (
    "relay", "relayed_updates", "handoffs",
    "outbox", "sent_messages", "handled_updates", "sessions", "quiet_erase", "legacy_people",
)

# A counter name is a vocabulary key ("door:work", "search_no_match:shelter"), never a person's words.
_COUNTER_NAME = re.compile(r"[a-z0-9_]{1,40}(:[a-z0-9_.-]{1,40})?")


class StoreError(Exception):
    """The database cannot be used as it is; the message names the file and what to do."""


class Store:
    """Sessions, handled updates, message ids and counts in one SQLite file; one transaction per method.

    Each method runs all its statements as one function (Connection.run), so no other coroutine's statements
    can land inside its transaction.
    """

    def __init__(self, db: Connection, path: Path, keys: Keys) -> None:
        """Use Store.open; this only wires up an already prepared connection."""
        self._db = db
        self._keys = keys
        self.path = path
        self._legacy = False  # people keyed the old way may still be waiting to be adopted (see MIGRATIONS 6)

    @classmethod
    async def open(cls, data_dir: Path) -> Store:
        """Open (creating, then migrating as needed) the store in data_dir; also loads or makes the secret."""
        keys = Keys.load(data_dir)  # first: refuse an exposed secret before touching anything else
        path = data_dir / DB_FILE
        # SQLite gives the -wal and -shm files the database's own mode, so making it 0600 covers all three.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = await Connection.open(path, partial(_prepare, path=path))
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

    # -- people -------------------------------------------------------------------------------------------

    def person_key(self, user_id: int) -> str:
        """The key a person is stored under (no I/O, so not async)."""
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
            for table in _PERSON_TABLES[:-1]:  # table comes from our own constant, never from input
                db.execute(f"UPDATE OR REPLACE {table} SET person = ? WHERE person = ?", (person, legacy))
            return True

        return bool(await self._db.transaction(adopt))

    async def load_session(self, person: str, *, remember: tuple[int, datetime] | None = None
                           ) -> dict[str, Any] | None:
        """The person's saved session (Session.to_dict() shape), or None if none (or it is unreadable).

        remember=(message_id, sent_at) also keeps that message id, as remember_sent does, in the same trip to
        the database (the edge reads the session of every person who writes, and remembers their message).
        """
        if remember is None:
            rows = await self._db.fetchall("SELECT data FROM sessions WHERE person = ?", (person,))
        else:
            sent = (person, remember[0], _seconds(remember[1]))

            def remember_and_load(db: sqlite3.Connection) -> list[Any]:
                db.execute(_REMEMBER_SENT, sent)  # one statement is its own transaction
                return db.execute("SELECT data FROM sessions WHERE person = ?", (person,)).fetchall()

            rows = await self._db.run(remember_and_load)
        for (token,) in rows:
            plain = self._decrypt(token, "session")
            if plain is not None:
                data: dict[str, Any] = json.loads(plain)
                return data
        return None

    async def save_turn(
        self,
        person: str,
        session: dict[str, Any],
        *,
        update_id: int | str | None = None,
        chat_id: int | str | None = None,
        now: datetime,
        outbox: Sequence[dict[str, Any]] = (),
    ) -> bool:
        """Record update_id as handled and save the session, in one transaction.

        Returns False, writing nothing, when update_id was handled already. chat_id, when given, replaces the
        stored (encrypted) one; when None the stored one is kept. `outbox` holds the turn's replies, queued
        in the same transaction (see "Outbox" below).
        """
        at = _seconds(now)
        blob = self._keys.encrypt(json.dumps(session, separators=(",", ":"), ensure_ascii=False).encode())
        chat = None if chat_id is None else self._keys.encrypt(str(chat_id).encode())
        queued = [(person, self._seal(message), at) for message in outbox]

        def turn(db: sqlite3.Connection) -> bool:
            if update_id is not None:
                cursor = db.execute(
                    "INSERT INTO handled_updates (update_id, person, handled_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (update_id) DO NOTHING",
                    (update_id, person, at),
                )
                if cursor.rowcount == 0:
                    raise _Duplicate
            db.execute(
                "INSERT INTO sessions (person, data, chat, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person) DO UPDATE SET data = excluded.data, "
                "chat = coalesce(excluded.chat, sessions.chat), last_seen = excluded.last_seen",
                (person, blob, chat, at),
            )
            if queued:
                db.executemany("INSERT INTO outbox (person, payload, created_at) VALUES (?, ?, ?)", queued)
            return True

        return bool(await self._db.transaction(turn))  # None: _Duplicate, rolled back

    async def is_handled(self, update_id: int | str) -> bool:
        """Whether save_turn already recorded this update."""
        rows = await self._db.fetchall("SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,))
        return bool(rows)

    async def chat(self, person: str) -> str | None:
        """Where the person is reached, as saved ("telegram:123", or a bare Telegram chat id from before ids
        carried their channel), decrypted; None if none was stored or it is unreadable."""
        rows = await self._db.fetchall("SELECT chat FROM sessions WHERE person = ? AND chat IS NOT NULL", (person,))
        for (token,) in rows:
            plain = self._decrypt(token, "chat id")
            if plain is not None:
                return plain.decode()
        return None

    async def chat_id(self, person: str) -> int | None:
        """The person's Telegram chat id, or None if they are not reached on Telegram (or nothing is stored)."""
        chat = await self.chat(person)
        if chat is None:
            return None
        channel, _, own = chat.rpartition(":")
        return int(own) if channel in ("", "telegram") else None

    async def remember_sent(self, person: str, message_id: int, sent_at: datetime) -> None:
        """Keep a message id of the person's private chat (ours or theirs), so /forget can delete it."""
        await self._db.execute(_REMEMBER_SENT, (person, message_id, _seconds(sent_at)))

    async def sent_messages(self, person: str, since: datetime) -> list[int]:
        """Message ids of the person's chat sent at or after since, oldest first."""
        rows = await self._db.fetchall(
            "SELECT message_id FROM sent_messages WHERE person = ? AND sent_at >= ? ORDER BY sent_at, message_id",
            (person, _seconds(since)),
        )
        return [int(message_id) for (message_id,) in rows]

    async def forget(self, person: str) -> int:
        """Delete every row about the person, in one transaction; returns how many rows went.

        PRAGMA secure_delete (set at open) zeroes deleted rows instead of only unlinking them, but in WAL mode
        the page images from before the delete still sit in the -wal file; the TRUNCATE checkpoint afterwards
        copies the zeroed pages into the database and cuts the -wal file to nothing, so neither file keeps a
        trace of the person.
        """
        def delete(db: sqlite3.Connection) -> int:
            # table comes from our own constant, never from input
            return sum(db.execute(f"DELETE FROM {table} WHERE person = ?", (person,)).rowcount
                       for table in _PERSON_TABLES)

        def forget(db: sqlite3.Connection) -> int:
            gone = _in_transaction(db, body=delete) or 0
            _checkpoint(db)
            return gone

        return await self._db.run(forget, wait=True)

    # -- anonymous counts and retention ----------------------------------------------------------------------

    async def count(self, name: str, *, now: datetime, n: int = 1) -> None:
        """Add n to today's counter `name` (today is now.date(): pass now in BOT_TIMEZONE for local days)."""
        if not _COUNTER_NAME.fullmatch(name):
            raise ValueError(f"counter name {name!r} is not a vocabulary key like 'door:work'")
        await self._db.execute(  # one statement, one transaction
            "INSERT INTO daily_counts (day, name, n) VALUES (?, ?, ?) "
            "ON CONFLICT (day, name) DO UPDATE SET n = n + excluded.n",
            (now.date().isoformat(), name, n),
        )

    async def counts(self, since: date | None = None) -> list[tuple[str, str, int]]:
        """(day, name, n) for every counter, from since (inclusive) or from the start, by day then name."""
        rows = await self._db.fetchall(
            "SELECT day, name, n FROM daily_counts WHERE day >= ? ORDER BY day, name",
            ("" if since is None else since.isoformat(),),
        )
        return [(str(day), str(name), int(n)) for day, name, n in rows]

    async def purge(
        self, now: datetime, *, session_days: int = 30, handled_days: int = 2, sent_hours: int = 48
    ) -> int:
        """Delete sessions idle past session_days, handled update ids older than handled_days and message ids
        older than sent_hours (Telegram no longer lets a bot delete them); returns how many rows went.
        """
        deadlines = (
            ("DELETE FROM sessions WHERE last_seen < ?", now - timedelta(days=session_days)),
            ("DELETE FROM handled_updates WHERE handled_at < ?", now - timedelta(days=handled_days)),
            ("DELETE FROM sent_messages WHERE sent_at < ?", now - timedelta(hours=sent_hours)),
        )

        def delete(db: sqlite3.Connection) -> int:
            gone = sum(db.execute(sql, (_seconds(deadline),)).rowcount for sql, deadline in deadlines)
            # people keyed the old way whose sessions expired before they came back: nothing left to adopt
            return gone + db.execute("DELETE FROM legacy_people WHERE person NOT IN "
                                     "(SELECT person FROM sessions UNION SELECT person FROM handoffs)").rowcount

        def purge(db: sqlite3.Connection) -> int:
            gone = _in_transaction(db, body=delete) or 0
            if gone:
                _checkpoint(db)  # as in forget: expired rows leave no copy in the -wal file
            return gone

        return await self._db.run(purge, wait=True)

    # -- Outbox ----------------------------------------------------------------------------------------------
    # A turn's replies are queued by save_turn in the same transaction as the session and the handled update,
    # then sent, then deleted one by one as Telegram accepts them. After a crash, whatever is still queued is
    # sent first: no reply is lost, and none is sent twice unless the process dies between Telegram accepting
    # a message and outbox_delivered (a window of one local write). Payloads are encrypted like sessions and
    # exist only until delivered.

    async def outbox(self, person: str | None = None) -> list[tuple[int, str, dict[str, Any]]]:
        """Queued messages as (id, person, payload), oldest first; only `person`'s when given."""
        sql = "SELECT id, person, payload FROM outbox"
        args: tuple[str, ...] = ()
        if person is not None:
            sql, args = sql + " WHERE person = ?", (person,)
        rows = await self._db.fetchall(sql + " ORDER BY id", args)
        queued: list[tuple[int, str, dict[str, Any]]] = []
        for row_id, who, token in rows:
            plain = self._decrypt(token, "queued message")
            if plain is not None:
                queued.append((int(row_id), str(who), json.loads(plain)))
        return queued

    async def outbox_delivered(self, row_id: int | None, person: str, message_id: int, sent_at: datetime) -> None:
        """Telegram accepted a queued message: delete it (row_id None: the person's oldest, the one sent
        first) and remember its message id, in one transaction."""
        sent = (person, message_id, _seconds(sent_at))

        def delivered(db: sqlite3.Connection) -> None:
            if row_id is None:
                db.execute("DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox WHERE person = ?)", (person,))
            else:
                db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
            db.execute(_REMEMBER_SENT, sent)

        await self._db.transaction(delivered)

    async def outbox_drop(self, person: str, row_id: int | None = None, *, oldest: bool = False) -> int:
        """Delete one queued message (Telegram refused it for good: by row_id, or the person's oldest), or
        all of a person's (they blocked the bot)."""
        if row_id is not None:
            sql, args = "DELETE FROM outbox WHERE person = ? AND id = ?", [person, str(row_id)]
        elif oldest:
            sql, args = "DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox WHERE person = ?)", [person]
        else:
            sql, args = "DELETE FROM outbox WHERE person = ?", [person]
        return (await self._db.execute(sql, args)).rowcount

    def _seal(self, message: dict[str, Any]) -> bytes:
        return self._keys.encrypt(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())

    # -- Privacy (bot/runtime/forget.py) ----------------------------------------------------------------------------
    # Quiet erase: a person may have their phone's copy of each exchange deleted after some hours; the job
    # reads the ids of messages between 48 hours ago (Telegram's limit) and `hours` ago, deletes them, and
    # forgets the ids. A neutral line left after /forget is deleted ~60 s later, even across a restart.

    async def set_quiet_erase(self, person: str, hours: int | None) -> None:
        """Erase the person's messages older than `hours` from their phone; None turns it off."""
        if hours is None:
            await self._db.execute("DELETE FROM quiet_erase WHERE person = ?", (person,))
        else:
            await self._db.execute(
                "INSERT INTO quiet_erase (person, hours) VALUES (?, ?) "
                "ON CONFLICT (person) DO UPDATE SET hours = excluded.hours",
                (person, hours),
            )

    async def quiet_erase(self, person: str | None = None) -> list[tuple[str, int]]:
        """(person, hours) for everyone who turned quiet erase on, or only `person`."""
        sql, args = "SELECT person, hours FROM quiet_erase", tuple[str, ...]()
        if person is not None:
            sql, args = sql + " WHERE person = ?", (person,)
        rows = await self._db.fetchall(sql + " ORDER BY person", args)
        return [(str(who), int(hours)) for who, hours in rows]

    async def sent_messages_before(self, person: str, since: datetime, before: datetime) -> list[int]:
        """Message ids of the person's chat sent at or after since and before `before`, oldest first."""
        rows = await self._db.fetchall(
            "SELECT message_id FROM sent_messages WHERE person = ? AND sent_at >= ? AND sent_at < ? "
            "ORDER BY sent_at, message_id",
            (person, _seconds(since), _seconds(before)),
        )
        return [int(message_id) for (message_id,) in rows]

    async def forget_sent(self, person: str, message_ids: Sequence[int]) -> int:
        """Forget these message ids of the person's chat (they were deleted from the phone)."""
        return (await self._db.executemany(
            "DELETE FROM sent_messages WHERE person = ? AND message_id = ?",
            [(person, message_id) for message_id in message_ids],
        )).rowcount

    async def purge_quiet_erase(self) -> int:
        """Drop quiet-erase choices of people whose session has expired (nothing else is kept about them)."""
        return (await self._db.execute(
            "DELETE FROM quiet_erase WHERE person NOT IN (SELECT person FROM sessions)"
        )).rowcount

    async def add_pending_delete(self, chat_id: int | str, message_id: int, due: datetime) -> int:
        """Remember to delete one message at `due` (kept without a person key); returns the record's id."""
        chat = self._keys.encrypt(str(chat_id).encode())
        return (await self._db.execute(
            "INSERT INTO pending_deletes (chat, message_id, due) VALUES (?, ?, ?)",
            (chat, message_id, _seconds(due)),
        )).lastrowid

    async def pending_deletes(self) -> list[tuple[int, str, int, datetime]]:
        """(id, chat as saved, message id, due) of every message waiting to be deleted, soonest first."""
        rows = await self._db.fetchall("SELECT id, chat, message_id, due FROM pending_deletes ORDER BY due, id")
        found: list[tuple[int, str, int, datetime]] = []
        for row_id, token, message_id, due in rows:
            plain = self._decrypt(token, "chat id")
            if plain is not None:
                found.append((int(row_id), plain.decode(), int(message_id), datetime.fromtimestamp(due, UTC)))
        return found

    async def drop_pending_delete(self, row_id: int) -> None:
        """The message was deleted (or cannot be): forget the record."""
        await self._db.execute("DELETE FROM pending_deletes WHERE id = ?", (row_id,))

    # -- Warm line (bot.channels.telegram.warmline) ---------------------------------------------------------------------------
    # A handoff row lives while a person waits, talks or has a message waiting for an answer, and is deleted
    # when it closes (only anonymous counts remain). Relayed messages wait in `relay`, encrypted, until sent.

    async def handoff_create(self, person: str, token: str, language: str, topic: str, path: Sequence[str],
                             status: str, now: datetime) -> int:
        """A new handoff for the person; returns its id."""
        return (await self._db.execute(
            "INSERT INTO handoffs (person, token, language, topic, path, status, created_at, "
            "last_person) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (person, token, language, topic, json.dumps(list(path)), status, _seconds(now), _seconds(now)),
        )).lastrowid

    async def handoff_update(self, handoff: int, **fields: Any) -> None:
        """Set some of a handoff's columns (names from _HANDOFF_FIELDS only); datetimes become seconds."""
        bad = set(fields) - _HANDOFF_FIELDS
        if bad or not fields:
            raise ValueError(f"not handoff columns: {sorted(bad)}")
        values = [_seconds(v) if isinstance(v, datetime) else v for v in fields.values()]
        assignments = ", ".join(f"{name} = ?" for name in fields)  # names checked against our own set above
        await self._db.execute(f"UPDATE handoffs SET {assignments} WHERE id = ?", (*values, handoff))

    async def handoff_take(self, handoff: int, supporter: int, now: datetime) -> bool:
        """The claim: True for the first supporter to take a queued handoff, False for everyone after."""
        done = await self._db.execute(
            "UPDATE handoffs SET status = 'taken', supporter = ?, taken_at = ?, last_supporter = ?, "
            "warned = 0 WHERE id = ? AND status = 'queued'",
            (supporter, _seconds(now), _seconds(now), handoff),
        )
        return done.rowcount == 1

    async def handoffs(self, *, handoff: int | None = None, person: str | None = None,
                       thread: tuple[int, int] | None = None) -> list[dict[str, Any]]:
        """Handoffs, oldest first: all, or one by id, a person's, or the one in a group's topic."""
        sql, args = "SELECT * FROM handoffs", ()  # type: tuple[str, tuple[Any, ...]]
        if handoff is not None:
            sql, args = sql + " WHERE id = ?", (handoff,)
        elif person is not None:
            sql, args = sql + " WHERE person = ?", (person,)
        elif thread is not None:
            sql, args = sql + " WHERE group_chat = ? AND thread = ?", thread

        def select(db: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = db.execute(sql + " ORDER BY id", args)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        found = await self._db.run(select)
        for row in found:
            row["path"] = tuple(json.loads(row["path"]))
        return found

    async def handoff_delete(self, handoff: int) -> None:
        """The handoff closed: its row and any undelivered messages go."""
        def delete(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM relay WHERE handoff = ?", (handoff,))
            db.execute("DELETE FROM handoffs WHERE id = ?", (handoff,))

        await self._db.transaction(delete)

    async def relay_add(self, handoff: int, person: str, direction: str, message: dict[str, Any], *,
                        update_id: int | None, now: datetime) -> int | None:
        """Queue one message to relay; None (nothing queued) when update_id was relayed already."""
        at = _seconds(now)
        payload = self._seal(message)
        column = "last_person" if direction == "in" else "last_supporter"  # one of two fixed names

        def add(db: sqlite3.Connection) -> int:
            if update_id is not None:
                cursor = db.execute(
                    "INSERT INTO relayed_updates (update_id, person, at) VALUES (?, ?, ?) "
                    "ON CONFLICT (update_id) DO NOTHING", (update_id, person, at))
                if cursor.rowcount == 0:
                    raise _Duplicate
            db.execute(f"UPDATE handoffs SET {column} = ? WHERE id = ?", (at, handoff))
            cursor = db.execute(
                "INSERT INTO relay (handoff, person, direction, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                (handoff, person, direction, payload, at))
            return int(cursor.lastrowid or 0)

        return await self._db.transaction(add)

    async def relay_pending(self) -> list[tuple[int, int, str, dict[str, Any]]]:
        """Every message waiting to be relayed as (id, handoff, direction, message), oldest first."""
        rows = await self._db.fetchall("SELECT id, handoff, direction, payload FROM relay ORDER BY id")
        pending = []
        for row_id, handoff, direction, token in rows:
            plain = self._decrypt(token, "relayed message")
            if plain is not None:
                pending.append((int(row_id), int(handoff), str(direction), json.loads(plain)))
        return pending

    async def relay_done(self, *row_ids: int) -> None:
        """Telegram has these relayed messages: their text is deleted."""
        await self._db.executemany("DELETE FROM relay WHERE id = ?", [(i,) for i in row_ids])

    async def supporter_set(self, user_id: int, group_chat: int, *, alias: str | None = None,
                            on_duty: bool | None = None) -> None:
        """Record a supporter's alias or duty in a group (created on first use)."""
        def record(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO supporters (user_id, group_chat) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       (user_id, group_chat))
            if alias is not None:
                db.execute("UPDATE supporters SET alias = ? WHERE user_id = ? AND group_chat = ?",
                           (alias, user_id, group_chat))
            if on_duty is not None:
                db.execute("UPDATE supporters SET on_duty = ? WHERE user_id = ? AND group_chat = ?",
                           (int(on_duty), user_id, group_chat))

        await self._db.transaction(record)

    async def supporters(self) -> list[tuple[int, int, str, bool]]:
        """(user id, group chat, alias, on duty) for every supporter known."""
        rows = await self._db.fetchall(
            "SELECT user_id, group_chat, alias, on_duty FROM supporters ORDER BY group_chat, user_id")
        return [(int(u), int(g), str(a), bool(d)) for u, g, a, d in rows]

    async def purge_relayed(self, now: datetime, *, days: int = 2) -> int:
        """Forget relayed update ids older than `days` (Telegram redelivers for a day at most)."""
        return (await self._db.execute("DELETE FROM relayed_updates WHERE at < ?",
                                       (_seconds(now - timedelta(days=days)),))).rowcount

    # -- Warm line: mute and the long-wait offer (bot.channels.telegram.warmline) -----------------------------------------------
    # A supporter's /mute holds a flooding person's messages back for a while; the person is told once.

    async def handoff_mute(self, handoff: int, until: datetime | None) -> None:
        """Hold the person's messages back until `until` (None: unmute); they will be told once again."""
        await self._db.execute("UPDATE handoffs SET muted_until = ?, mute_told = 0 WHERE id = ?",
                               (None if until is None else _seconds(until), handoff))

    async def handoff_mute_tell_once(self, handoff: int) -> bool:
        """True the first time it is asked during a mute: the caller tells the person, once."""
        done = await self._db.execute("UPDATE handoffs SET mute_told = 1 WHERE id = ? AND mute_told = 0",
                                      (handoff,))
        return done.rowcount == 1

    async def handoff_offered(self, handoff: int, at: datetime | None) -> None:
        """Record when a waiting person was offered choices after a long wait (None: the wait starts again)."""
        await self._db.execute("UPDATE handoffs SET offered_at = ? WHERE id = ?",
                               (None if at is None else _seconds(at), handoff))

    # -- internals ------------------------------------------------------------------------------------------

    def _decrypt(self, token: bytes, what: str) -> bytes | None:
        try:
            return self._keys.decrypt(token)
        except InvalidToken:
            # Damaged, or written under another secret: the person starts afresh rather than meeting an error.
            log.warning("a stored %s could not be decrypted; treating it as absent", what)
            return None


_REMEMBER_SENT = ("INSERT INTO sent_messages (person, message_id, sent_at) VALUES (?, ?, ?) "
                  "ON CONFLICT DO NOTHING")

_HANDOFF_FIELDS = frozenset({"status", "group_chat", "thread", "card", "waiting", "supporter", "urgent",
                             "warned", "taken_at", "last_person", "last_supporter"})


class _Duplicate(Exception):
    """Raised inside a transaction to roll it back without an error: the update was handled already."""


@dataclass(frozen=True, slots=True)
class Done:
    """What a writing statement did: rows changed, and the last inserted row's id."""

    rowcount: int
    lastrowid: int


class Connection:
    """The SQLite file through two connections: one on the event loop's thread, one on a thread of its own.

    A store method runs all its statements as one function. Most are a few statements on pages already in
    memory, tens of µs: they run at once on the event loop's thread, since a hop to another thread and back
    costs more than the work (the GIL changing hands and the wake-ups on both sides: ~0.17 ms of CPU per call
    under load, measured with tests/bench/bench_telegram.py). That connection never waits: its busy_timeout is
    0, so when someone else (the CLI, or the thread's own forget) holds the write lock, the call fails at once
    having changed nothing, and runs again on the thread, whose connection waits up to BUSY_TIMEOUT_MS. Nor
    does it checkpoint (those fsync): the thread does, every CHECKPOINT_EVERY calls. Calls that may wait
    (migrations, forget's and purge's TRUNCATE checkpoints) always run on the thread, one at a time in order.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calls: SimpleQueue[tuple[asyncio.Future[Any], Callable[[], Any]] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="store", daemon=True)
        self._conn: sqlite3.Connection | None = None      # used only on self._thread
        self._direct: sqlite3.Connection | None = None    # used only on the thread that opened the store
        self._owner = threading.get_ident()
        self._since_checkpoint = 0
        self._closed = False

    @classmethod
    async def open(cls, path: Path, prepare: Callable[[sqlite3.Connection], None]) -> Connection:
        """Start the thread, open path there and run prepare (configure, migrate); then open the direct one."""
        self = cls(path)
        self._thread.start()

        def connect() -> None:
            self._conn = sqlite3.connect(path, isolation_level=None)  # None: every transaction is explicit
            prepare(self._conn)

        try:
            await self._call(connect)
            direct = self._direct = sqlite3.connect(path, isolation_level=None)
            _configure(direct, path, busy_timeout_ms=0)
            direct.execute("PRAGMA wal_autocheckpoint = 0")  # the thread checkpoints (see _tick)
        except BaseException:
            await self.close()
            raise
        return self

    async def run(self, function: Callable[[sqlite3.Connection], T], *, wait: bool = False) -> T:
        """function(connection): at once on the event loop's thread, or on the store's thread when it must
        wait (wait=True, or the write lock is taken)."""
        direct = self._direct
        if direct is not None and not wait and threading.get_ident() == self._owner:
            try:
                result = function(direct)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                # Locked by another writer: SQLite changed nothing, so the thread runs the whole call again.
            else:
                self._tick()
                return result
        elif self._closed:
            raise StoreError("the store is closed")
        return await self._call(lambda: function(self._connection()))

    async def transaction(self, body: Callable[[sqlite3.Connection], T]) -> T | None:
        """body(connection) inside BEGIN IMMEDIATE ... COMMIT; None when it raised _Duplicate (rolled back)."""
        return await self.run(partial(_in_transaction, body=body))

    async def fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return await self.run(lambda db: db.execute(sql, args).fetchall())

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> Done:
        """One statement, which is its own transaction."""
        def execute(db: sqlite3.Connection) -> Done:
            cursor = db.execute(sql, args)
            return Done(cursor.rowcount, cursor.lastrowid or 0)

        return await self.run(execute)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Done:
        """One statement per row, each its own transaction (so only for statements that may run twice)."""
        def executemany(db: sqlite3.Connection) -> Done:
            cursor = db.executemany(sql, rows)
            return Done(cursor.rowcount, cursor.lastrowid or 0)

        return await self.run(executemany)

    async def close(self) -> None:
        """Close both connections once every call made before has run, and end the thread; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._direct is not None:
            self._direct.close()
            self._direct = None

        def close() -> None:
            if self._conn is not None:
                self._conn.close()

        try:
            await self._call(close)
        finally:
            self._calls.put(None)  # the thread ends after the calls before it

    def _tick(self) -> None:
        """Every CHECKPOINT_EVERY direct calls, a PASSIVE checkpoint on the thread keeps the -wal file short."""
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            done = self._call(lambda: self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())
            done.add_done_callback(_report_checkpoint)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the store is closed")
        return self._conn

    def _call(self, function: Callable[[], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._calls.put((future, function))
        return future

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            future, function = call
            try:
                result = function()
            except BaseException as exc:  # handed to the caller, whatever it is
                future.get_loop().call_soon_threadsafe(_fail, future, exc)
            else:
                future.get_loop().call_soon_threadsafe(_succeed, future, result)


def _report_checkpoint(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("a WAL checkpoint failed (%s); the next one tries again", type(done.exception()).__name__)


def _succeed(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # the caller may have been cancelled meanwhile
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def _in_transaction(db: sqlite3.Connection, *, body: Callable[[sqlite3.Connection], T]) -> T | None:
    """BEGIN IMMEDIATE ... COMMIT; any exception rolls back (a _Duplicate silently, returning None)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = body(db)
        db.execute("COMMIT")
    except BaseException as exc:
        if db.in_transaction:  # SQLite may have rolled back already (e.g. a full disk)
            db.execute("ROLLBACK")
        if isinstance(exc, _Duplicate):
            return None
        raise
    return result


def _checkpoint(db: sqlite3.Connection) -> None:
    (busy, _, _) = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        # Another connection (e.g. `python -m bot stats`) is reading; a later checkpoint finishes the job.
        log.warning("WAL checkpoint after a delete was blocked by a reader; old pages wait for the next")


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    _configure(db, path)
    migrate(db, path, MIGRATIONS)


def _configure(db: sqlite3.Connection, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
    if mode != "wal":
        raise StoreError(
            f"{path}: SQLite could not switch to WAL mode (it says {mode!r}); "
            "put BOT_DATA_DIR on a local disk."
        )
    # NORMAL, not FULL: in WAL mode a commit is written to the -wal file before COMMIT returns, so it survives
    # the process being killed; only a power cut or kernel crash can lose the last few commits, and never
    # leaves a half-written one. FULL would fsync on every message for that small gain (a reply sent twice or
    # a person stepping back one screen after a power cut).
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")  # wait for a CLI reader/writer, not fail
    db.execute("PRAGMA secure_delete = ON")   # deleted rows are zeroed, not just unlinked (see forget)
    db.execute("PRAGMA temp_store = MEMORY")  # sorts and temp tables never spill to a file on disk
    # Up to 32 MB of pages kept (the default is 2 MB): with 10,000 people the whole file (~20 MB) stays in
    # memory, instead of every turn reading some of its pages back from the OS (~40 µs a turn, measured).
    db.execute("PRAGMA cache_size = -32000")


def migrate(db: sqlite3.Connection, path: Path, migrations: tuple[str, ...] = MIGRATIONS) -> int:
    """Bring the database up to len(migrations), one transaction per script; returns the final version.

    db is a plain sqlite3 connection with isolation_level=None. A database newer than the code raises
    StoreError naming the file and what to do.
    """
    version = _user_version(db)
    if version > len(migrations):
        raise StoreError(
            f"{path} has schema version {version}, but this version of the bot knows only up to "
            f"{len(migrations)}: it was written by a newer bot. Run the newer bot again, or restore a backup "
            f"of {path.parent} taken with this version."
        )
    while version < len(migrations):
        number = version + 1
        # executescript runs the whole script in one call; BEGIN/COMMIT inside it make the script and its
        # user_version one transaction (user_version lives in the file header, which is transactional).
        try:
            db.executescript(
                f"BEGIN IMMEDIATE;\n{migrations[number - 1]};\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if _user_version(db) >= number:
                version = _user_version(db)  # another process (a CLI started alongside) migrated first
                continue
            raise StoreError(f"{path}: migration {number} failed and was rolled back: {exc}") from exc
        version = number
    return version


def _user_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(version)


def _seconds(moment: datetime) -> int:
    """UTC Unix seconds; a naive datetime is refused, as its meaning depends on the machine's time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the store needs timezone-aware datetimes (e.g. datetime.now(UTC))")
    return int(moment.timestamp())
