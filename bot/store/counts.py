"""Anonymous daily counts, and retention: what expires, and when."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta

from bot.store.base import StoreBase
from bot.store.connection import checkpoint, in_transaction, seconds

# A counter name is a vocabulary key ("door:work", "search_no_match:shelter"), never a person's words.
_COUNTER_NAME = re.compile(r"[a-z0-9_]{1,40}(:[a-z0-9_.-]{1,40})?")


class Counts(StoreBase):
    """count, counts and purge."""

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

    async def purge(self, now: datetime, *, session_days: int = 30, handled_days: int = 2, sent_hours: int = 48) -> int:
        """Delete sessions idle past session_days, handled update ids older than handled_days and message ids
        older than sent_hours (Telegram no longer lets a bot delete them); returns how many rows went.
        """
        deadlines = (
            ("DELETE FROM sessions WHERE last_seen < ?", now - timedelta(days=session_days)),
            ("DELETE FROM handled_updates WHERE handled_at < ?", now - timedelta(days=handled_days)),
            ("DELETE FROM sent_messages WHERE sent_at < ?", now - timedelta(hours=sent_hours)),
        )

        def delete(db: sqlite3.Connection) -> int:
            gone = sum(db.execute(sql, (seconds(deadline),)).rowcount for sql, deadline in deadlines)
            # people keyed the old way whose sessions expired before they came back: nothing left to adopt
            return (
                gone
                + db.execute(
                    "DELETE FROM legacy_people WHERE person NOT IN "
                    "(SELECT person FROM sessions UNION SELECT person FROM handoffs)"
                ).rowcount
            )

        def purge(db: sqlite3.Connection) -> int:
            gone = in_transaction(db, body=delete) or 0
            if gone:
                checkpoint(db)  # as in forget: expired rows leave no copy in the -wal file
            return gone

        return await self._db.run(purge)
