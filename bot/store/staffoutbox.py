"""The staff outbox's table (bot.channels.telegram.relay): everything bound for a warm-line group, in order.

A row is written in one trip when the bot decides to send (topic, card, note, the person's words...), and deleted
in the same transaction that records what Telegram answered (the topic's thread id, the card's message id), so
a restart sends exactly what had not been acknowledged. Payloads are encrypted as the relay table's are; only the
person's own relayed words carry their person key (/forget deletes those; the bot's own notes still go).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.base import StoreBase
from bot.store.connection import Rollback, seconds

KINDS = frozenset({"topic", "card", "note", "relay", "edit", "markup", "rename", "close", "delete"})
EDITS = ("edit", "markup")  # kinds that change the card, once its message id is known


@dataclass(frozen=True, slots=True)
class StaffRow:
    """One message waiting for a warm-line group."""

    id: int
    group: int
    handoff: int | None
    kind: str
    urgent: bool
    ord: float
    thread: int | None
    target: int | None
    payload: dict[str, Any]
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class StaffNew:
    """A row to add: `thread` None waits for the conversation's topic; `target` None means the card."""

    group: int
    kind: str
    payload: dict[str, Any]
    handoff: int | None = None
    thread: int | None = None
    target: int | None = None
    urgent: bool = False


