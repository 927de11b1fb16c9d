"""bot.runtime: the channel-neutral pieces with a real SQLite store: keys that carry their channel (and the
migration that adopts people stored before), the one scheduler, and hours read in BOT_TIMEZONE."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import opening_hours

from bot.channels.telegram.delivery import message_for
from bot.content.loader import Content
from bot.core.types import Event, Reply
from bot.directory.hours import local_time, schedule_status
from bot.runtime.ports import (
    ChannelLimits,
    Copy,
    Deleted,
    Inbound,
    Outgoing,
    Senders,
    SendOutcome,
    Sent,
    parse_address,
)
from bot.runtime.schedule import Scheduler
from bot.runtime.turns import Runtime
from bot.settings import Settings
from bot.store.database import DB_FILE, MIGRATIONS, Store, migrate
from bot.store.keys import Keys

NOW = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
EDMONTON = ZoneInfo("America/Edmonton")


class Recorder:
    """A PersonSender that keeps what it was asked to send (a tiny recorder, not a mock of our code)."""

    def __init__(self, channel: str) -> None:
        self.limits = ChannelLimits(channel, channel.title(), text_chars=1000, callback_bytes=64, delete_window=None)
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat: str, reply: Reply) -> Sent:
        self.sent.append((chat, reply.text))
        return Sent(SendOutcome.SENT, len(self.sent))

    async def delete(self, chat: str, message_ids: Sequence[int]) -> Deleted:
        return Deleted(len(message_ids))


async def test_a_person_stored_before_keys_carried_their_channel_is_adopted(tmp_path: Path, content: Content) -> None:
    """A database from before migration 6 keeps working: the old-key session is found on the person's next
    message and moved, every row with it, to HMAC("telegram:id"); the same number on the web is someone else."""
    data = tmp_path / "data"
    keys = Keys.load(data)
    old = keys.legacy_key(7012345678)
    path = data / DB_FILE
    with sqlite3.connect(path) as db:  # a database as version 5 left it, with one person stored the old way
        migrate(db, path, MIGRATIONS[:5])
        blob = keys.encrypt(json.dumps({"language": "fr", "node": "menu.menu"}).encode())
        db.execute("INSERT INTO sessions (person, data, chat, last_seen) VALUES (?, ?, NULL, 1)", (old, blob))
        db.execute("INSERT INTO handled_updates VALUES (9001, ?, 1)", (old,))
    path.chmod(0o600)
    async with await Store.open(data) as store:
        assert await store.is_handled("telegram:9001")  # migrated update ids carry their channel
        sender = Recorder("telegram")
        runtime = Runtime(store, content, Settings(), zone=EDMONTON, senders=Senders(sender), clock=lambda: NOW)
        inbound = Inbound("telegram", "7012345678", "7012345678", "9002", Event("command", text="menu"))
        incoming = await runtime.load(inbound)
        assert incoming.session.language == "fr"
        assert incoming.person == store.person_key(7012345678) != old
        assert await store.load_session(old) is None
        assert not await store.adopt(old, incoming.person)  # once only
        web = await runtime.load(Inbound("web", "7012345678", "c1", "1", Event("start")))
        assert web.person != incoming.person
        assert web.session.language == ""


def test_migrations_are_appended_once() -> None:
    """Migration 6 (ids carry their channel) runs on a fresh file and leaves user_version at the last script."""
    db = sqlite3.connect(":memory:")
    assert migrate(db, Path(":memory:")) == len(MIGRATIONS) >= 6


async def test_the_outbox_routes_each_message_by_its_channel(tmp_path: Path, content: Content) -> None:
    """Two channels in one runtime: each reply goes out through its own channel's sender; a payload queued
    before ids carried their channel (a bare chat id) is Telegram's."""
    async with await Store.open(tmp_path / "data") as store:
        telegram, web = Recorder("telegram"), Recorder("web")
        runtime = Runtime(store, content, Settings(), zone=EDMONTON, senders=Senders(telegram, web), clock=lambda: NOW)
        outcome = await runtime.handle(Inbound("web", "abc", "abc", "1", Event("start")))
        assert outcome == "replied"
        assert telegram.sent == []
        assert web.sent
        assert all(chat == "abc" for chat, _ in web.sent)
        assert Outgoing.from_payload({"chat_id": 42, "text": "hi", "buttons": []}).chat == "telegram:42"
        assert parse_address("web:abc") == ("web", "abc")
        assert Outgoing.from_payload(message_for(42, Reply("hi"))) == Outgoing("telegram:42", Reply("hi"))


