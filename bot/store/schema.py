"""The schema and its migrations, and how every connection to the file is configured.

Changing the schema (e.g. a new table) is one appended string, plus one name if it holds people:

    MIGRATIONS = (..., "CREATE TABLE handoffs (person TEXT NOT NULL, ...);")   # becomes version N+1
    PERSON_TABLES = ("handoffs", ...)   # forget() deletes its rows; a test fails if one is missing

Never edit a script that has shipped: databases in the field have already run it.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bot.store.connection import StoreError

DB_FILE = "navigator.sqlite3"
BUSY_TIMEOUT_MS = 5000  # how long a call waits for a lock another process (the CLI) holds, off the event loop

# The schema, one script per version: PRAGMA user_version counts the scripts applied. To change the schema,
# APPEND one script (never edit or reorder a shipped one): opening an older database then runs the new
# scripts in order, each in one transaction with its user_version bump, so a failed script changes nothing.
# A table that holds anything about a person needs a `person` column and a line in PERSON_TABLES.
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
    # 3: privacy (bot/channels/telegram/erase.py): a person's "erase each exchange after N hours";
    #    neutral lines due to vanish
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
    # 4: the warm line (bot.channels.telegram.warmline): handoffs, messages waiting to be relayed, relayed
    #    updates, supporters
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
    # +1: the staff outbox (bot.channels.telegram.relay): everything bound for a warm-line group (topics, cards,
    #     card edits, notes, the person's relayed words, closing a topic) waits here until Telegram has it
    """
    CREATE TABLE staff_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_chat INTEGER NOT NULL,
        handoff INTEGER,                 -- the conversation it belongs to; NULL: General
        person TEXT,                     -- only on the person's own relayed words, so /forget deletes them
        kind TEXT NOT NULL,              -- topic, card, note, relay, edit, markup, rename, close, delete
        urgent INTEGER NOT NULL DEFAULT 0,
        ord REAL NOT NULL,               -- send order (a re-opened topic goes before what waits for it)
        thread INTEGER,                  -- NULL while the conversation's topic is not created yet
        target INTEGER,                  -- the message an edit changes; NULL: the card, once it is posted
        payload BLOB NOT NULL,           -- Fernet(JSON: text, buttons, name, or from_chat + message_id)
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX staff_outbox_group ON staff_outbox (group_chat, ord);
    CREATE INDEX staff_outbox_handoff ON staff_outbox (handoff);
    CREATE INDEX staff_outbox_person ON staff_outbox (person);
    """,
    # the warm line's person side (bot/store/persontopics.py): the update that asked for a person, so a request
    # is recorded before "I'm asking the team" is saved and is never made twice; and each person's one topic,
    # so coming back reuses it (the same alias, the history in view).
    """
    ALTER TABLE handoffs ADD COLUMN request TEXT;  -- "telegram:9001": the update that asked
    ALTER TABLE handoffs ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';  -- where the person is ("web")

    CREATE TABLE person_topics (
        person TEXT PRIMARY KEY,
        group_chat INTEGER NOT NULL,
        thread INTEGER NOT NULL,         -- the forum topic's message_thread_id
        token TEXT NOT NULL,             -- the alias's token ("Guest 4F2"), never the person key
        ended_at INTEGER                 -- when its last conversation ended; NULL while one is live
    ) WITHOUT ROWID;
    """,
    # the warm line's consent and once-only answers (bot/store/trust.py): a contact, location or document held
    # until the person confirms what the supporter will see; the token of each "did this help?" asked
    """
    CREATE TABLE held (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        handoff INTEGER NOT NULL,
        person TEXT NOT NULL,
        payload BLOB NOT NULL,           -- Fernet(JSON: the message to relay once the person says yes)
        created_at INTEGER NOT NULL
    );
    CREATE INDEX held_person ON held (person);
    CREATE INDEX held_handoff ON held (handoff);

    CREATE TABLE asked (
        token TEXT PRIMARY KEY,          -- random, in the buttons' callback data; deleted by the one answer
        person TEXT NOT NULL,
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX asked_person ON asked (person);
    """,
    # +1 (bot/store/console.py): forget on both sides and the supporters' console. An ended conversation's topic
    # waits here to be deleted from the group after HANDOFF_RETENTION_DAYS (person NULL: the person used
    # /forget, delete it now); the wrap-up buttons after End (anonymous counts only); when a supporter first
    # wrote, for the median time to first reply.
    """
    CREATE TABLE ended_topics (
        id INTEGER PRIMARY KEY,
        person TEXT,                     -- so /forget finds it; NULL once forgotten (then due at once)
        group_chat INTEGER NOT NULL,
        thread INTEGER NOT NULL,         -- the forum topic's message_thread_id
        ended_at INTEGER NOT NULL
    );
    CREATE INDEX ended_topics_person ON ended_topics (person);

    CREATE TABLE wrapups (
        id INTEGER PRIMARY KEY,
        group_chat INTEGER NOT NULL,
        supporter INTEGER NOT NULL,      -- staff data: who ended it answers the wrap-up
        step TEXT NOT NULL,              -- 'outcome', then 'followup', then 'done'
        created_at INTEGER NOT NULL
    );

    ALTER TABLE handoffs ADD COLUMN first_reply INTEGER;  -- the supporter's first message after Take, at
    """,
)

# Every table with a `person` column, in the order forget() deletes from it (children before parents, unless a
# foreign key cascades). tests/test_store.py fails if a table with a `person` column is missing here.
PERSON_TABLES: tuple[str, ...] = (
    "held",
    "asked",
    "staff_outbox",
    "relay",
    "relayed_updates",
    "person_topics",
    "handoffs",
    "outbox",
    "sent_messages",
    "handled_updates",
    "sessions",
    "quiet_erase",
    "legacy_people",
    "ended_topics",
)


def prepare(db: sqlite3.Connection, path: Path) -> None:
    """Configure a fresh connection, then bring the schema up to date."""
    configure(db, path)
    migrate(db, path, MIGRATIONS)


def configure(db: sqlite3.Connection, path: Path) -> None:
    """WAL mode and the pragmas every connection of the store uses."""
    (mode,) = wal(db)
    if mode != "wal":
        raise StoreError(
            f"{path}: SQLite could not switch to WAL mode (it says {mode!r}); put BOT_DATA_DIR on a local disk."
        )
    # NORMAL, not FULL: in WAL mode a commit is written to the -wal file before COMMIT returns, so it survives
    # the process being killed; only a power cut or kernel crash can lose the last few commits, and never
    # leaves a half-written one. FULL would fsync on every message for that small gain (a reply sent twice or
    # a person stepping back one screen after a power cut).
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # wait for a CLI reader/writer, not fail
    db.execute("PRAGMA secure_delete = ON")  # deleted rows are zeroed, not just unlinked (see forget)
    db.execute("PRAGMA temp_store = MEMORY")  # sorts and temp tables never spill to a file on disk
    # Up to 32 MB of pages kept (the default is 2 MB): with 10,000 people the whole file (~20 MB) stays in
    # memory, instead of every turn reading some of its pages back from the OS (~40 µs a turn, measured).
    db.execute("PRAGMA cache_size = -32000")


def wal(db: sqlite3.Connection) -> tuple[str]:
    """Switch to WAL mode. Two processes opening a new file at once race for it, and SQLite answers "database is
    locked" at once instead of calling the busy handler, so the switch is tried again for BUSY_TIMEOUT_MS."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            row: tuple[str] = db.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # on aiosqlite's thread, before the connection is handed to anyone
            continue
        return row


def migrate(db: sqlite3.Connection, path: Path, migrations: tuple[str, ...] = MIGRATIONS) -> int:
    """Bring the database up to len(migrations), one transaction per script; returns the final version.

    db is a plain sqlite3 connection with isolation_level=None. A database newer than the code raises
    StoreError naming the file and what to do.
    """
    version = user_version(db)
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
            db.executescript(f"BEGIN IMMEDIATE;\n{migrations[number - 1]};\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if user_version(db) >= number:
                version = user_version(db)  # another process (a CLI started alongside) migrated first
                continue
            raise StoreError(f"{path}: migration {number} failed and was rolled back: {exc}") from exc
        version = number
    return version


def user_version(db: sqlite3.Connection) -> int:
    """The number of migration scripts the file has run."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(version)
