"""bot.store.database on a real SQLite file in a temporary data dir."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import stat
import sys
import textwrap
import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.types import Session
from bot.store.database import DB_FILE, MIGRATIONS, PERSON_TABLES, Store, StoreError, migrate
from bot.store.keys import SECRET_FILE, SecretKeyError

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
USER_ID = 7012345678
WORDS = "my boss took my passport at the farm in Brooks"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path) as opened:
        yield opened


def a_session(**changes: Any) -> dict[str, Any]:
    session = Session(version="v1", node="work.passport", language="en", path=("work",))
    return session.with_(**changes).to_dict()


def raw(data_dir: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to the store's file, to look at what is really on disk (a file it creates
    gets the store's own mode, 0600, so the store accepts it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.close(os.open(data_dir / DB_FILE, os.O_WRONLY | os.O_CREAT, 0o600))
    return sqlite3.connect(data_dir / DB_FILE)


def user_version(data_dir: Path) -> int:
    with raw(data_dir) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


# -- opening and migrating -------------------------------------------------------------------------------


async def test_open_creates_the_schema_in_wal_mode_with_a_private_file(store: Store, tmp_path: Path) -> None:
    """A first open creates the file (mode 0600) at the latest schema version, in WAL mode."""
    assert user_version(tmp_path) == len(MIGRATIONS)
    assert stat.S_IMODE((tmp_path / DB_FILE).stat().st_mode) == 0o600
    with raw(tmp_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("start", range(len(MIGRATIONS)))
async def test_open_migrates_an_older_database(tmp_path: Path, start: int) -> None:
    """A database left at an older user_version is brought up to date on open, and then works."""
    with raw(tmp_path) as db:
        for script in MIGRATIONS[:start]:
            db.executescript(script)
        db.execute(f"PRAGMA user_version = {start}")
    async with await Store.open(tmp_path) as store:
        assert await store.save_turn("p", a_session(), update_id=1, now=NOW)
    assert user_version(tmp_path) == len(MIGRATIONS)


async def test_an_appended_migration_runs_once_and_keeps_the_data(tmp_path: Path) -> None:
    """Appending one script to the migrations upgrades an existing database in place, and only once."""
    async with await Store.open(tmp_path) as store:
        await store.save_turn("p", a_session(), now=NOW)
    later = (*MIGRATIONS, "CREATE TABLE later_example (person TEXT NOT NULL, topic INTEGER);")
    with contextlib.closing(sqlite3.connect(tmp_path / DB_FILE, isolation_level=None)) as db:
        assert migrate(db, tmp_path / DB_FILE, later) == len(later)
        assert migrate(db, tmp_path / DB_FILE, later) == len(later)
    assert user_version(tmp_path) == len(later)
    with raw(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    """A migration script that fails half-way is rolled back whole, version and all, with a clear error."""
    async with await Store.open(tmp_path):
        pass
    broken = (*MIGRATIONS, "CREATE TABLE half (a); CREATE TABLE sessions (oops);")
    failed = pytest.raises(StoreError, match=rf"migration {len(broken)} failed and was rolled back")
    with contextlib.closing(sqlite3.connect(tmp_path / DB_FILE, isolation_level=None)) as db, failed:
        migrate(db, tmp_path / DB_FILE, broken)
    assert user_version(tmp_path) == len(MIGRATIONS)
    with raw(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0


async def test_two_stores_opening_a_new_database_at_once_both_work(tmp_path: Path) -> None:
    """When two connections race to create the schema, one migrates and the other simply uses the result."""
    for attempt in range(5):
        data_dir = tmp_path / str(attempt)
        first, second = await asyncio.gather(Store.open(data_dir), Store.open(data_dir))
        async with first, second:
            assert await first.save_turn("p", a_session(), update_id=1, now=NOW)
            assert not await second.save_turn("p", a_session(), update_id=1, now=NOW)
        assert user_version(data_dir) == len(MIGRATIONS)


async def test_no_statement_runs_on_the_event_loop_thread(store: Store) -> None:
    """Every SQL statement of every kind of store call runs on aiosqlite's thread, never the event loop's."""
    threads: set[int] = set()
    await store._db.run(lambda db: db.set_trace_callback(lambda _sql: threads.add(threading.get_ident())))
    person = store.person_key(USER_ID)
    await store.save_turn(person, a_session(), update_id=1, chat_id=USER_ID, now=NOW, outbox=[{"text": "hi"}])
    await store.load_session(person, remember=(5, NOW))
    await store.outbox_delivered(None, person, 6, NOW)
    await store.count("door:work", now=NOW)
    await store.purge(NOW)
    await store.forget(person)
    assert threads
    assert threading.get_ident() not in threads


async def test_calls_sharing_a_trip_succeed_or_fail_alone_and_in_order(store: Store) -> None:
    """Calls made at once ride one trip to aiosqlite's thread, yet each is its own transaction: a failing one
    raises only to its caller, and the others land, in the order they were made."""
    people = [store.person_key(i) for i in range(5)]
    broken = store._db.run(lambda db: db.execute("SELECT * FROM no_such_table"))
    results = await asyncio.gather(
        *(store.save_turn(p, a_session(node=f"n.{i}"), update_id=i, now=NOW) for i, p in enumerate(people)),
        broken,
        store.save_turn(people[0], a_session(node="n.last"), update_id=99, now=NOW),
        return_exceptions=True,
    )
    assert results[:5] == [True] * 5
    assert isinstance(results[5], sqlite3.OperationalError)
    assert results[6] is True
    assert (await store.load_session(people[0]) or {})["node"] == "n.last"


async def test_closing_lets_the_calls_already_made_finish(tmp_path: Path) -> None:
    """close() while calls are waiting for their trip runs them first; only calls after it are refused."""
    store = await Store.open(tmp_path)
    person = store.person_key(USER_ID)
    saving = [asyncio.ensure_future(store.save_turn(person, a_session(), update_id=i, now=NOW)) for i in range(20)]
    await asyncio.sleep(0)
    await store.close()
    assert all(await asyncio.gather(*saving))
    with pytest.raises(StoreError, match="closed"):
        await store.load_session(person)


async def test_a_write_waits_for_another_process_lock_without_blocking_the_loop(store: Store, tmp_path: Path) -> None:
    """While another connection holds the write lock, a turn waits for it off the event loop, then is saved."""
    with contextlib.closing(sqlite3.connect(tmp_path / DB_FILE, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        saving = asyncio.create_task(store.save_turn("p", a_session(), update_id=1, now=NOW))
        await asyncio.sleep(0.2)  # the loop keeps running meanwhile
        assert not saving.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(saving, 5)
    assert await store.load_session("p") == a_session()
    assert not await store.save_turn("p", a_session(), update_id=1, now=NOW)


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    """A database written by a newer bot stops the start with a message naming the file and what to do."""
    async with await Store.open(tmp_path):
        pass
    with raw(tmp_path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer bot") as caught:
        await Store.open(tmp_path)
    assert str(tmp_path / DB_FILE) in str(caught.value)
    assert "restore a backup" in str(caught.value)


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
async def test_a_database_file_others_can_read_is_refused(tmp_path: Path, suffix: str) -> None:
    """A database, -wal or -shm file at 0644 stops the start, naming the file and `chmod 600`, as secret.key
    does; the file is left as it was."""
    async with await Store.open(tmp_path) as store:
        await store.save_turn(store.person_key(USER_ID), a_session(), update_id=1, now=NOW)
        exposed = tmp_path / f"{DB_FILE}{suffix}"
        assert exposed.exists()
        exposed.chmod(0o644)
    if not exposed.exists():  # a clean close removes -wal and -shm: leave one behind as a crash would
        exposed.write_bytes(b"")
        exposed.chmod(0o644)
    with pytest.raises(StoreError, match=rf"{DB_FILE}{suffix} is 0644.*chmod 600 {exposed}"):
        await Store.open(tmp_path)
    assert stat.S_IMODE(exposed.stat().st_mode) == 0o644


async def test_a_deleted_secret_key_beside_a_database_stops_the_start(tmp_path: Path) -> None:
    """With the database still there, a missing secret.key is an error naming the file and what to do; no new
    secret is made (it would orphan every row, out of /forget's reach)."""
    async with await Store.open(tmp_path) as store:
        person = store.person_key(USER_ID)
        await store.save_turn(person, a_session(), update_id=1, now=NOW)
    (tmp_path / SECRET_FILE).unlink()
    with pytest.raises(SecretKeyError, match=r"secret\.key is missing.*Restore secret\.key from your backup") as caught:
        await Store.open(tmp_path)
    assert str(tmp_path / DB_FILE) in str(caught.value)
    assert not (tmp_path / SECRET_FILE).exists()


async def test_a_first_start_makes_the_secret(tmp_path: Path) -> None:
    """An empty data dir (no database yet) gets its secret.key: the refusal above is only for a lost one."""
    async with await Store.open(tmp_path / "new") as store:
        assert store.person_key(USER_ID)
    assert (tmp_path / "new" / SECRET_FILE).is_file()


async def test_every_table_about_a_person_is_forgotten(store: Store, tmp_path: Path) -> None:
    """Every table with a `person` column is listed in PERSON_TABLES, so forget() cannot miss one."""
    with raw(tmp_path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: [c[1] for c in db.execute(f"PRAGMA table_info({t})")] for t in tables}
    with_person = {table for table, names in columns.items() if "person" in names}
    assert with_person == set(PERSON_TABLES)


# -- sessions and handled updates ------------------------------------------------------------------------


async def test_a_session_round_trips_and_is_stored_encrypted(store: Store, tmp_path: Path) -> None:
    """A saved session loads back equal, while the file holds only ciphertext of its free-text answers."""
    person = store.person_key(USER_ID)
    session = a_session(vars=(("story", WORDS),))
    assert await store.save_turn(person, session, update_id=1, now=NOW)
    assert await store.load_session(person) == session
    assert Session.from_dict(session).vars == (("story", WORDS),)
    with raw(tmp_path) as db:
        (blob,) = db.execute("SELECT data FROM sessions WHERE person = ?", (person,)).fetchone()
    assert WORDS.encode() not in blob
    assert b"work.passport" not in blob


async def test_an_unknown_person_has_no_session_and_no_chat(store: Store) -> None:
    """Someone never seen before has no session and no chat id."""
    assert await store.load_session(store.person_key(1)) is None
    assert await store.chat_id(store.person_key(1)) is None


async def test_an_update_handled_twice_is_recorded_once(store: Store, tmp_path: Path) -> None:
    """Saving the same update_id again returns False and writes nothing: a redelivered update is ignored."""
    person = store.person_key(USER_ID)
    assert not await store.is_handled(5)
    assert await store.save_turn(person, a_session(node="menu.first"), update_id=5, now=NOW)
    assert await store.is_handled(5)
    assert not await store.save_turn(person, a_session(node="menu.second"), update_id=5, now=NOW)
    assert (await store.load_session(person) or {})["node"] == "menu.first"
    with raw(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM handled_updates").fetchone()[0] == 1


async def test_concurrent_turns_do_not_interleave(store: Store) -> None:
    """Many turns saved at once, duplicates included, each land whole: one wins per update_id."""
    people = [store.person_key(i) for i in range(20)]
    turns = (store.save_turn(people[i % 20], a_session(node=f"n.{i}"), update_id=i % 50, now=NOW) for i in range(100))
    results = await asyncio.gather(*turns)
    assert sum(results) == 50
    for i in range(20):
        assert (await store.load_session(people[i])) is not None


async def test_chat_id_is_encrypted_and_kept_when_a_turn_omits_it(store: Store, tmp_path: Path) -> None:
    """The chat id is stored encrypted, decrypts back, and survives later turns that do not pass it."""
    person = store.person_key(USER_ID)
    await store.save_turn(person, a_session(), update_id=1, chat_id=USER_ID, now=NOW)
    await store.save_turn(person, a_session(node="menu.x"), update_id=2, now=NOW)
    assert await store.chat_id(person) == USER_ID
    with raw(tmp_path) as db:
        (blob,) = db.execute("SELECT chat FROM sessions").fetchone()
    assert str(USER_ID).encode() not in blob


async def test_a_second_store_on_the_same_file_sees_a_complete_session(store: Store, tmp_path: Path) -> None:
    """What one Store committed, another Store on the same data dir reads whole (as after a restart)."""
    person = store.person_key(USER_ID)
    session = a_session(vars=(("a", "1"), ("b", "2")))
    await store.save_turn(person, session, update_id=9, chat_id=USER_ID, now=NOW)
    async with await Store.open(tmp_path) as second:
        assert await second.load_session(person) == session
        assert await second.chat_id(person) == USER_ID
        assert await second.is_handled(9)


KILLED_WRITER = textwrap.dedent("""
    import asyncio, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from bot.store.database import Store

    async def main() -> None:
        store = await Store.open(Path(sys.argv[1]))
        person = store.person_key(7012345678)
        for n in range(1, 1_000_000):
            session = {"node": f"n.{n}", "vars": [["n", str(n)], ["pad", "x" * (n % 700)]]}
            await store.save_turn(person, session, update_id=n, now=datetime.now(UTC))
            if n == 50:
                print("ready", flush=True)

    asyncio.run(main())
""")


async def test_a_killed_process_leaves_a_complete_session(tmp_path: Path) -> None:
    """After kill -9 mid-stream, the saved session is whole and matches exactly the updates marked handled."""
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_WRITER,
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert writer.stdout is not None
    assert await asyncio.wait_for(writer.stdout.readline(), 30) == b"ready\n"
    await asyncio.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    assert await writer.wait() == -signal.SIGKILL
    async with await Store.open(tmp_path) as store:
        session = await store.load_session(store.person_key(USER_ID))
        assert session is not None
        n = int(dict(session["vars"])["n"])
        assert n >= 50
        assert session["node"] == f"n.{n}"
        assert dict(session["vars"])["pad"] == "x" * (n % 700)
        assert await store.is_handled(n)
        assert not await store.is_handled(n + 1)


# -- messages to erase, forget ---------------------------------------------------------------------------


async def test_sent_messages_since_a_moment_oldest_first(store: Store) -> None:
    """Message ids come back for that person only, from `since` on, oldest first, each once."""
    person, other = store.person_key(1), store.person_key(2)
    await store.remember_sent(person, 30, NOW - timedelta(hours=1))
    await store.remember_sent(person, 10, NOW - timedelta(hours=50))
    await store.remember_sent(person, 31, NOW)
    await store.remember_sent(person, 31, NOW)
    await store.remember_sent(other, 99, NOW)
    assert await store.sent_messages(person, NOW - timedelta(hours=48)) == [30, 31]
    assert await store.sent_messages(person, NOW - timedelta(days=7)) == [10, 30, 31]


async def test_forget_leaves_no_trace_in_the_database_or_its_wal(store: Store, tmp_path: Path) -> None:
    """After forget, neither the database file nor its -wal/-shm hold the person's id, key or words."""
    for i in range(200):  # neighbours, so the person's rows share pages with rows that stay
        await store.save_turn(store.person_key(i), a_session(), update_id=10_000 + i, now=NOW)
    person = store.person_key(USER_ID)
    for update_id in range(1, 6):
        await store.save_turn(
            person, a_session(vars=(("story", WORDS),)), update_id=update_id, chat_id=USER_ID, now=NOW
        )
        await store.remember_sent(person, update_id, NOW)
    await store.count("door:work", now=NOW)

    def on_disk() -> bytes:
        files = (tmp_path / DB_FILE, tmp_path / f"{DB_FILE}-wal", tmp_path / f"{DB_FILE}-shm")
        return b"".join(path.read_bytes() for path in files if path.exists())

    assert person.encode() in on_disk()  # the check below can see what it looks for
    assert await store.forget(person) == 5 + 5 + 1
    after = on_disk()
    assert person.encode() not in after
    assert str(USER_ID).encode() not in after
    assert WORDS.encode() not in after
    assert await store.load_session(person) is None
    assert await store.sent_messages(person, NOW - timedelta(days=2)) == []
    assert not await store.is_handled(1)
    assert await store.load_session(store.person_key(0)) is not None
    assert await store.counts() == [("2026-11-28", "door:work", 1)]


# -- counts and retention --------------------------------------------------------------------------------


async def test_counts_are_anonymous_daily_sums(store: Store) -> None:
    """Counters add up per day and name, and `since` keeps only the days from then on."""
    await store.count("conversation_started", now=NOW - timedelta(days=1))
    await store.count("conversation_started", now=NOW)
    await store.count("conversation_started", now=NOW, n=2)
    await store.count("search_no_match:shelter", now=NOW)
    assert await store.counts() == [
        ("2026-11-27", "conversation_started", 1),
        ("2026-11-28", "conversation_started", 3),
        ("2026-11-28", "search_no_match:shelter", 1),
    ]
    assert await store.counts(since=date(2026, 11, 28)) == [
        ("2026-11-28", "conversation_started", 3),
        ("2026-11-28", "search_no_match:shelter", 1),
    ]


@pytest.mark.parametrize("name", ["", "Door:Work", "search_no_match:my boss took my passport", "a:b:c"])
async def test_a_counter_name_must_be_a_vocabulary_key(store: Store, name: str) -> None:
    """A counter name that looks like free text is refused, so no one's words end up in the counts."""
    with pytest.raises(ValueError, match="vocabulary key"):
        await store.count(name, now=NOW)


async def test_purge_removes_what_is_past_its_time(store: Store) -> None:
    """Purge deletes idle sessions, old handled ids and old message ids, keeps the rest and counts."""
    idle, recent = store.person_key(1), store.person_key(2)
    await store.save_turn(idle, a_session(), update_id=1, now=NOW - timedelta(days=31))
    await store.save_turn(recent, a_session(), update_id=2, now=NOW - timedelta(days=29))
    await store.save_turn(recent, a_session(), update_id=3, now=NOW - timedelta(hours=1))
    await store.remember_sent(recent, 7, NOW - timedelta(hours=49))
    await store.remember_sent(recent, 8, NOW - timedelta(hours=1))
    await store.count("conversation_started", now=NOW - timedelta(days=400))
    assert await store.purge(NOW) == 1 + 2 + 1
    assert await store.load_session(idle) is None
    assert await store.load_session(recent) is not None
    assert [await store.is_handled(u) for u in (1, 2, 3)] == [False, False, True]
    assert await store.sent_messages(recent, NOW - timedelta(days=7)) == [8]
    assert len(await store.counts()) == 1
    assert await store.purge(NOW) == 0


async def test_naive_datetimes_are_refused(store: Store) -> None:
    """A datetime without a time zone is refused rather than read in the machine's zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.save_turn("p", a_session(), now=datetime(2026, 11, 28, 12, 0))


async def test_an_unreadable_session_is_treated_as_absent(store: Store, tmp_path: Path) -> None:
    """A damaged ciphertext gives the person a fresh start (None), never an exception."""
    person = store.person_key(USER_ID)
    await store.save_turn(person, a_session(), chat_id=USER_ID, now=NOW)
    with raw(tmp_path) as db:
        db.execute("UPDATE sessions SET data = ?, chat = ?", (b"gAAAA-damaged", b"gAAAA-damaged"))
    assert await store.load_session(person) is None
    assert await store.chat_id(person) is None


async def test_closing_twice_is_harmless(tmp_path: Path) -> None:
    """close() may be called again, e.g. by a shutdown hook after the context manager already closed it."""
    async with await Store.open(tmp_path) as store:
        pass
    await store.close()
