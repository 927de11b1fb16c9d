"""bot.store.database's outbox: a turn's replies are queued with its session and survive a crash until delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.database import DB_FILE, Store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HELLO = {"chat_id": 1001, "text": "Hello", "buttons": []}
MENU = {"chat_id": 1001, "text": "Menu", "buttons": [[{"label": "Work", "data": "v|main.menu|0"}]]}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path) as opened:
        yield opened


async def test_replies_are_queued_with_the_turn_in_order(store: Store) -> None:
    """save_turn queues the replies with the session; outbox() lists them oldest first."""
    person = store.person_key(1001)
    assert await store.save_turn(person, {"node": "main.menu"}, update_id=1, now=NOW, outbox=[HELLO, MENU])
    assert [payload for _, _, payload in await store.outbox(person)] == [HELLO, MENU]
    assert [who for _, who, _ in await store.outbox()] == [person, person]


async def test_a_duplicate_update_queues_nothing(store: Store) -> None:
    """An update handled before adds no second copy of its replies."""
    person = store.person_key(1001)
    await store.save_turn(person, {}, update_id=1, now=NOW, outbox=[HELLO])
    assert not await store.save_turn(person, {}, update_id=1, now=NOW, outbox=[HELLO])
    assert len(await store.outbox(person)) == 1


async def test_delivered_messages_leave_the_outbox_and_are_remembered(store: Store) -> None:
    """outbox_delivered deletes the row and keeps the message id for /forget."""
    person = store.person_key(1001)
    await store.save_turn(person, {}, update_id=1, now=NOW, outbox=[HELLO, MENU])
    first, _, _ = (await store.outbox(person))[0]
    await store.outbox_delivered(first, person, 42, NOW)
    assert [payload for _, _, payload in await store.outbox(person)] == [MENU]
    assert await store.sent_messages(person, NOW - timedelta(hours=1)) == [42]


async def test_queued_messages_survive_reopening_and_are_encrypted(tmp_path: Path) -> None:
    """After the process dies, the queued replies are still there, and the file never holds their text."""
    async with await Store.open(tmp_path) as store:
        person = store.person_key(1001)
        await store.save_turn(person, {}, update_id=1, now=NOW, outbox=[HELLO])
    assert b"Hello" not in (tmp_path / DB_FILE).read_bytes()
    async with await Store.open(tmp_path) as store:
        assert [payload for _, _, payload in await store.outbox(person)] == [HELLO]


async def test_drop_and_forget_empty_a_persons_outbox(store: Store) -> None:
    """outbox_drop removes one row or all of a person's; forget removes the rest."""
    alice, bob = store.person_key(1001), store.person_key(1002)
    await store.save_turn(alice, {}, update_id=1, now=NOW, outbox=[HELLO, MENU])
    await store.save_turn(bob, {}, update_id=2, now=NOW, outbox=[HELLO])
    first, _, _ = (await store.outbox(alice))[0]
    assert await store.outbox_drop(alice, first) == 1
    assert await store.outbox_drop(alice) == 1
    await store.forget(bob)
    assert await store.outbox() == []