async def test_the_scheduler_runs_rounds_and_one_off_jobs_until_closed() -> None:
    """`every` repeats, `after` runs once, a failing job does not stop its round, close() cancels all."""
    ran: list[str] = []

    async def tick() -> None:
        ran.append("tick")
        raise RuntimeError("a bad moment")

    async def once() -> None:
        ran.append("once")

    scheduler = Scheduler()
    scheduler.every("tick", 0.01, tick, first=0.0)
    scheduler.after(0.02, once)
    await asyncio.sleep(0.1)
    await scheduler.close()
    assert ran.count("once") == 1
    assert ran.count("tick") >= 3
    assert scheduler.pending == 0


def test_hours_are_read_in_the_zone_now_is_given_in() -> None:
    """BOT_TIMEZONE reaches the hours: the runtime's now in Halifax reads a 9-17 service as open at a moment
    when, in Calgary, it has not opened yet; a UTC moment is still read in Calgary time."""
    schedule = opening_hours.OpeningHours("Mo-Su 09:00-17:00")
    moment = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 8:30 in Calgary, 11:30 in Halifax
    assert schedule_status(schedule, moment.astimezone(EDMONTON)).state == "closed"
    assert schedule_status(schedule, moment.astimezone(ZoneInfo("America/Halifax"))).state == "open"
    assert local_time(moment) == datetime(2026, 11, 27, 8, 30)


async def test_a_count_lands_on_the_local_day_whatever_zone_its_moment_is_in(tmp_path: Path, content: Content) -> None:
    """Every count is in one zone (BOT_TIMEZONE): 03:00 UTC on the 28th is the evening of the 27th in Calgary."""
    async with await Store.open(tmp_path / "data") as store:
        runtime = Runtime(store, content, Settings(), zone=EDMONTON, clock=lambda: NOW)
        runtime.count("door:work", datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
        runtime.count("door:work", datetime(2026, 11, 27, 20, 0, tzinfo=EDMONTON))
        await runtime.flush_counts()
        assert await store.counts() == [("2026-11-27", "door:work", 2)]


async def test_replies_for_a_channel_not_running_wait_for_it(tmp_path: Path, content: Content) -> None:
    """A process serving only Telegram leaves the web chat's queued replies alone (they wait for the web's own
    process) and still sends Telegram's."""
    async with await Store.open(tmp_path / "data") as store:
        web_person, tg_person = store.channel_key("web", "abc"), store.person_key(42)
        await store.save_turn(web_person, {}, now=NOW, outbox=[Outgoing("web:abc", Reply("hi")).to_payload()])
        await store.save_turn(tg_person, {}, now=NOW, outbox=[Outgoing("telegram:42", Reply("hi")).to_payload()])
        telegram = Recorder("telegram")
        runtime = Runtime(store, content, Settings(), zone=EDMONTON, senders=Senders(telegram), clock=lambda: NOW)
        assert await runtime.open() == 1
        assert telegram.sent == [("42", "hi")]
        assert [who for _, who, _ in await store.outbox()] == [web_person]


class Copying(Recorder):
    """A recorder that can also copy a message, as Telegram's sender does (copyMessage)."""

    async def copy(self, chat: str, source: Copy) -> Sent:
        self.sent.append((chat, f"copy of {source.from_chat}/{source.message_id}"))
        return Sent(SendOutcome.SENT, len(self.sent))


async def test_messages_queued_outside_a_turn_go_out_in_order_with_the_turns_own(
    tmp_path: Path, content: Content
) -> None:
    """The warm line's messages (enqueued outside a turn) and a turn's replies share one queue: in order, each
    once, and a copy goes as a copy where the channel can copy, as its words where it cannot."""
    async with await Store.open(tmp_path / "data") as store:
        telegram, web = Copying("telegram"), Recorder("web")
        runtime = Runtime(store, content, Settings(), zone=EDMONTON, senders=Senders(telegram, web), clock=lambda: NOW)
        await runtime.handle(Inbound("web", "abc", "abc", "1", Event("start")))
        person = store.channel_key("web", "abc")
        shown = len(web.sent)
        note = Outgoing("web:abc", Reply("a supporter's words"), Copy("-100", 7))
        await runtime.outbox.enqueue(person, [note])
        await runtime.handle(Inbound("web", "abc", "abc", "2", Event("command", text="help")))
        assert web.sent[shown][1] == "a supporter's words"
        assert len(web.sent) > shown + 1
        tg = store.person_key(42)
        rows = await runtime.outbox.enqueue(tg, [Outgoing("telegram:42", Reply("-"), Copy("-100", 7))], watch=True)
        assert rows is not None
        await runtime.outbox.deliver(tg)
        assert telegram.sent == [("42", "copy of -100/7")]
        assert runtime.outbox.sent_id(rows[0]) == 1
        assert await store.outbox() == []
