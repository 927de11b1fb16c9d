"""The Telegram edge end to end: the real python-telegram-bot Application against the stand-in Bot API server,
with a real SQLite store, driven as people would drive it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiServer
from running import FAST, FRIDAY_AFTERNOON, Running, start_bot
from telegram.error import InvalidToken

from bot.channels.telegram.edge import event_from_update
from bot.channels.telegram.serving import build_application, configure_logging
from bot.content.loader import Content
from bot.conversation.engine import advance, without_topic_blanks
from bot.core.clock import Clock
from bot.core.types import Event, Reply, Session
from bot.runtime.flood import FloodGate
from bot.settings import Settings

# The library itself warns when it builds a RetryAfter (its int retry_after is deprecated); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content) -> AsyncIterator[Running]:
    running = await start_bot(botapi, tmp_path / "data", content)
    yield running
    await running.halt()


class Mirror:
    """The engine alone, fed the same events as the bot: what the person should see, as an oracle."""

    def __init__(self, content: Content, hint: str | None = "en", clock: Clock = lambda: FRIDAY_AFTERNOON) -> None:
        self.content, self.hint, self.session, self.clock = content, hint, Session(), clock

    def feed(self, kind: str, text: str = "", data: str = "") -> tuple[Reply, ...]:
        event = Event(kind, text=text, data=data, language_hint=self.hint)  # type: ignore[arg-type]
        turn = advance(self.content, self.session, event, self.clock())
        self.session = turn.session
        return turn.replies


def shown(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def callback_data(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


async def test_start_shows_the_welcome_with_inline_buttons(bot: Running, content: Content) -> None:
    """/start gets the engine's welcome, its options as an inline keyboard with compact callback data."""
    alice = bot.server.person(1001)
    expected = Mirror(content).feed("start")
    alice.send("/start")
    messages = await bot.server.wait_for_messages(alice.id, len(expected))
    assert shown(messages) == [r.text for r in expected]
    assert callback_data(messages[-1]) == [b.data for row in expected[-1].buttons for b in row if not b.url]
    assert all(len(d.encode()) <= 64 for d in callback_data(messages[-1]))


async def test_buttons_and_free_text_move_the_person_on(bot: Running, content: Content) -> None:
    """Tapping an option and typing a request get the same replies the engine gives, and taps are answered."""
    alice, mirror = bot.server.person(1001), Mirror(content)
    expected = list(mirror.feed("start"))
    alice.send("/start")
    messages = await bot.server.wait_for_messages(alice.id, len(expected))
    first_option = callback_data(messages[-1])[0]
    expected += mirror.feed("option", data=first_option)
    alice.tap(first_option)
    await bot.server.wait_for_messages(alice.id, len(expected))
    expected += mirror.feed("text", text="I need a safe place to sleep tonight")
    alice.send("I need a safe place to sleep tonight")
    messages = await bot.server.wait_for_messages(alice.id, len(expected))
    assert shown(messages) == [r.text for r in expected]
    assert len(bot.server.calls_to("answerCallbackQuery")) == 1


@pytest.mark.parametrize("action", ["photo", "sticker", "voice", "location"])
async def test_media_gets_a_kind_reply(bot: Running, content: Content, action: str) -> None:
    """A photo, sticker, voice note or location is met with "I can only read text here", never a crash."""
    alice = bot.server.person(1001)
    alice.send("/start")
    before = len(await bot.server.wait_for_messages(alice.id, 1))
    getattr(alice, action)()
    messages = await bot.server.wait_for_messages(alice.id, before + 1)
    assert any(content.text("unsupported", "en") in m["text"] for m in messages[before:])


async def test_an_edited_message_gets_a_kind_reply(bot: Running, content: Content) -> None:
    """Editing a sent message is not read as a new request: the person is told what the bot can read."""
    alice = bot.server.person(1001)
    sent = alice.send("/start")
    before = len(await bot.server.wait_for_messages(alice.id, 1))
    alice.edit(sent["message_id"], "/menu")
    messages = await bot.server.wait_for_messages(alice.id, before + 1)
    assert any(content.text("unsupported", "en") in m["text"] for m in messages[before:])


