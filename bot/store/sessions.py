"""Sessions, handled updates, the person's message ids, and the outbox.

A turn is one transaction (save_turn): the update marked handled, the session saved, the replies queued. The
replies are then sent, and deleted one by one as the channel accepts them (outbox_delivered). After a crash,
whatever is still queued is sent first: no reply is lost, and none is sent twice unless the process dies between
the channel accepting a message and outbox_delivered (a window of one local write). Payloads are encrypted like
sessions and exist only until delivered.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store.base import REMEMBER_SENT, StoreBase
from bot.store.connection import Rollback, seconds


class Sessions(StoreBase):
    """The person's session and everything saved with a turn."""

    async def load_session(self, person: str, *, remember: tuple[int, datetime] | None = None) -> dict[str, Any] | None:
        """The person's saved session (Session.to_dict() shape), or None if none (or it is unreadable).

        remember=(message_id, sent_at) also keeps that message id, as remember_sent does, in the same trip to
        the database (the edge reads the session of every person who writes, and remembers their message).
        """
        sent = None if remember is None else (person, remember[0], seconds(remember[1]))

        def load(db: sqlite3.Connection) -> list[Any]:
            if sent is not None:
                db.execute(REMEMBER_SENT, sent)  # one statement is its own transaction
            return db.execute("SELECT data FROM sessions WHERE person = ?", (person,)).fetchall()

        for (token,) in await self._db.run(load):
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
        in the same transaction (see the module docstring).
        """
        at = seconds(now)
        blob = self._seal(session)
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
                    raise Rollback
            db.execute(
                "INSERT INTO sessions (person, data, chat, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person) DO UPDATE SET data = excluded.data, "
                "chat = coalesce(excluded.chat, sessions.chat), last_seen = excluded.last_seen",
                (person, blob, chat, at),
            )
            if queued:
                db.executemany("INSERT INTO outbox (person, payload, created_at) VALUES (?, ?, ?)", queued)
            return True

        return bool(await self._db.transaction(turn))  # None: Rollback, the update was handled already

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
        await self._db.execute(REMEMBER_SENT, (person, message_id, seconds(sent_at)))

    async def sent_messages(self, person: str, since: datetime) -> list[int]:
        """Message ids of the person's chat sent at or after since, oldest first."""
        rows = await self._db.fetchall(
            "SELECT message_id FROM sent_messages WHERE person = ? AND sent_at >= ? ORDER BY sent_at, message_id",
            (person, seconds(since)),
        )
        return [int(message_id) for (message_id,) in rows]

    # -- the outbox ---------------------------------------------------------------------------------------

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

    async def outbox_add(
        self,
        person: str,
        messages: Sequence[dict[str, Any]],
        now: datetime,
        *,
        relayed: tuple[int, int] | None = None,
    ) -> list[int] | None:
        """Queue messages for the person outside a turn (the warm line's), in one transaction; their row ids.

        relayed=(update id, handoff): a supporter's update relayed to the person, recorded in the same
        transaction (their last word is now): None, queueing nothing, when that update was relayed already."""
        at = seconds(now)
        queued = [(person, self._seal(message), at) for message in messages]

        def add(db: sqlite3.Connection) -> list[int]:
            if relayed is not None:
                update_id, handoff = relayed
                cursor = db.execute(
                    "INSERT INTO relayed_updates (update_id, person, at) VALUES (?, ?, ?) "
                    "ON CONFLICT (update_id) DO NOTHING",
                    (update_id, person, at),
                )
                if cursor.rowcount == 0:
                    raise Rollback
                db.execute("UPDATE handoffs SET last_supporter = ? WHERE id = ?", (at, handoff))
            insert = "INSERT INTO outbox (person, payload, created_at) VALUES (?, ?, ?)"
            return [int(db.execute(insert, row).lastrowid or 0) for row in queued]

        return await self._db.transaction(add)

    async def outbox_delivered(
        self, row_id: int | None, person: str, message_id: int, sent_at: datetime, *, waiting: int | None = None
    ) -> None:
        """The channel accepted a queued message: delete it (row_id None: the person's oldest, the one sent
        first) and remember its message id, in one transaction; `waiting`: it is that handoff's place in line."""
        sent = (person, message_id, seconds(sent_at))

        def delivered(db: sqlite3.Connection) -> None:
            if row_id is None:
                db.execute("DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox WHERE person = ?)", (person,))
            else:
                db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
            db.execute(REMEMBER_SENT, sent)
            if waiting is not None:
                db.execute("UPDATE handoffs SET waiting = ? WHERE id = ?", (message_id, waiting))

        await self._db.transaction(delivered)

    async def outbox_drop(self, person: str, row_id: int | None = None, *, oldest: bool = False) -> int:
        """Delete one queued message (refused for good: by row_id, or the person's oldest), or all of a
        person's (they blocked the bot)."""
        if row_id is not None:
            sql, args = "DELETE FROM outbox WHERE person = ? AND id = ?", [person, str(row_id)]
        elif oldest:
            sql, args = "DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox WHERE person = ?)", [person]
        else:
            sql, args = "DELETE FROM outbox WHERE person = ?", [person]
        return (await self._db.execute(sql, args)).rowcount