_COLUMNS = "id, group_chat, handoff, kind, urgent, ord, thread, target, payload, attempts"
_INSERT = (
    "INSERT INTO staff_outbox (group_chat, handoff, person, kind, urgent, ord, thread, target, payload, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def next_ord(db: sqlite3.Connection) -> float:
    (top,) = db.execute("SELECT COALESCE(MAX(ord), 0) FROM staff_outbox").fetchone()
    return float(top) + 1.0


class StaffOutbox(StoreBase):
    """Rows waiting for a warm-line group: add, list, acknowledge, retry, re-open a lost topic."""

    def _row(self, raw: Sequence[Any]) -> StaffRow | None:
        row_id, group, handoff, kind, urgent, order, thread, target, token, attempts = raw
        plain = self._decrypt(token, "message for the supporters' group")
        if plain is None:
            return None
        return StaffRow(
            int(row_id), int(group), handoff, str(kind), bool(urgent), float(order), thread, target,
            json.loads(plain), int(attempts),
        )  # fmt: skip

    def _insert(self, db: sqlite3.Connection, item: StaffNew, at: int, *, person: str | None, order: float) -> StaffRow:
        if item.kind not in KINDS:
            raise ValueError(f"not a staff outbox kind: {item.kind!r}")
        cursor = db.execute(
            _INSERT,
            (item.group, item.handoff, person, item.kind, int(item.urgent), order, item.thread, item.target,
             self._seal(item.payload), at),
        )  # fmt: skip
        return StaffRow(
            int(cursor.lastrowid or 0), item.group, item.handoff, item.kind, item.urgent, order, item.thread,
            item.target, item.payload,
        )  # fmt: skip

    async def staff_add(self, items: Sequence[StaffNew], *, now: datetime, replace: bool = False) -> list[StaffRow]:
        """Queue rows in order, in one transaction. `replace`: a pending edit of the same kind for the same
        conversation is dropped first (only the card's newest state matters)."""
        at = seconds(now)

        def add(db: sqlite3.Connection) -> list[StaffRow]:
            if replace:
                for item in items:
                    db.execute(
                        "DELETE FROM staff_outbox WHERE handoff IS ? AND group_chat = ? AND kind = ? AND attempts = 0",
                        (item.handoff, item.group, item.kind),
                    )
            order = next_ord(db)
            return [self._insert(db, item, at, person=None, order=order + n) for n, item in enumerate(items)]

        return await self._db.transaction(add) or []

    async def staff_relay(
        self, item: StaffNew, person: str, *, update_id: int | None, now: datetime
    ) -> StaffRow | None:
        """Queue the person's message for their topic, once per update (None: this update was relayed already);
        the handoff's last_person moves in the same step."""
        at = seconds(now)

        def add(db: sqlite3.Connection) -> StaffRow:
            if update_id is not None:
                cursor = db.execute(
                    "INSERT INTO relayed_updates (update_id, person, at) VALUES (?, ?, ?) "
                    "ON CONFLICT (update_id) DO NOTHING",
                    (update_id, person, at),
                )
                if cursor.rowcount == 0:
                    raise Rollback
            db.execute("UPDATE handoffs SET last_person = ? WHERE id = ?", (at, item.handoff))
            return self._insert(db, item, at, person=person, order=next_ord(db))

        return await self._db.transaction(add)

    async def staff_rows(self, ids: Sequence[int] | None = None) -> list[StaffRow]:
        """Rows waiting (all, or these ids), in send order; a row that cannot be decrypted is left out."""
        if ids is None:
            raw = await self._db.fetchall(f"SELECT {_COLUMNS} FROM staff_outbox ORDER BY ord")
        else:
            marks = ", ".join("?" for _ in ids)
            raw = await self._db.fetchall(
                f"SELECT {_COLUMNS} FROM staff_outbox WHERE id IN ({marks}) ORDER BY ord", tuple(ids)
            )
        return [row for row in (self._row(r) for r in raw) if row is not None]

    async def staff_done(
        self, ids: Sequence[int], *, handoff: int | None = None, thread: int | None = None, card: int | None = None
    ) -> bool:
        """Telegram has these rows: delete them and, in the same transaction, record what it answered (a new
        topic's thread for the handoff and every row waiting for it; the card's message id). False when the
        handoff is gone (closed meanwhile)."""

        def done(db: sqlite3.Connection) -> bool:
            db.executemany("DELETE FROM staff_outbox WHERE id = ?", [(i,) for i in ids])
            if handoff is None:
                return True
            if thread is not None:
                db.execute("UPDATE staff_outbox SET thread = ? WHERE handoff = ? AND thread IS NULL", (thread, handoff))
                live = db.execute("UPDATE handoffs SET thread = ? WHERE id = ?", (thread, handoff)).rowcount
                return bool(live)
            if card is not None:
                db.execute(
                    "UPDATE staff_outbox SET target = ? WHERE handoff = ? AND target IS NULL AND kind IN (?, ?)",
                    (card, handoff, *EDITS),
                )
                return bool(db.execute("UPDATE handoffs SET card = ? WHERE id = ?", (card, handoff)).rowcount)
            return True

        return bool(await self._db.transaction(done))

    async def staff_retry(self, ids: Sequence[int]) -> None:
        """One more failed attempt for these rows (kept, to be sent again)."""
        await self._db.executemany("UPDATE staff_outbox SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in ids])

    async def staff_urgent(self, handoff: int) -> None:
        """Danger words: everything the conversation has waiting goes before other conversations."""
        await self._db.execute("UPDATE staff_outbox SET urgent = 1 WHERE handoff = ?", (handoff,))

    async def staff_drop(self, handoff: int, *, only: str | None = None) -> None:
        """Nothing more of this conversation goes (it closed before its topic existed), or none of its rows of
        kind `only` (the person's words, after /forget)."""
        if only is None:
            await self._db.execute("DELETE FROM staff_outbox WHERE handoff = ?", (handoff,))
        else:
            await self._db.execute("DELETE FROM staff_outbox WHERE handoff = ? AND kind = ?", (handoff, only))

    async def staff_reopen(self, handoff: int, items: Sequence[StaffNew], *, now: datetime) -> list[StaffRow]:
        """The conversation's topic is gone: its waiting rows wait for a new one, and `items` (the new topic,
        its card, a note) go before them, in one transaction."""
        at = seconds(now)

        def reopen(db: sqlite3.Connection) -> list[StaffRow]:
            db.execute("UPDATE handoffs SET thread = NULL, card = NULL WHERE id = ?", (handoff,))
            db.execute(
                "UPDATE staff_outbox SET thread = NULL, target = CASE WHEN kind IN (?, ?) THEN NULL ELSE target END "
                "WHERE handoff = ?",
                (*EDITS, handoff),
            )
            (low,) = db.execute("SELECT MIN(ord) FROM staff_outbox WHERE handoff = ?", (handoff,)).fetchone()
            start = (float(low) if low is not None else next_ord(db)) - 1.0
            step = 1.0 / (len(items) + 1)
            return [self._insert(db, item, at, person=None, order=start + n * step) for n, item in enumerate(items)]

        return await self._db.transaction(reopen) or []
