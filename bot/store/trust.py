"""The warm line's consent and once-only answers (bot.channels.telegram.warmline, bot.warmline.permissions).

- `held`: a person's contact, location or document waits here (encrypted) until they confirm what the
  supporter will see; deleted when they answer, when the handoff closes, or after a day.
- `asked`: each "did this help?" has a random token; an answer counts only while its token is here, and
  taking it out is the count, so a tap replayed or crafted counts nothing.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
from datetime import datetime, timedelta
from typing import Any

from bot.store.base import StoreBase
from bot.store.connection import seconds

KEEP_DAYS = 1  # a held message or an unanswered question is forgotten after this
TOKEN_LETTERS = 12  # about 56 bits; letters only, so a token never looks like an id or a number


class WarmTrust(StoreBase):
    """Held messages awaiting the person's yes, and the tokens of "did this help?"."""

    async def held_add(self, handoff: int, person: str, message: dict[str, Any], now: datetime) -> int:
        """Keep a message the person must confirm before it is relayed; returns its id."""
        done = await self._db.execute(
            "INSERT INTO held (handoff, person, payload, created_at) VALUES (?, ?, ?, ?)",
            (handoff, person, self._seal(message), seconds(now)),
        )
        return int(done.lastrowid or 0)

    async def held_take(self, held: int, person: str) -> tuple[int, dict[str, Any]] | None:
        """The held message (handoff id, message), removed; None when it is gone or not the person's."""

        def take(db: sqlite3.Connection) -> tuple[int, bytes] | None:
            row = db.execute("SELECT handoff, payload FROM held WHERE id = ? AND person = ?", (held, person)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM held WHERE id = ?", (held,))
            return int(row[0]), bytes(row[1])

        found = await self._db.transaction(take)
        if found is None:
            return None
        plain = self._decrypt(found[1], "held message")
        return None if plain is None else (found[0], json.loads(plain))

    async def held_drop(self, handoff: int) -> None:
        """The handoff closed: whatever it held goes unrelayed."""
        await self._db.execute("DELETE FROM held WHERE handoff = ?", (handoff,))

    async def asked_add(self, person: str, now: datetime) -> str:
        """A new "did this help?" for the person; returns its token (for the buttons' callback data)."""
        token = "".join(secrets.choice(string.ascii_lowercase) for _ in range(TOKEN_LETTERS))
        await self._db.execute(
            "INSERT INTO asked (token, person, created_at) VALUES (?, ?, ?)", (token, person, seconds(now))
        )
        return token

    async def asked_answer(self, token: str, person: str) -> bool:
        """True once per token (and only for its person): the answer counts; False ever after."""
        done = await self._db.execute("DELETE FROM asked WHERE token = ? AND person = ?", (token, person))
        return done.rowcount == 1

    async def topic_known(self, group_chat: int, thread: int) -> bool:
        """Whether a forum topic is (or was) a person's warm-line topic (person_topics), live or not."""
        rows = await self._db.fetchall(
            "SELECT 1 FROM person_topics WHERE group_chat = ? AND thread = ? LIMIT 1", (group_chat, thread)
        )
        return bool(rows)

    async def trust_purge(self, now: datetime) -> None:
        """Forget held messages and unanswered questions older than KEEP_DAYS."""
        before = seconds(now - timedelta(days=KEEP_DAYS))

        def purge(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM held WHERE created_at < ?", (before,))
            db.execute("DELETE FROM asked WHERE created_at < ?", (before,))

        await self._db.transaction(purge)
