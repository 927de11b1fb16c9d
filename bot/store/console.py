"""The warm line's forgetting and the supporters' console (bot.channels.telegram.console): ended topics waiting to
be deleted from the group, the wrap-up after End, and when a supporter first wrote.

An ended topic is kept with the person's key so /forget can find it; `ended_topics_forgotten` drops the key and
makes it due at once, so the delete survives a restart or a Telegram outage with nothing left that points to the
person. Wrap-ups hold no person at all: a group, the supporter who ended it and how far they answered.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.base import StoreBase
from bot.store.connection import seconds


@dataclass(frozen=True, slots=True)
class EndedTopic:
    """A warm-line topic whose conversation ended, waiting to be deleted from the supporters' group."""

    id: int
    group_chat: int
    thread: int
    ended_at: int  # UTC seconds
    forgotten: bool  # the person used /forget: due now


@dataclass(frozen=True, slots=True)
class Wrapup:
    """The wrap-up buttons after End: which group, who answers, and the step reached."""

    id: int
    group_chat: int
    supporter: int
    step: str


class Console(StoreBase):
    """Ended topics, wrap-ups and the first reply."""

    async def ended_topic_add(self, person: str | None, group_chat: int, thread: int, now: datetime) -> int:
        """Remember an ended conversation's topic for deleting later (person None: delete it at once). A topic
        that ended before (a person came back to it) counts from its latest end."""

        def add(db: sqlite3.Connection) -> int:
            db.execute("DELETE FROM ended_topics WHERE group_chat = ? AND thread = ?", (group_chat, thread))
            cursor = db.execute(
                "INSERT INTO ended_topics (person, group_chat, thread, ended_at) VALUES (?, ?, ?, ?)",
                (person, group_chat, thread, seconds(now)),
            )
            return int(cursor.lastrowid or 0)

        return (await self._db.transaction(add)) or 0

    async def ended_topics_forgotten(self, person: str) -> int:
        """The person used /forget: their ended topics lose the person key and are due at once."""
        done = await self._db.execute("UPDATE ended_topics SET person = NULL WHERE person = ?", (person,))
        return done.rowcount

    async def ended_topics(self) -> list[EndedTopic]:
        """Every ended topic still in the group, oldest first."""
        rows = await self._db.fetchall(
            "SELECT id, group_chat, thread, ended_at, person IS NULL FROM ended_topics ORDER BY ended_at, id"
        )
        return [EndedTopic(int(i), int(g), int(t), int(e), bool(f)) for i, g, t, e, f in rows]

    async def ended_topic_drop(self, *ids: int) -> None:
        """These topics are deleted from the group (or gone already): forget them."""
        await self._db.executemany("DELETE FROM ended_topics WHERE id = ?", [(i,) for i in ids])

    async def wrapup_add(self, group_chat: int, supporter: int, now: datetime) -> int:
        """A wrap-up for the supporter who ended a conversation; returns its id (in the buttons' data)."""
        done = await self._db.execute(
            "INSERT INTO wrapups (group_chat, supporter, step, created_at) VALUES (?, ?, 'outcome', ?)",
            (group_chat, supporter, seconds(now)),
        )
        return done.lastrowid

    async def wrapup(self, wrapup: int) -> Wrapup | None:
        rows = await self._db.fetchall("SELECT id, group_chat, supporter, step FROM wrapups WHERE id = ?", (wrapup,))
        return next((Wrapup(int(i), int(g), int(s), str(t)) for i, g, s, t in rows), None)

    async def wrapup_step(self, wrapup: int, step: str, to: str) -> bool:
        """Move a wrap-up from `step` to `to`; True only for the first tap (a second one counts nothing)."""
        done = await self._db.execute("UPDATE wrapups SET step = ? WHERE id = ? AND step = ?", (to, wrapup, step))
        return done.rowcount == 1

    async def wrapups_purge(self, now: datetime, *, hours: int = 24) -> int:
        """Wrap-ups finished, or left unanswered past `hours`, go."""
        done = await self._db.execute(
            "DELETE FROM wrapups WHERE step = 'done' OR created_at < ?", (seconds(now - timedelta(hours=hours)),)
        )
        return done.rowcount

    async def handoff_first_reply(self, handoff: int, now: datetime) -> bool:
        """Record the supporter's first message of a taken conversation; True only the first time."""
        done = await self._db.execute(
            "UPDATE handoffs SET first_reply = ? WHERE id = ? AND status = 'taken' AND first_reply IS NULL",
            (seconds(now), handoff),
        )
        return done.rowcount == 1