@pytest.mark.parametrize("data", ["000000|main.menu|0", "garbage", "x" * 64])
async def test_a_stale_or_tampered_button_gets_a_calm_answer(bot: Running, content: Content, data: str) -> None:
    """A button from older flows or with tampered data is answered and shown where things are now."""
    alice = bot.server.person(1001)
    alice.send("/start")
    before = len(await bot.server.wait_for_messages(alice.id, 1))
    alice.tap(data)
    messages = await bot.server.wait_for_messages(alice.id, before + 1)
    assert content.text("stale_button", "en") in shown(messages[before:])
    await bot.server.wait_for_call("answerCallbackQuery")


async def test_two_429s_then_success_delivers_the_reply_once(bot: Running, content: Content) -> None:
    """A reply refused twice with 429 is sent after retry_after, once, with nothing lost."""
    alice = bot.server.person(1001)
    bot.server.fail("sendMessage", 429, retry_after=1, times=2)
    alice.send("/start")
    expected = Mirror(content).feed("start")
    messages = await bot.server.wait_for_messages(alice.id, len(expected), within=10)
    assert shown(messages) == [r.text for r in expected]
    statuses = [c.status for c in bot.server.calls if c.method == "sendMessage"]
    assert statuses[:2] == [429, 429]
    assert statuses[2:] == [200] * len(expected)


async def test_server_errors_and_timeouts_are_retried(bot: Running, content: Content) -> None:
    """A 502, a 500 and a timeout in a row are retried with backoff until the reply goes out."""
    alice = bot.server.person(1001)
    bot.server.fail("sendMessage", 502)
    bot.server.fail("sendMessage", 500)
    bot.server.fail("sendMessage", "timeout", delay=2.0)
    alice.send("/start")
    expected = Mirror(content).feed("start")
    messages = await bot.server.wait_for_messages(alice.id, len(expected), within=10)
    assert shown(messages) == [r.text for r in expected]


