"""Forgetting a person, and the phone-side erasing (bot/channels/telegram/erase.py) the store remembers.

Quiet erase: a person may have their phone's copy of each exchange deleted after some hours; the job reads the
ids of messages between 48 hours ago (Telegram's limit) and `hours` ago, deletes them, and forgets the ids. A
neutral line left after /forget is deleted ~60 s later, even across a restart (pending_deletes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.store.base import StoreBase
from bot.store.connection import checkpoint, in_transaction, seconds
from bot.store.schema import PERSON_TABLES


class Privacy(StoreBase):
    """forget, quiet erase and the messages waiting to be deleted."""

    async def forget(self, person: str) -> int:
        """Delete every row about the person, in one transaction; returns how many rows went.

        PRAGMA secure_delete (set at open) zeroes deleted rows instead of only unlinking them, but in WAL mode
        the page images from before the delete still sit in the -wal file; the TRUNCATE checkpoint afterwards
        copies the zeroed pages into the database and cuts the -wal file to nothing, so neither file keeps a
        trace of the person.
        """

        def delete(db: sqlite3.Connection) -> int:
            # table comes from our own constant, never from input
            return sum(
                db.execute(f"DELETE FROM {table} WHERE person = ?", (person,)).rowcount for table in PERSON_TABLES
            )

        def forget(db: sqlite3.Connection) -> int:
            gone = in_transaction(db, body=delete) or 0
            checkpoint(db)
            return gone

        return await self._db.run(forget)

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
            (person, seconds(since), seconds(before)),
        )
        return [int(message_id) for (message_id,) in rows]

    async def forget_sent(self, person: str, message_ids: Sequence[int]) -> int:
        """Forget these message ids of the person's chat (they were deleted from the phone)."""
        done = await self._db.executemany(
            "DELETE FROM sent_messages WHERE person = ? AND message_id = ?",
            [(person, message_id) for message_id in message_ids],
        )
        return done.rowcount

    async def purge_quiet_erase(self) -> int:
        """Drop quiet-erase choices of people whose session has expired (nothing else is kept about them)."""
        done = await self._db.execute("DELETE FROM quiet_erase WHERE person NOT IN (SELECT person FROM sessions)")
        return done.rowcount

    async def add_pending_delete(self, chat_id: int | str, message_id: int, due: datetime) -> int:
        """Remember to delete one message at `due` (kept without a person key); returns the record's id."""
        chat = self._keys.encrypt(str(chat_id).encode())
        done = await self._db.execute(
            "INSERT INTO pending_deletes (chat, message_id, due) VALUES (?, ?, ?)", (chat, message_id, seconds(due))
        )
        return done.lastrowid

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
