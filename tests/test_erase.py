"""Erasing end to end (bot.runtime.forget through the Telegram edge): the real python-telegram-bot Application
(bot.channels.telegram.serving.serve) against the stand-in Bot API server, with a real SQLite store; afterwards
the database file and its -wal are read as bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiServer, Chat
from running import Running, start_bot

from bot.content.loader import Content
from bot.conversation.engine import option_data
from bot.conversation.privacy import kept_text, quiet_data
from bot.store.database import DB_FILE, Store

USER_ID = 7012345678
FIRST_NAME = "Marisol"
WORDS = "my boss took my passport at the farm in Brooks"


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content) -> AsyncIterator[Running]:
    running = await start_bot(botapi, tmp_path / "data", content)
    yield running
    if not running.task.done():
        await running.halt()


def erase_data(content: Content) -> str:
    """The callback data of "Yes, erase it" on the /forget screen, from the real flows."""
    node_id = content.flows.entry("forget")
    node = content.flows.node(node_id)
    assert node is not None
    for index, option in enumerate(node.options):
        target = content.flows.node(option.go)
        if target is not None and target.do == "erase":
            return option_data(content.version, node_id, index)
    raise AssertionError(f"{node_id} has no option leading to a `do: erase` node")


def goodbye(content: Content) -> str:
    node = next(n for n in content.flows.nodes.values() if n.do == "erase")
    return node.say.get("en")


async def say(server: BotApiServer, person: Chat, text: str) -> dict[str, Any]:
    """Send `text` as the person and wait until the bot has answered it with at least one message."""
    before = len(server.calls_to("sendMessage"))
    sent = person.send(text)
    await server.wait_for_call("sendMessage", before + 1)
    await asyncio.sleep(0.1)  # a turn may send several messages
    return sent


def deleted_ids(server: BotApiServer, chat_id: int) -> list[int]:
    ids: list[int] = []
    for call in server.calls_to("deleteMessages"):
        if call.params["chat_id"] == chat_id:
            ids += call.params["message_ids"]
    return ids


async def no_pending_lines(store: Store, within: float = 5.0) -> bool:
    """Whether the vanishing lines' records are all gone (the bot drops one just after Telegram answers)."""
    for _ in range(int(within / 0.05)):
        if not await store.pending_deletes():
            return True
        await asyncio.sleep(0.05)
    return False


def disk_bytes(data_dir: Path) -> bytes:
    """The database file and its -wal (and -shm) as they are on disk right now."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob(f"{DB_FILE}*")))


def traces(data_dir: Path, person_key: str) -> list[str]:
    """Which traces of the person are on disk: their id (as text or a 64-bit integer), key, name or words."""
    raw = disk_bytes(data_dir)
    probes = {
        "telegram id as text": str(USER_ID).encode(),
        "telegram id as integer": USER_ID.to_bytes(8, "big"),
        "person key": person_key.encode(),
        "first name": FIRST_NAME.encode(),
        "words": WORDS.encode(),
        "a word": b"passport",
    }
    return [name for name, probe in probes.items() if probe in raw]


async def converse(bot: Running, content: Content) -> tuple[Chat, list[int]]:
    """/start, free words, /forget: returns the person and every message id in their chat so far."""
    alice = bot.server.person(USER_ID, first_name=FIRST_NAME)
    theirs = [(await say(bot.server, alice, text))["message_id"] for text in ("/start", WORDS, "/forget")]
    ours = [m["message_id"] for m in bot.server.messages(alice.id)]
    return alice, sorted(theirs + ours)


async def test_forget_deletes_the_conversation_and_leaves_no_trace_on_disk(
    bot: Running, content: Content, tmp_path: Path
) -> None:
    """/forget then "yes": deleteMessages gets every message id of the conversation, a neutral line appears
    then vanishes, and neither the database nor its -wal holds the person's id, key, name or words."""
    data_dir = tmp_path / "data"
    bot.edge.runtime.forgetting.line_seconds = 0.5
    alice, every_id = await converse(bot, content)
    person = bot.edge.store.person_key(USER_ID)
    assert traces(data_dir, person) == ["person key"]  # before: the person is known (by key only)
    alice.tap(erase_data(content))
    await bot.server.wait_for_call("deleteMessages")
    await bot.server.wait_for(lambda: len(bot.server.messages(alice.id)) == 1)
    assert sorted(deleted_ids(bot.server, alice.id)) == every_id
    assert [m["text"] for m in bot.server.messages(alice.id)] == [goodbye(content)]
    line = bot.server.messages(alice.id)[0]["message_id"]
    assert line not in every_id
    await bot.server.wait_for(lambda: not bot.server.messages(alice.id))
    assert [c.params["message_id"] for c in bot.server.calls_to("deleteMessage")] == [line]
    assert await no_pending_lines(bot.edge.store)
    assert traces(data_dir, person) == []  # while running: the -wal is there
    await bot.halt()
    assert traces(data_dir, person) == []  # and after a clean stop


