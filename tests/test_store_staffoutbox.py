"""bot.store's staff outbox (bot/store/staffoutbox.py): rows in order, encrypted, acknowledged with what Telegram
answered in one step, a lost topic re-opened first, the person's words gone with /forget."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store.database import DB_FILE, Store
from bot.store.staffoutbox import StaffNew

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GROUP = -100500


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path) as opened:
        yield opened


async def a_request(store: Store) -> tuple[str, int]:
    person = store.person_key(1001)
    hid = await store.handoff_create(person, "4f2a9b01", "en", "work", ("work",), "queued", NOW)
    await store.staff_add(
        [
            StaffNew(GROUP, "topic", {"name": "Guest 4F2", "urgent_name": "⚠ Guest 4F2"}, hid),
            StaffNew(GROUP, "card", {"text": "New request", "buttons": []}, hid),
            StaffNew(GROUP, "edit", {"text": "Taken", "buttons": []}, hid),
        ],
        now=NOW,
    )
    return person, hid


async def test_a_topic_done_gives_its_thread_to_the_handoff_and_every_row_waiting(store: Store, tmp_path: Path) -> None:
    """Acknowledging the topic records its thread on the handoff and the rows after it; the card's id becomes
    the edit's target; nothing is readable on disk."""
    _, hid = await a_request(store)
    topic, card, edit = await store.staff_rows()
    assert await store.staff_done([topic.id], handoff=hid, thread=321)
    assert await store.staff_done([card.id], handoff=hid, card=77)
    (waiting,) = await store.staff_rows()
    assert (waiting.id, waiting.thread, waiting.target) == (edit.id, 321, 77)
    (row,) = await store.handoffs(handoff=hid)
    assert (row["thread"], row["card"]) == (321, 77)
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        assert b"Taken" not in b"".join(p for (p,) in db.execute("SELECT payload FROM staff_outbox"))


async def test_a_relay_is_queued_once_per_update(store: Store) -> None:
    """The same update offered twice queues the person's message once."""
    person, hid = await a_request(store)
    item = StaffNew(GROUP, "relay", {"from_chat": 1001, "message_id": 5, "text": "hi"}, hid)
    assert await store.staff_relay(item, person, update_id=9, now=NOW) is not None
    assert await store.staff_relay(item, person, update_id=9, now=NOW) is None
    assert [r.kind for r in await store.staff_rows()].count("relay") == 1


async def test_a_lost_topic_is_opened_again_before_what_waited(store: Store) -> None:
    """Re-opening puts the new topic, card and note first; what waited waits for the new thread."""
    _, hid = await a_request(store)
    topic, card, _ = await store.staff_rows()
    await store.staff_done([topic.id], handoff=hid, thread=321)
    await store.staff_done([card.id], handoff=hid, card=77)
    new = [
        StaffNew(GROUP, "topic", {"name": "n", "urgent_name": "u"}, hid),
        StaffNew(GROUP, "card", {"text": "c", "buttons": []}, hid),
    ]
    await store.staff_reopen(hid, new, now=NOW)
    rows = await store.staff_rows()
    assert [r.kind for r in rows] == ["topic", "card", "edit"]
    assert rows[2].thread is None
    assert rows[2].target is None


async def test_forget_takes_the_persons_waiting_words_and_leaves_the_bots_notes(store: Store) -> None:
    """/forget deletes the person's relayed words still waiting; the topic's note and close still go."""
    person, hid = await a_request(store)
    await store.staff_relay(StaffNew(GROUP, "relay", {"text": "hi"}, hid, 321), person, update_id=None, now=NOW)
    await store.staff_add([StaffNew(GROUP, "note", {"text": "erased"}, hid, 321)], now=NOW)
    await store.forget(person)
    assert "relay" not in [r.kind for r in await store.staff_rows()]
    assert "note" in [r.kind for r in await store.staff_rows()]
