"""The warm line's person side in the store: a request recorded before it is promised, and each person's topic,
kept so that coming back (after End, a Release, a silent supporter) reuses it: the same alias, the history in
view of whoever takes them next. /forget deletes the row (PERSON_TABLES); it also goes HANDOFF_RETENTION_DAYS
after the last conversation in it ended.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.connection import seconds
from bot.store.staffoutbox import StaffNew, StaffOutbox, StaffRow, next_ord


@dataclass(frozen=True, slots=True)
class PersonTopic:
    """The forum topic a person's conversations happen in, and the token their alias ("Guest 4F2") comes from."""

    group_chat: int
    thread: int
    token: str


class PersonTopics(StaffOutbox):
    """Requests keyed by the update that asked, the person's one topic, and a message left in parts."""

    async def handoff_request(
        self,
        person: str,
        token: str,
        language: str,
        topic: str,
        path: Sequence[str],
        request: str | None,
        now: datetime,
        *,
        channel: str = "telegram",
        status: str = "asking",
    ) -> int:
        """A request ("asking": recorded, not yet decided; or "leaving", a message being written) made by the
        update `request` from a person on `channel`; returns its id."""
        at = seconds(now)
        done = await self._db.execute(
            "INSERT INTO handoffs (person, token, language, topic, path, status, created_at, last_person, request, "
            "channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (person, token, language, topic, json.dumps(list(path)), status, at, at, request, channel),
        )
        return int(done.lastrowid or 0)

    async def handoff_status(self, handoff: int, status: str, *, was: str) -> bool:
        """Move a handoff from `was` to `status`; False (nothing changed) when it was not in `was`."""
        done = await self._db.execute(
            "UPDATE handoffs SET status = ? WHERE id = ? AND status = ?", (status, handoff, was)
        )
        return done.rowcount == 1

    async def handoff_adopt(self, left: int, asking: int) -> bool:
        """A person who left a message asks for a person: the message's handoff becomes the request (its topic,
        its alias, what still waits to be posted there), in line from now; the new request's row goes. False
        when either is gone or no longer what it was."""

        def adopt(db: sqlite3.Connection) -> bool:
            found = db.execute(
                "SELECT request, created_at FROM handoffs WHERE id = ? AND status = 'asking'", (asking,)
            ).fetchone()
            if found is None:
                return False
            moved = db.execute(
                "UPDATE handoffs SET status = 'queued', request = ?, created_at = ?, last_person = ?, card = NULL "
                "WHERE id = ? AND status = 'left'",
                (found[0], found[1], found[1], left),
            ).rowcount
            if not moved:
                return False
            db.execute("DELETE FROM handoffs WHERE id = ?", (asking,))
            return True

        return bool(await self._db.transaction(adopt))

    async def relay_post_parts(
        self, handoff: int, person: str, items: Sequence[StaffNew], now: datetime
    ) -> list[StaffRow]:
        """A message left in parts is done: its parts go, and `items` (the joined texts, then the copies) wait in
        the staff outbox instead, in one transaction, so a crash posts them once. Returns the rows queued."""
        at = seconds(now)

        def post(db: sqlite3.Connection) -> list[StaffRow]:
            db.execute("DELETE FROM relay WHERE handoff = ? AND direction = 'part'", (handoff,))
            order = next_ord(db)
            return [self._insert(db, item, at, person=person, order=order + n) for n, item in enumerate(items)]

        return await self._db.transaction(post) or []

    async def person_topic(self, person: str) -> PersonTopic | None:
        """The person's topic, if they have had one."""
        rows = await self._db.fetchall(
            "SELECT group_chat, thread, token FROM person_topics WHERE person = ?", (person,)
        )
        return PersonTopic(int(rows[0][0]), int(rows[0][1]), str(rows[0][2])) if rows else None

    async def person_topic_set(self, person: str, topic: PersonTopic | None, *, ended: datetime | None = None) -> None:
        """Remember the person's topic (ended: its conversation ended then), or forget it (None: it is gone)."""
        if topic is None:
            await self._db.execute("DELETE FROM person_topics WHERE person = ?", (person,))
            return
        await self._db.execute(
            "INSERT INTO person_topics (person, group_chat, thread, token, ended_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (person) DO UPDATE SET group_chat = excluded.group_chat, thread = excluded.thread, "
            "token = excluded.token, ended_at = excluded.ended_at",
            (person, topic.group_chat, topic.thread, topic.token, None if ended is None else seconds(ended)),
        )

    async def person_topics_purge(self, before: datetime) -> int:
        """Forget topics whose last conversation ended before `before` (retention)."""
        done = await self._db.execute(
            "DELETE FROM person_topics WHERE ended_at IS NOT NULL AND ended_at < ?", (seconds(before),)
        )
        return done.rowcount
