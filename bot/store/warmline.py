"""The warm line's tables (bot.channels.telegram.warmline): handoffs, messages waiting to be relayed, supporters.

A handoff row lives while a person waits, talks or has a message waiting for an answer, and is deleted when it
closes (only anonymous counts remain). Relayed messages wait in `relay`, encrypted, until sent. A supporter's
/mute holds a flooding person's messages back for a while; the person is told once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.store.base import StoreBase
from bot.store.connection import Rollback, seconds

_HANDOFF_FIELDS = frozenset(
    {
        "status",
        "group_chat",
        "thread",
        "card",
        "waiting",
        "supporter",
        "urgent",
        "warned",
        "taken_at",
        "last_person",
        "last_supporter",
    }
)


class WarmLine(StoreBase):
    """Handoffs, the relay queue, relayed update ids and supporters."""

    async def handoff_create(
        self, person: str, token: str, language: str, topic: str, path: Sequence[str], status: str, now: datetime
    ) -> int:
        """A new handoff for the person; returns its id."""
        done = await self._db.execute(
            "INSERT INTO handoffs (person, token, language, topic, path, status, created_at, "
            "last_person) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (person, token, language, topic, json.dumps(list(path)), status, seconds(now), seconds(now)),
        )
        return done.lastrowid

    async def handoff_update(self, handoff: int, **fields: Any) -> None:
        """Set some of a handoff's columns (names from _HANDOFF_FIELDS only); datetimes become seconds."""
        bad = set(fields) - _HANDOFF_FIELDS
        if bad or not fields:
            raise ValueError(f"not handoff columns: {sorted(bad)}")
        values = [seconds(v) if isinstance(v, datetime) else v for v in fields.values()]
        assignments = ", ".join(f"{name} = ?" for name in fields)  # names checked against our own set above
        await self._db.execute(f"UPDATE handoffs SET {assignments} WHERE id = ?", (*values, handoff))

    async def handoff_take(self, handoff: int, supporter: int, now: datetime) -> bool:
        """The claim: True for the first supporter to take a queued handoff, False for everyone after."""
        done = await self._db.execute(
            "UPDATE handoffs SET status = 'taken', supporter = ?, taken_at = ?, last_supporter = ?, "
            "warned = 0 WHERE id = ? AND status = 'queued'",
            (supporter, seconds(now), seconds(now), handoff),
        )
        return done.rowcount == 1

    async def handoffs(
        self, *, handoff: int | None = None, person: str | None = None, thread: tuple[int, int] | None = None
    ) -> list[dict[str, Any]]:
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

    async def relay_add(
        self,
        handoff: int,
        person: str,
        direction: str,
        message: dict[str, Any],
        *,
        update_id: int | None,
        now: datetime,
    ) -> int | None:
        """Queue one message to relay; None (nothing queued) when update_id was relayed already."""
        at = seconds(now)
        payload = self._seal(message)
        column = "last_supporter" if direction == "out" else "last_person"  # one of two fixed names

        def add(db: sqlite3.Connection) -> int:
            if update_id is not None:
                cursor = db.execute(
                    "INSERT INTO relayed_updates (update_id, person, at) VALUES (?, ?, ?) "
                    "ON CONFLICT (update_id) DO NOTHING",
                    (update_id, person, at),
                )
                if cursor.rowcount == 0:
                    raise Rollback
            db.execute(f"UPDATE handoffs SET {column} = ? WHERE id = ?", (at, handoff))
            cursor = db.execute(
                "INSERT INTO relay (handoff, person, direction, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                (handoff, person, direction, payload, at),
            )
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
        """The channel has these relayed messages: their text is deleted."""
        await self._db.executemany("DELETE FROM relay WHERE id = ?", [(i,) for i in row_ids])

    async def supporter_set(
        self, user_id: int, group_chat: int, *, alias: str | None = None, on_duty: bool | None = None
    ) -> None:
        """Record a supporter's alias or duty in a group (created on first use)."""

        def record(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO supporters (user_id, group_chat) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (user_id, group_chat),
            )
            if alias is not None:
                db.execute(
                    "UPDATE supporters SET alias = ? WHERE user_id = ? AND group_chat = ?", (alias, user_id, group_chat)
                )
            if on_duty is not None:
                db.execute(
                    "UPDATE supporters SET on_duty = ? WHERE user_id = ? AND group_chat = ?",
                    (int(on_duty), user_id, group_chat),
                )

        await self._db.transaction(record)

    async def supporters(self) -> list[tuple[int, int, str, bool]]:
        """(user id, group chat, alias, on duty) for every supporter known."""
        rows = await self._db.fetchall(
            "SELECT user_id, group_chat, alias, on_duty FROM supporters ORDER BY group_chat, user_id"
        )
        return [(int(u), int(g), str(a), bool(d)) for u, g, a, d in rows]

    async def purge_relayed(self, now: datetime, *, days: int = 2) -> int:
        """Forget relayed update ids older than `days` (Telegram redelivers for a day at most)."""
        done = await self._db.execute(
            "DELETE FROM relayed_updates WHERE at < ?", (seconds(now - timedelta(days=days)),)
        )
        return done.rowcount

    # -- mute and the long-wait offer ----------------------------------------------------------------------

    async def handoff_mute(self, handoff: int, until: datetime | None) -> None:
        """Hold the person's messages back until `until` (None: unmute); they will be told once again."""
        await self._db.execute(
            "UPDATE handoffs SET muted_until = ?, mute_told = 0 WHERE id = ?",
            (None if until is None else seconds(until), handoff),
        )

    async def handoff_mute_tell_once(self, handoff: int) -> bool:
        """True the first time it is asked during a mute: the caller tells the person, once."""
        done = await self._db.execute("UPDATE handoffs SET mute_told = 1 WHERE id = ? AND mute_told = 0", (handoff,))
        return done.rowcount == 1

    async def handoff_offered(self, handoff: int, at: datetime | None) -> None:
        """Record when a waiting person was offered choices after a long wait (None: the wait starts again)."""
        await self._db.execute(
            "UPDATE handoffs SET offered_at = ? WHERE id = ?", (None if at is None else seconds(at), handoff)
        )
