"""bot.store's warm-line tables (bot/store/warmline.py): the claim, relayed messages (once, encrypted, gone when
sent), supporters, forget."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.database import DB_FILE, Store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path) as opened:
        yield opened


async def a_handoff(store: Store, user: int = 1001) -> tuple[str, int]:
    person = store.person_key(user)
    return person, await store.handoff_create(person, "4f2a9b01", "es", "work", ("work", "passport"), "queued", NOW)


async def test_a_handoff_keeps_its_doors_and_the_first_take_wins(store: Store) -> None:
    """The path comes back as it went in; of two supporters taking one handoff, only the first has it."""
    person, hid = await a_handoff(store)
    (row,) = await store.handoffs(person=person)
    assert row["path"] == ("work", "passport")
    assert row["status"] == "queued"
    assert await store.handoff_take(hid, 501, NOW)
    assert not await store.handoff_take(hid, 502, NOW)
    (row,) = await store.handoffs(handoff=hid)
    assert (row["status"], row["supporter"]) == ("taken", 501)


async def test_only_known_columns_can_be_updated(store: Store) -> None:
    """handoff_update refuses a name that is not a handoff column it allows (no SQL from outside)."""
    _, hid = await a_handoff(store)
    await store.handoff_update(hid, group_chat=-100500, thread=100, urgent=1)
    assert (await store.handoffs(thread=(-100500, 100)))[0]["urgent"] == 1
    with pytest.raises(ValueError, match="not handoff columns"):
        await store.handoff_update(hid, person="someone else")


async def test_a_relayed_update_is_queued_once_encrypted_and_deleted_when_sent(store: Store, tmp_path: Path) -> None:
    """The same update relayed twice queues once; the text is not readable in the file; done deletes it."""
    person, hid = await a_handoff(store)
    message = {"from_chat": 1001, "message_id": 7, "text": "a secret sentence"}
    row_id = await store.relay_add(hid, person, "in", message, update_id=55, now=NOW)
    assert row_id is not None
    assert await store.relay_add(hid, person, "in", message, update_id=55, now=NOW) is None
    assert await store.relay_pending() == [(row_id, hid, "in", message)]
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        assert b"secret" not in b"".join(bytes(r[0]) for r in db.execute("SELECT payload FROM relay"))
    await store.relay_done(row_id)
    assert await store.relay_pending() == []


async def test_forget_removes_every_warm_line_row_about_the_person(store: Store) -> None:
    """After forget(), no handoff, queued message or relayed update id of the person is left."""
    person, hid = await a_handoff(store)
    await store.relay_add(hid, person, "in", {"from_chat": 1, "message_id": 1}, update_id=9, now=NOW)
    other, _ = await a_handoff(store, 2002)
    assert await store.forget(person) >= 3
    assert await store.handoffs(person=person) == []
    assert await store.relay_pending() == []
    assert len(await store.handoffs(person=other)) == 1


async def test_supporters_keep_alias_and_duty_per_group(store: Store) -> None:
    """A supporter's alias and duty are kept per group; old relayed update ids are purged."""
    await store.supporter_set(501, -100500, alias="Sam")
    await store.supporter_set(501, -100500, on_duty=True)
    await store.supporter_set(501, -100600, on_duty=False)
    assert await store.supporters() == [(501, -100600, "", False), (501, -100500, "Sam", True)]
    person, hid = await a_handoff(store)
    await store.relay_add(hid, person, "out", {"from_chat": -1, "message_id": 1}, update_id=3, now=NOW)
    assert await store.purge_relayed(NOW + timedelta(days=3)) == 1