async def test_the_goodbye_line_is_deleted_after_a_restart(
    bot: Running, botapi: BotApiServer, content: Content, tmp_path: Path
) -> None:
    """If the bot stops before the neutral line is due, the next start deletes it from a stored record."""
    bot.edge.runtime.forgetting.line_seconds = 1.0
    alice, _ = await converse(bot, content)
    alice.tap(erase_data(content))
    await bot.server.wait_for(lambda: [m["text"] for m in bot.server.messages(alice.id)] == [goodbye(content)])
    await bot.halt()
    line = bot.server.messages(alice.id)[0]["message_id"]
    assert bot.server.calls_to("deleteMessage") == []
    await asyncio.sleep(1.0)
    again = await start_bot(botapi, tmp_path / "data", content)
    try:
        await botapi.wait_for_call("deleteMessage")
        assert [c.params["message_id"] for c in botapi.calls_to("deleteMessage")] == [line]
        assert botapi.messages(alice.id) == []
        assert await no_pending_lines(again.edge.store)
    finally:
        await again.halt()


async def test_a_long_conversation_is_deleted_in_batches_of_100(bot: Running, content: Content) -> None:
    """Every remembered id of the last 48 hours is asked for, no call holding more than 100; older ones not."""
    alice, every_id = await converse(bot, content)
    store, person, now = bot.edge.store, bot.edge.store.person_key(USER_ID), bot.edge.clock()
    extra = list(range(10_000, 10_250))
    for message_id in extra:
        await store.remember_sent(person, message_id, now - timedelta(hours=20))
    await store.remember_sent(person, 9_999, now - timedelta(hours=49))  # past Telegram's limit
    alice.tap(erase_data(content))
    await bot.server.wait_for(lambda: len(deleted_ids(bot.server, alice.id)) >= len(every_id) + len(extra))
    calls = bot.server.calls_to("deleteMessages")
    assert all(len(c.params["message_ids"]) <= 100 for c in calls)
    assert sorted(deleted_ids(bot.server, alice.id)) == sorted(every_id + extra)


async def test_privacy_shows_what_is_kept_and_quiet_erase_deletes_old_messages(bot: Running, content: Content) -> None:
    """/privacy answers with the settings' own retention (not the flow's "unknown command"); choosing 1 hour
    is stored, and the quiet-erase round deletes messages older than that from the phone."""
    alice = bot.server.person(USER_ID, first_name=FIRST_NAME)
    await say(bot.server, alice, "/start")
    await say(bot.server, alice, "/privacy")
    shown = bot.server.messages(alice.id)[-1]
    assert shown["text"].startswith(kept_text(bot.edge.privacy.words, bot.edge.settings, "en"))
    assert content.text("unknown_command", "en") not in [m["text"] for m in bot.server.messages(alice.id)]
    before = len(bot.server.calls_to("sendMessage"))
    alice.tap(quiet_data(1), shown["message_id"])
    await bot.server.wait_for_call("sendMessage", before + 1)
    await asyncio.sleep(0.1)  # as in say(): the bot remembers the confirmation's id once Telegram answers
    store, person = bot.edge.store, bot.edge.store.person_key(USER_ID)
    assert await store.quiet_erase(person) == [(person, 1)]
    on_phone = sorted(m["message_id"] for m in bot.server.messages(alice.id))
    later = bot.edge.clock() + timedelta(hours=2)
    deleted = await bot.edge.runtime.forgetting.quiet_erase(later)
    assert deleted >= len(on_phone)
    assert set(on_phone) <= set(deleted_ids(bot.server, alice.id))
    assert bot.server.messages(alice.id) == []
    assert await store.sent_messages(person, later - timedelta(hours=48)) == []
    assert await bot.edge.runtime.forgetting.quiet_erase(later) == 0  # nothing twice


async def test_a_new_store_after_erase_knows_nothing(bot: Running, content: Content, tmp_path: Path) -> None:
    """After the erase, the store has no session, chat id, message ids or quiet-erase choice for the person."""
    alice, _ = await converse(bot, content)
    person = bot.edge.store.person_key(USER_ID)
    await bot.edge.store.set_quiet_erase(person, 6)
    alice.tap(erase_data(content))
    await bot.server.wait_for_call("deleteMessages")
    await bot.server.wait_for(lambda: [m["text"] for m in bot.server.messages(alice.id)] == [goodbye(content)])
    await bot.halt()
    async with await Store.open(tmp_path / "data") as store:
        assert await store.load_session(person) is None
        assert await store.chat_id(person) is None
        assert await store.sent_messages(person, datetime(2000, 1, 1, tzinfo=UTC)) == []
        assert await store.quiet_erase() == []
        assert await store.outbox() == []
