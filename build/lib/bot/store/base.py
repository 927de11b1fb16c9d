"""What every group of store methods shares: the connection, the keys, and sealing values at rest."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.store.connection import Connection
from bot.store.keys import InvalidToken, Keys

log = logging.getLogger("bot.store")

# The person's message id, kept for /forget (ours or theirs); a second copy of the same id is a no-op.
REMEMBER_SENT = "INSERT INTO sent_messages (person, message_id, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"


class StoreBase:
    """The connection and keys one Store holds; the method groups (sessions, privacy, ...) build on it."""

    def __init__(self, db: Connection, keys: Keys) -> None:
        """Use Store.open; this only wires up an already prepared connection."""
        self._db = db
        self._keys = keys

    def _seal(self, value: Any) -> bytes:
        """value as compact JSON, encrypted (Fernet)."""
        return self._keys.encrypt(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

    def _decrypt(self, token: bytes, what: str) -> bytes | None:
        """The plain bytes, or None (logged, without the value) when the token cannot be read."""
        try:
            return self._keys.decrypt(token)
        except InvalidToken:
            # Damaged, or written under another secret: the person starts afresh rather than meeting an error.
            log.warning("a stored %s could not be decrypted; treating it as absent", what)
            return None
