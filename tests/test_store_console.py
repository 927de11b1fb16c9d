"""The store's console tables (bot.store.console): ended topics, wrap-ups, the first reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.database import Store

NOW = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path) as opened:
        yield opened


async def test_ended_topics_are_tied_to_the_person_until_they_forget(store: Store) -> None:
    """An ended topic keeps the person key for /forget; forgetting drops the key (due now) and store.forget
    leaves the record, so the delete still happens; a topic that ends again counts from its latest end."""
    alice, bern = store.person_key(1), store.person_key(2)
    await store.ended_topic_add(alice, -100, 7, NOW)
    await store.ended_topic_add(bern, -100, 8, NOW)
    await store.ended_topic_add(bern, -100, 8, NOW + timedelta(hours=1))
    assert [(t.thread, t.forgotten) for t in await store.ended_topics()] == [(7, False), (8, False)]
    assert (await store.ended_topics())[1].ended_at == int((NOW + timedelta(hours=1)).timestamp())
    assert await store.ended_topics_forgotten(alice) == 1
    await store.forget(alice)
    await store.forget(bern)
    topics = await store.ended_topics()
    assert [(t.thread, t.forgotten) for t in topics] == [(7, True)]
    await store.ended_topic_drop(topics[0].id)
    assert await store.ended_topics() == []


async def test_a_wrapup_step_counts_once(store: Store) -> None:
    """Each step moves once: a second tap (or crafted data) on the same step changes nothing."""
    wid = await store.wrapup_add(-100, 501, NOW)
    assert await store.wrapup_step(wid, "outcome", "followup")
    assert not await store.wrapup_step(wid, "outcome", "followup")
    found = await store.wrapup(wid)
    assert found is not None
    assert (found.group_chat, found.supporter, found.step) == (-100, 501, "followup")
    assert await store.wrapup(wid + 1) is None
    old = await store.wrapup_add(-100, 501, NOW - timedelta(days=2))
    assert await store.wrapups_purge(NOW) == 1
    assert await store.wrapup(old) is None
    assert await store.wrapup_step(wid, "followup", "done")
    assert await store.wrapups_purge(NOW) == 1


async def test_the_first_reply_is_recorded_once_and_only_when_taken(store: Store) -> None:
    """Only a taken conversation's first supporter message is recorded."""
    hid = await store.handoff_create(store.person_key(1), "abcd1234", "en", "talk", (), "queued", NOW)
    assert not await store.handoff_first_reply(hid, NOW)
    assert await store.handoff_take(hid, 501, NOW)
    assert await store.handoff_first_reply(hid, NOW + timedelta(minutes=2))
    assert not await store.handoff_first_reply(hid, NOW + timedelta(minutes=3))
    assert (await store.handoffs(handoff=hid))[0]["first_reply"] == int((NOW + timedelta(minutes=2)).timestamp())