async def test_a_reply_kept_through_an_outage_is_sent_when_telegram_recovers(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """When every retry fails, the reply stays queued and goes out later, though the person writes nothing."""
    running = await start_bot(botapi, tmp_path / "data", content, housekeeping_every=0.2)
    try:
        alice = botapi.person(1001)
        botapi.fail("sendMessage", 502, times=FAST.attempts)
        alice.send("/start")
        expected = Mirror(content).feed("start")
        messages = await botapi.wait_for_messages(alice.id, len(expected), within=10)
        assert shown(messages) == [r.text for r in expected]
        await asyncio.sleep(0.2)
        assert await running.edge.store.outbox() == []
    finally:
        await running.halt()


async def test_polling_survives_server_errors_and_conflicts(bot: Running, content: Content) -> None:
    """getUpdates failing with 502 and then 409 is retried with backoff, and people are answered after."""
    alice = bot.server.person(1001)
    bot.server.fail("getUpdates", 502)
    bot.server.fail("getUpdates", 409, description="Conflict: terminated by other getUpdates request")
    alice.send("/start")
    count = len(await bot.server.wait_for_messages(alice.id, 1))
    await bot.server.wait_for(lambda: len(bot.server.calls_to("getUpdates", ok=False)) == 2)
    alice.send("/menu")
    await bot.server.wait_for_messages(alice.id, count + 1, within=10)


async def test_a_403_marks_the_session_inactive_and_a_return_revives_it(bot: Running, content: Content) -> None:
    """A person who blocked the bot is marked inactive; when they write again, they are answered."""
    alice = bot.server.person(1001)
    bot.server.fail("sendMessage", 403)
    alice.send("/start")
    await bot.server.wait_for(lambda: bool(bot.server.calls_to("sendMessage", ok=False)))
    await asyncio.sleep(0.2)
    assert (await bot.session(alice)).mode == "inactive"
    assert await bot.edge.store.outbox() == []
    alice.send("/menu")
    await bot.server.wait_for_messages(alice.id, 1)
    await asyncio.sleep(0.1)
    assert (await bot.session(alice)).mode == "flow"


async def test_blocking_the_bot_marks_the_session_inactive(bot: Running) -> None:
    """Telegram's my_chat_member "kicked" for a private chat marks the person inactive."""
    alice = bot.server.person(1001)
    alice.send("/start")
    await bot.server.wait_for_messages(alice.id, 1)
    alice.block()
    await asyncio.sleep(0.3)
    assert (await bot.session(alice)).mode == "inactive"


async def test_a_flood_gets_one_slow_down_while_others_are_answered(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """Thirty messages at once from one person get a few answers and one "slow down"; another is answered."""
    running = await start_bot(botapi, tmp_path / "data", content, flood=FloodGate(burst=3, per_second=0.5))
    try:
        alice, bob = botapi.person(1001), botapi.person(1002)
        for i in range(30):
            alice.send(f"help {i}")
        bob.send("/start")
        started = asyncio.get_running_loop().time()
        await botapi.wait_for_messages(bob.id, len(Mirror(content).feed("start")))
        assert asyncio.get_running_loop().time() - started < 3
        await botapi.wait_for(lambda: botapi.pending_updates() == 0)
        await asyncio.sleep(0.3)
        texts = shown(botapi.messages(alice.id))
        assert texts.count(content.text("slow_down", "en")) == 1
        assert len(texts) < 30
    finally:
        await running.halt()


async def test_danger_words_and_taps_get_through_a_flood(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """In the middle of a burst that the flood gate holds back, words that may mean danger are still answered
    with 911 at once, and /forget is never dropped."""
    running = await start_bot(botapi, tmp_path / "data", content, flood=FloodGate(burst=2, per_second=0.1))
    try:
        alice = botapi.person(1001)
        for i in range(12):
            alice.send(f"hello {i}")
        alice.send("he is going to kill me")
        alice.send("/forget")
        await botapi.wait_for(lambda: botapi.pending_updates() == 0)
        await botapi.wait_for(lambda: any("911" in (m.get("text") or "") for m in botapi.messages(alice.id)))
        # as shown without a warm line: its {topics_forget} sentence goes (bot.conversation.engine)
        forget = without_topic_blanks(content.flows.nodes[content.flows.entry("forget")].say.get("en"))
        await botapi.wait_for(lambda: any((m.get("text") or "") == forget for m in botapi.messages(alice.id)))
    finally:
        await running.halt()


async def test_a_french_speaker_is_answered_in_french(bot: Running, content: Content) -> None:
    """language_code "fr-CA" gets the French flow, and the command menu is registered in every language."""
    amelie = bot.server.person(1003, language_code="fr-CA")
    expected = Mirror(content, "fr-CA").feed("start")
    amelie.send("/start")
    messages = await bot.server.wait_for_messages(amelie.id, len(expected))
    assert shown(messages) == [r.text for r in expected]
    assert (await bot.session(amelie)).language == "fr"
    menus = {c.params.get("language_code"): c.params["commands"] for c in bot.server.calls_to("setMyCommands")}
    assert set(menus) == {None, *content.languages}
    assert menus["fr"] == [{"command": c, "description": d} for c, d in content.commands("fr")]


async def test_polling_removes_a_webhook_but_keeps_pending_updates(bot: Running) -> None:
    """Starting to poll deletes any webhook (else getUpdates fails with 409) without dropping updates."""
    (call,) = bot.server.calls_to("deleteWebhook")
    assert call.params.get("drop_pending_updates") in (None, False)


async def test_group_chats_are_ignored(bot: Running) -> None:
    """A message in a group is not answered by the person flow."""
    group = bot.server.group(-100200)
    person = bot.server.person(1001)
    group.send("hello", from_user=person.user)
    person.send("/start")
    await bot.server.wait_for_messages(person.id, 1)
    assert bot.server.messages(group.id) == []


async def test_a_restart_keeps_sessions_and_answers_redelivered_updates_once(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """After a restart, Telegram offering every old update again gets no second answer, and the person carries
    on from where they were."""
    alice, mirror = botapi.person(1001), Mirror(content)
    running = await start_bot(botapi, tmp_path / "data", content)
    expected = [r.text for r in mirror.feed("start")]
    alice.send("/start")
    messages = await botapi.wait_for_messages(alice.id, len(expected))
    running.stop.set()
    await asyncio.wait_for(running.task, 10)

    running = await start_bot(botapi, tmp_path / "data", content)
    try:
        botapi.redeliver_all()
        await botapi.wait_for(lambda: botapi.pending_updates() == 0)
        option = callback_data(messages[-1])[0]
        expected += [r.text for r in mirror.feed("option", data=option)]
        alice.tap(option)
        await botapi.wait_for_messages(alice.id, len(expected))
        await asyncio.sleep(0.2)
        assert shown(botapi.messages(alice.id)) == expected
    finally:
        await running.halt()


async def test_forget_deletes_the_chat_and_every_row(bot: Running, content: Content) -> None:
    """/forget then "yes" deletes the chat's messages on the phone and everything stored about the person."""
    alice, mirror = bot.server.person(1001), Mirror(content)
    for command in ("/start", "/forget"):
        want = len(bot.server.messages(alice.id)) + len(
            mirror.feed("command" if command != "/start" else "start", text=command[1:])
        )
        alice.send(command)
        await bot.server.wait_for_messages(alice.id, want)
    erase = callback_data(bot.server.messages(alice.id)[-1])[0]
    alice.tap(erase)
    await bot.server.wait_for_call("deleteMessages")
    await asyncio.sleep(0.3)
    person = bot.edge.store.person_key(alice.id)
    assert await bot.edge.store.load_session(person) is None
    assert await bot.edge.store.sent_messages(person, datetime(2000, 1, 1, tzinfo=UTC)) == []
    assert len(bot.server.messages(alice.id)) <= 1  # at most the goodbye, which holds nothing about them


async def test_logs_have_one_line_per_update_and_no_text_or_ids(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    """Each update logs its kind, outcome and time, never the words, a Telegram identifier or the token."""
    configure_logging()  # as `run` does: the HTTP and library loggers hold URLs (the token) and update contents
    caplog.set_level(logging.INFO)
    alice = bot.server.person(987654321)
    alice.send("/start")
    await bot.server.wait_for_messages(alice.id, 1)
    alice.send("my boss keeps my passport zanzibar")
    await bot.server.wait_for_messages(alice.id, 2)
    await asyncio.sleep(0.2)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.channels.telegram.edge"]
    assert len([line for line in lines if line.startswith("update kind=")]) == 2
    person = bot.edge.store.person_key(alice.id)
    for record in caplog.records:
        text = record.getMessage()
        assert "zanzibar" not in text
        assert "987654321" not in text
        assert person[:8] not in text
        assert bot.server.token not in text


async def test_a_rejected_token_stops_polling(botapi: BotApiServer, tmp_path: Path, content: Content) -> None:
    """A token revoked while running stops the bot with InvalidToken instead of leaving it deaf."""
    running = await start_bot(botapi, tmp_path / "data", content)
    botapi.revoke_token()
    botapi.person(1001).send("/start")
    with pytest.raises(InvalidToken):
        await asyncio.wait_for(running.task, 10)


def test_only_private_chats_make_events() -> None:
    """event_from_update ignores group messages and reads commands, text and taps in private chats."""
    from telegram import Update

    def update(chat_type: str, **message: Any) -> Update:
        chat = {"id": 5, "type": chat_type}
        msg = {
            "message_id": 1,
            "date": 0,
            "chat": chat,
            "from": {"id": 5, "is_bot": False, "first_name": "A", "language_code": "fr"},
            **message,
        }
        return Update.de_json({"update_id": 1, "message": msg}, None)

    assert event_from_update(update("group", text="hi")) is None
    assert event_from_update(update("private", text="/start x")) == Event("start", language_hint="fr")
    assert event_from_update(update("private", text="/Menu@navigator_bot")) == Event(
        "command", text="menu", language_hint="fr"
    )
    assert event_from_update(update("private", text="hi")) == Event("text", text="hi", language_hint="fr")
    assert event_from_update(update("private", text="/ ")) == Event("command", text="", language_hint="fr")


@pytest.mark.parametrize(("rate", "limited"), [(30.0, True), (0.0, False)])
def test_application_follows_the_settings(rate: float, limited: bool) -> None:
    """TELEGRAM_BASE_URL sets the API and file URLs; TELEGRAM_RATE_LIMIT=0 turns the overall limiter off."""
    from telegram.ext import AIORateLimiter

    settings = Settings(token="123456:TEST", base_url="http://127.0.0.1:8081/bot", rate_limit=rate)
    application = build_application(settings)
    assert application.bot.base_url == "http://127.0.0.1:8081/bot123456:TEST"
    assert application.bot.base_file_url == "http://127.0.0.1:8081/file/bot123456:TEST"
    assert isinstance(application.bot.rate_limiter, AIORateLimiter) is limited
    assert application.updater is None  # polling is our own loop, which confirms updates only once handled
