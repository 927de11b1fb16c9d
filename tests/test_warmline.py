"""The warm line end to end: the real python-telegram-bot Application (bot.channels.telegram.edge.serve with
bot.channels.telegram.warmline as its handoff) against the stand-in Bot API server, with people in private chats
and supporters in a forum group.

Every test also checks anonymity over every call the bot made (see `assert_anonymous`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import opening_hours
import pytest
from botapi import BotApiServer, Chat
from running import shipped_warmline

from bot.channels.telegram.delivery import RetryPolicy
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.channels.telegram.warmline import Warmline
from bot.content.loader import Content
from bot.core.types import Session
from bot.settings import Settings
from bot.warmline.rules import WarmlineText

FLOWS, RESOURCES = Settings.from_environ(os.environ, dotenv=Path("/nonexistent")).flows_dir, Settings().resources_dir
FAST = RetryPolicy(first_delay=0.05, attempts=4)
GROUP, GROUP2 = -100500, -100600
SAM = {"id": 501, "is_bot": False, "first_name": "Samantha", "username": "sam_real_name"}
RIO = {"id": 502, "is_bot": False, "first_name": "Riordan", "username": "rio_real_name"}
PEOPLE = {1001: ("Alicia", "alicia_private"), 1002: ("Bernardo", "bernardo_private"), 1003: ("Chiamaka", "chi_x")}
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return shipped_warmline()


def always_open(text: WarmlineText, hours: str = "24/7") -> WarmlineText:
    return dataclasses.replace(text, hours=hours, schedule=opening_hours.OpeningHours(hours))


@dataclass
class Bot:
    server: BotApiServer
    edge: Edge
    warm: Warmline
    task: asyncio.Task[None]
    stop: asyncio.Event

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


async def start(
    server: BotApiServer,
    tmp_path: Path,
    content: Content,
    text: WarmlineText,
    *,
    groups: tuple[int, ...] = (GROUP,),
    per_minute: int = 0,
    burst: int = 4,
    flows: Path = FLOWS,
    extra: dict[str, str] | None = None,
    watch: bool = False,
) -> Bot:
    settings = Settings(
        token=server.token,
        base_url=server.base_url,
        data_dir=tmp_path / "data",
        rate_limit=0,
        flows_dir=flows,
        resources_dir=RESOURCES,
        warmline_chat_ids=groups,
        keep_topics=(extra or {}).get("WARMLINE_KEEP_TOPICS") == "1",
        extra=extra or {},
    )
    warm = Warmline(text, per_minute=per_minute, burst=burst, tick=0)
    edge = Edge(settings, content, warm, policy=FAST)
    stop = asyncio.Event()
    before = len(server.calls_to("setMyCommands"))
    task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, read_timeout=2.0, edge=edge, watch=watch))
    await server.wait_for_call("setMyCommands", before + 1 + len(content.languages))
    return Bot(server, edge, warm, task, stop)


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText) -> AsyncIterator[Bot]:
    running = await start(botapi, tmp_path, content, always_open(words))
    yield running
    await running.halt()
    assert_anonymous(botapi)


def person(server: BotApiServer, user_id: int, lang: str = "en") -> Chat:
    first, username = PEOPLE[user_id]
    chat = server.person(user_id, language_code=lang, first_name=first)
    assert chat.user is not None
    chat.user["username"] = username
    chat.chat["username"] = username
    return chat


def assert_anonymous(server: BotApiServer) -> None:
    """Nothing sent to a group names a person; nothing sent to a person names a supporter; never a forward."""
    assert not [c for c in server.calls if c.method.startswith("forwardMessage")]
    person_marks = [str(i) for i in PEOPLE] + [w for pair in PEOPLE.values() for w in pair]
    supporter_marks = [str(SAM["id"]), str(RIO["id"]), "Samantha", "sam_real_name", "Riordan", "rio_real_name"]
    for call in server.calls:
        chat = call.params.get("chat_id")
        # copyMessage must name the chat it copies from: that is the API's address, not content anyone sees
        shown = repr({k: v for k, v in call.params.items() if k not in ("chat_id", "from_chat_id")})
        if isinstance(chat, int) and chat < 0:
            assert not [m for m in person_marks if m in shown], (call.method, shown)
        elif isinstance(chat, int):
            assert not [m for m in supporter_marks if m in shown], (call.method, shown)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def texts(server: BotApiServer, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in server.messages(chat_id)]


async def wait_text(server: BotApiServer, chat_id: int, needle: str, within: float = 5.0) -> dict[str, Any]:
    """The bot's latest message in `chat_id` containing `needle`, once it has been sent."""
    await server.wait_for(lambda: any(needle in m.get("text", "") for m in server.messages(chat_id)), within)
    return [m for m in server.messages(chat_id) if needle in m.get("text", "")][-1]


async def ask(server: BotApiServer, who: Chat, words: WarmlineText) -> dict[str, Any]:
    """The person asks for a person (/talk, then the connect button); returns their place-in-line message."""
    await talk(server, who)
    lang = (who.user or {}).get("language_code", "en")
    return await wait_text(server, who.id, words.say("queued", lang, position="X", wait="Y").split("X")[0])


async def talk(server: BotApiServer, who: Chat) -> None:
    """/start, /talk, then the "connect me" button."""
    who.send("/start")
    await server.wait_for_messages(who.id, 1)
    who.send("/talk")

    def intro() -> dict[str, Any] | None:
        return next(
            (m for m in server.messages(who.id) if any(d.endswith("talk.intro|0") for _, d in buttons(m))), None
        )

    await server.wait_for(lambda: intro() is not None)
    shown = intro()
    assert shown is not None
    who.tap(next(d for _, d in buttons(shown) if d.endswith("talk.intro|0")), shown["message_id"])


def topic_of(server: BotApiServer, n: int) -> int:
    """The thread id of the n-th topic the bot created (1-based)."""
    return int(server.calls_to("createForumTopic")[n - 1].params.get("_thread", 99 + n))


def card_for(server: BotApiServer, thread: int) -> dict[str, Any]:
    """The topic's card with buttons (not the wrap-up after End, which has buttons too)."""
    return next(
        m
        for m in server.messages(GROUP)
        if m.get("message_thread_id") == thread and buttons(m) and not any("|wrap|" in d for _, d in buttons(m))
    )


async def on_duty(server: BotApiServer, *supporters: dict[str, Any], group: int = GROUP) -> None:
    chat = server.group(group)
    for who in supporters:
        before = len(server.messages(group))
        chat.send("/onduty", from_user=who)
        await server.wait_for_messages(group, before + 1)


def copies_to(server: BotApiServer, chat_id: int) -> list[dict[str, Any]]:
    return [c.params for c in server.calls_to("copyMessage") if c.params["chat_id"] == chat_id]


async def test_two_supporters_three_people_take_relay_media_and_end(bot: Bot, words: WarmlineText) -> None:
    """Three requests open three topics; the first Take wins; text and media go both ways by copy; /end closes
    warmly with a one-tap "did this help?" that is counted anonymously."""
    server = bot.server
    await on_duty(server, SAM, RIO)
    alice, bern, chi = person(server, 1001), person(server, 1002, "es"), person(server, 1003, "fr")
    for who in (alice, bern, chi):
        await ask(server, who, words)
    await server.wait_for_call("createForumTopic", 3)
    names = [c.params["name"] for c in server.calls_to("createForumTopic")]
    assert [n.split(" · ")[1:] for n in names] == [["en", "talk"], ["es", "talk"], ["fr", "talk"]]
    group = server.group(GROUP)
    threads = [100, 101, 102]
    cards = [card_for(server, t) for t in threads]
    takes = [buttons(card)[0][1] for card in cards]
    group.tap(takes[0], cards[0]["message_id"], from_user=SAM)
    await wait_text(server, alice.id, "Peer supporter is here")
    group.tap(takes[0], cards[0]["message_id"], from_user=RIO)  # too late
    group.tap(takes[1], cards[1]["message_id"], from_user=RIO)
    await wait_text(server, bern.id, "contigo")
    await server.wait_for(
        lambda: any(
            c.params.get("text") == words.staff_say("taken_already") for c in server.calls_to("answerCallbackQuery")
        )
    )
    assert "Peer supporter" in (server.message(GROUP, cards[0]["message_id"]) or {})["text"]
    # the person -> the topic, each kind, in order
    alice.send("hello, is anyone there?")
    alice.photo()
    alice.voice()
    alice.document()  # a file waits until the person confirms what the supporter will see
    asked = await wait_text(server, alice.id, words.say("share_document", "en"))
    alice.tap(buttons(asked)[0][1], asked["message_id"])
    alice.sticker()
    await server.wait_for(lambda: len([c for c in server.calls_to("copyMessage") if c.params["chat_id"] == GROUP]) >= 5)
    into = [c for c in copies_to(server, GROUP)]
    assert [c["message_thread_id"] for c in into] == [100] * 5
    assert [c["message_id"] for c in into] == sorted(c["message_id"] for c in into)
    bern.send("hola")
    await server.wait_for(lambda: any(c["message_thread_id"] == 101 for c in copies_to(server, GROUP)))
    # the supporter -> the person, each kind; another supporter's words in the topic do not go through
    group.send("Hi, I'm here. Take your time.", from_user=SAM, thread_id=100)
    group.photo(from_user=SAM, thread_id=100)
    group.voice(from_user=SAM, thread_id=100)
    group.document(from_user=SAM, thread_id=100)
    group.sticker(from_user=SAM, thread_id=100)
    group.send("not my conversation", from_user=RIO, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) >= 5)
    await asyncio.sleep(0.3)
    assert len(copies_to(server, alice.id)) == 5
    assert all(c["from_chat_id"] == GROUP for c in copies_to(server, alice.id))
    await wait_text(server, GROUP, words.staff_say("not_yours"))  # the other supporter is told, not ignored
    group.send("/end", from_user=SAM)  # in General: told where /end works
    await wait_text(server, GROUP, words.staff_say("topic_only", command="end"))
    # chi is still waiting, was never relayed to anyone, and her place in line moved up from 3 to 1
    assert not copies_to(server, chi.id)
    await wait_text(server, chi.id, words.say("queued", "fr", position=1, wait=words.say("wait_soon", "fr")))
    group.send("/end", from_user=SAM, thread_id=100)
    helped = await wait_text(server, alice.id, words.say("helped", "en"))
    await server.wait_for_call("closeForumTopic")
    assert server.calls_to("closeForumTopic")[0].params["message_thread_id"] == 100
    alice.tap(buttons(helped)[0][1], helped["message_id"])
    await wait_text(server, alice.id, words.say("thanks", "en"))
    assert not buttons(server.message(alice.id, helped["message_id"]) or {})
    counts = {name: n for _, name, n in await bot.edge.store.counts()}
    assert counts["warmline_helped:yes"] == 1
    assert counts["warmline_taken"] == 2
    alice.send("back in the flow now")
    await server.wait_for(lambda: len(server.messages(alice.id)) > len(texts(server, alice.id)) - 1)
    await asyncio.sleep(0.3)
    assert len(copies_to(server, GROUP)) == 6  # nothing more went to the group


async def test_release_puts_the_person_back_for_someone_else(bot: Bot, words: WarmlineText) -> None:
    """Release puts the card back to Take and tells the person; another supporter can then take them."""
    server = bot.server
    await on_duty(server, SAM, RIO)
    alice = person(server, 1001)
    await ask(server, alice, words)
    group = server.group(GROUP)
    card = card_for(server, 100)
    group.tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    await server.wait_for(lambda: len(buttons(server.message(GROUP, card["message_id"]) or {})) == 2)
    release = buttons(server.message(GROUP, card["message_id"]) or {})[0][1]
    group.tap(release, card["message_id"], from_user=RIO)  # not theirs to release (and not an admin)
    await server.wait_for(
        lambda: any(
            c.params.get("text") == words.staff_say("holder_only") for c in server.calls_to("answerCallbackQuery")
        )
    )
    group.tap(release, card["message_id"], from_user=SAM)
    await wait_text(server, alice.id, words.say("released", "en"))
    await server.wait_for(lambda: len(buttons(server.message(GROUP, card["message_id"]) or {})) == 1)
    group.tap(buttons(server.message(GROUP, card["message_id"]) or {})[0][1], card["message_id"], from_user=RIO)
    await server.wait_for(lambda: len([t for t in texts(server, alice.id) if "is here with you" in t]) == 2)


async def test_cancel_while_waiting(bot: Bot, words: WarmlineText) -> None:
    """Cancel under the place-in-line message ends the request and closes its topic."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    waiting = await ask(server, alice, words)
    server.group(GROUP).send("/offduty", from_user=SAM)  # nobody left on duty: the wait is not guessed
    place = words.say("place", "en", position=1)  # the consent screen gave the lines already: wait for the edit
    await server.wait_for(lambda: place in (server.message(alice.id, waiting["message_id"]) or {}).get("text", ""))
    assert words.say("place", "en", position=1) in (server.message(alice.id, waiting["message_id"]) or {})["text"]
    alice.tap(buttons(waiting)[0][1], waiting["message_id"])
    await wait_text(server, alice.id, words.say("cancelled", "en"))
    await server.wait_for_call("closeForumTopic")
    assert await bot.edge.store.handoffs() == []


async def test_nobody_on_duty_gives_the_lines_and_a_message_is_answered_later(bot: Bot, words: WarmlineText) -> None:
    """With nobody on duty the person is told plainly, given the 24/7 lines, and may leave a message; a supporter
    answers it later in its topic and the answer reaches the person's chat."""
    server = bot.server
    alice = person(server, 1001)
    await talk(server, alice)
    # the consent screen already said nobody is free (Event.line, issue 13); the offer after "connect me" says it too
    offer = await wait_text(server, alice.id, words.say("nobody", "en"))
    assert "211" in offer["text"]
    assert "911" in offer["text"]
    alice.tap(buttons(offer)[0][1], offer["message_id"])
    await wait_text(server, alice.id, words.say("leave_prompt", "en"))
    alice.send("I need advice about my work permit")
    saved = await wait_text(server, alice.id, words.say("part_saved", "en"))  # a message may come in parts
    alice.tap(buttons(saved)[0][1], saved["message_id"])
    await wait_text(server, alice.id, words.say("left", "en"))
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    thread = copies_to(server, GROUP)[0]["message_thread_id"]
    card = next(m for m in server.messages(GROUP) if m.get("message_thread_id") == thread)
    assert "out of hours" in card["text"]
    alice.send("more words after the message")  # back in the flow: not relayed
    await asyncio.sleep(0.5)
    assert len(copies_to(server, GROUP)) == 1
    server.group(GROUP).send("Thank you for writing. Here is what you can do...", from_user=RIO, thread_id=thread)
    await wait_text(server, alice.id, words.say("answer_intro", "en"))
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 1)
    await wait_text(server, GROUP, "Delivered to Guest")


async def test_out_of_hours_says_so_with_the_hours(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """Outside the warm line's hours the person is told so in plain words (as service cards say hours, never the
    raw schedule), with the 24/7 lines."""
    running = await start(botapi, tmp_path, content, always_open(words, "Mo-Su off"))
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await talk(botapi, alice)
        offer = await wait_text(botapi, alice.id, "1-833-900-1010")
        assert "Closed now" in offer["text"]
        assert "Mo-Su" not in offer["text"]
        assert not botapi.calls_to("createForumTopic")
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_restart_mid_handoff_loses_and_doubles_nothing(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """A restart mid-conversation: messages sent while the bot was down arrive once, and updates offered again
    after the restart are not relayed twice."""
    running = await start(botapi, tmp_path, content, always_open(words))
    await on_duty(botapi, SAM)
    alice = person(botapi, 1001)
    await ask(botapi, alice, words)
    group = botapi.group(GROUP)
    card = card_for(botapi, 100)
    group.tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    await wait_text(botapi, alice.id, "is here with you")
    alice.send("first")
    await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 1)
    botapi.hold("copyMessage")  # the bot stops while relaying this one
    alice.send("in flight when the bot stopped")
    await botapi.wait_for(lambda: botapi.held.get("copyMessage", 0) == 1)
    await running.halt()
    alice.send("second, while the bot was down")
    group.send("reply while down", from_user=SAM, thread_id=100)
    botapi.release("copyMessage")
    running = await start(botapi, tmp_path, content, always_open(words))
    try:
        await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 3 and len(copies_to(botapi, alice.id)) == 1)
        botapi.redeliver_all()
        alice.send("third")
        await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 4)
        await asyncio.sleep(0.5)
        assert len(copies_to(botapi, GROUP)) == 4
        assert len(copies_to(botapi, alice.id)) == 1
        ids = [c["message_id"] for c in copies_to(botapi, GROUP)]
        assert ids == sorted(ids)
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_a_person_who_blocked_the_bot_closes_the_topic(bot: Bot, words: WarmlineText) -> None:
    """When the person has blocked the bot (403), the supporter is told in the topic and the topic closes."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ask(server, alice, words)
    card = card_for(server, 100)
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    await wait_text(server, alice.id, "is here with you")
    server.fail("copyMessage", 403, description="Forbidden: bot was blocked by the user")
    server.group(GROUP).send("are you still there?", from_user=SAM, thread_id=100)
    await wait_text(server, GROUP, "blocked the bot")
    await server.wait_for_call("closeForumTopic")
    assert await bot.edge.store.handoffs() == []


async def test_a_deleted_topic_is_opened_again_and_the_message_arrives_there(bot: Bot, words: WarmlineText) -> None:
    """Staff deleted the topic (thread not found): a new topic opens for the same person, with its card and a
    note that earlier history was lost, and the message that hit the gone topic arrives in the new one."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ask(server, alice, words)
    server.fail("copyMessage", 400, description="Bad Request: message thread not found")
    alice.send("hello?")
    await server.wait_for_call("createForumTopic", 2)
    await server.wait_for(lambda: any(c["message_thread_id"] == 101 for c in copies_to(server, GROUP)))
    assert card_for(server, 101)
    assert any(m.get("message_thread_id") == 101 and "deleted" in m.get("text", "") for m in server.messages(GROUP))
    assert words.say("topic_gone", "en") not in texts(server, alice.id)


async def test_danger_words_mark_the_topic_urgent_and_reach_the_engine(
    bot: Bot, words: WarmlineText, content: Content
) -> None:
    """Danger words during a handoff are relayed, mark the topic ⚠ with a note, and the person still gets the
    danger screen from the flows."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ask(server, alice, words)
    phrase = content.danger.of("danger", "en")[0]
    before = len(server.messages(alice.id))
    alice.send(f"please help {phrase}")
    await server.wait_for_call("editForumTopic")
    assert server.calls_to("editForumTopic")[0].params["name"].startswith("⚠")
    await wait_text(server, GROUP, "⚠ Guest")
    await server.wait_for_messages(alice.id, before + 1)
    assert copies_to(server, GROUP)


async def test_forget_closes_the_handoff_and_leaves_no_row_when_staff_keep_topics(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """WARMLINE_KEEP_TOPICS=1: /forget during a handoff tells the topic, closes it (never deletes it), and leaves
    nothing about the person. (Without the setting the topic is deleted: tests/test_warmline_forget.py.)"""
    running = await start(botapi, tmp_path, content, always_open(words), extra={"WARMLINE_KEEP_TOPICS": "1"})
    try:
        server = botapi
        await on_duty(server, SAM)
        alice = person(server, 1001)
        await ask(server, alice, words)
        alice.send("/forget")
        confirm = await wait_text(server, alice.id, "Erase this chat?")
        alice.tap(next(d for _, d in buttons(confirm) if d.endswith("|0")), confirm["message_id"])
        await wait_text(server, GROUP, "erased their chat")
        await server.wait_for_call("closeForumTopic")
        await server.wait_for_call("deleteMessages")
        assert await running.edge.store.handoffs() == []
        assert not server.calls_to("deleteForumTopic")
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_silence_then_idle(bot: Bot, words: WarmlineText) -> None:
    """A silent supporter: the person is offered to wait, reconnect or leave a message; later, idle ends gently."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ask(server, alice, words)
    card = card_for(server, 100)
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    await wait_text(server, alice.id, "is here with you")
    alice.send("are you there?")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    now = bot.edge.clock()
    await bot.warm.tick(now + timedelta(minutes=words.silence_minutes + 1))
    await wait_text(server, alice.id, words.say("silence", "en"))
    await bot.warm.tick(now + timedelta(minutes=words.idle_minutes + 1))
    await wait_text(server, alice.id, words.say("idle_end", "en"))
    assert await bot.edge.store.handoffs() == []


async def test_a_burst_of_30_stays_under_the_group_limit_in_order(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """30 messages in a burst: all reach the topic, in order, merged so the group never gets more than 20
    sends in a minute."""
    running = await start(botapi, tmp_path, content, always_open(words), per_minute=20)
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await ask(botapi, alice, words)
        card = card_for(botapi, 100)
        botapi.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
        await wait_text(botapi, alice.id, "is here with you")
        for n in range(30):
            alice.send(f"line {n:02d}")

        def arrived() -> list[str]:
            found: list[str] = []
            for call in botapi.calls:
                if call.params.get("chat_id") != GROUP or call.params.get("message_thread_id") != 100:
                    continue
                if call.method == "copyMessage":
                    found.append(f"#{call.params['message_id']}")
                elif call.method == "sendMessage" and "line " in call.params["text"]:
                    found += call.params["text"].split("\n\n")
            return found

        await botapi.wait_for(lambda: len(arrived()) == 30, within=40)
        copied = {c.params["message_id"]: None for c in botapi.calls_to("copyMessage")}
        assert len(arrived()) == 30
        assert len(copied) <= 30
        sends = sorted(
            c.at
            for c in botapi.calls
            if c.params.get("chat_id") == GROUP and c.method in ("sendMessage", "copyMessage", "createForumTopic")
        )
        assert all(sum(1 for t in sends if s <= t < s + 60) <= 20 for s in sends)
        relays = [
            c
            for c in botapi.calls
            if c.params.get("message_thread_id") == 100
            and (c.method == "copyMessage" or "line " in c.params.get("text", ""))
        ]
        assert len(relays) < 30  # some waited for the pacer and went out merged
        merged = [t for t in arrived() if not t.startswith("#")]
        assert merged == sorted(merged)
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_requests_spread_over_several_groups(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """With two groups, a request goes to the group with room: the one whose supporters are on duty and free."""
    running = await start(botapi, tmp_path, content, always_open(words), groups=(GROUP, GROUP2))
    try:
        await on_duty(botapi, RIO, group=GROUP2)
        alice = person(botapi, 1001)
        await ask(botapi, alice, words)
        await botapi.wait_for_call("createForumTopic")
        assert botapi.calls_to("createForumTopic")[0].params["chat_id"] == GROUP2
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_without_a_warm_line_group_the_person_gets_the_24_7_lines(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """WARMLINE_CHAT_ID unset: asking for a person says so plainly and gives the 24/7 lines."""
    running = await start(botapi, tmp_path, content, always_open(words), groups=())
    try:
        alice = person(botapi, 1001)
        await talk(botapi, alice)  # the consent screen said so already (Event.line "off"); then once more
        shown = await wait_text(botapi, alice.id, words.say("not_set_up", "en"))
        assert "1-833-900-1010" in shown["text"]
        assert not botapi.calls_to("createForumTopic")
    finally:
        await running.halt()
    assert_anonymous(botapi)


# -- follow-ups: can't talk now, mute, deleted topics, /stats, /reload, --watch, the long wait ---------------


def admins(server: BotApiServer, *who: dict[str, Any]) -> None:
    """getChatMember answers "creator" for `who` and "member" for everyone else."""
    ids = {w["id"] for w in who}

    def member(params: dict[str, Any]) -> dict[str, Any]:
        user = {"id": params["user_id"], "is_bot": False, "first_name": "Staff"}
        if params["user_id"] in ids:
            return {"status": "creator", "user": user, "is_anonymous": False}
        return {"status": "member", "user": user}

    server.responders["getChatMember"] = member


async def taken(
    server: BotApiServer, who: Chat, words: WarmlineText, supporter: dict[str, Any] = SAM, thread: int = 100
) -> None:
    """`who` asks for a person and `supporter` takes them."""
    await ask(server, who, words)
    card = card_for(server, thread)
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=supporter)
    lang = (who.user or {}).get("language_code", "en")
    await wait_text(server, who.id, words.say("connected", lang, supporter="X").split("X")[1][:12])


async def counted(bot: Bot) -> dict[str, int]:
    await bot.edge.flush_counts()
    found: dict[str, int] = {}
    for _, name, n in await bot.edge.store.counts():
        found[name] = found.get(name, 0) + n
    return found


async def test_cant_talk_now_tells_the_supporter_and_the_message_still_goes(
    bot: Bot, words: WarmlineText, content: Content
) -> None:
    """Typing "can't talk" during a handoff posts the privacy words' note in the topic, relays the message and
    turns the person's screens short; "back to normal" posts the other note."""
    server = bot.server
    assert content.privacy is not None
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    alice.send("can't talk")
    await wait_text(server, GROUP, content.privacy.text("brief_supporter", "en"))
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    session = Session.from_dict(await bot.edge.store.load_session(bot.edge.store.person_key(1001)) or {})
    assert session.brief
    assert session.mode == "handoff"
    alice.tap(f"{content.version[:6]}|safety.brief|0")  # "Back to normal"
    await wait_text(server, GROUP, content.privacy.text("brief_supporter_off", "en"))
    assert [
        m
        for m in server.messages(GROUP)
        if m.get("message_thread_id") == 100
        and m.get("text") == f"{words.staff_say('note_mark')}\n{content.privacy.text('brief_supporter', 'en')}"
    ]


async def test_a_supporter_mutes_a_flooding_person_for_a_while(bot: Bot, words: WarmlineText, content: Content) -> None:
    """/mute 45: the person's messages stop reaching the topic, the person is told once, calmly; danger words
    still come through (relayed, urgent); the supporter sees until when, never who; /unmute ends it."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001, "es")
    await taken(server, alice, words)
    group = server.group(GROUP)
    group.send("/mute 45", from_user=SAM, thread_id=100)
    note = await wait_text(server, GROUP, "muted until")
    assert re.search(r"muted until \d\d:\d\d \(45 min\)", note["text"])
    assert "Guest " in note["text"]
    for n in range(3):
        alice.send(f"again {n}")
    told = await wait_text(server, alice.id, words.say("muted", "es"))
    assert "911" in told["text"]
    await asyncio.sleep(0.5)
    assert not copies_to(server, GROUP)
    assert texts(server, alice.id).count(words.say("muted", "es")) == 1
    phrase = content.danger.of("danger", "es")[0]
    alice.send(f"ayuda {phrase}")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    await server.wait_for_call("editForumTopic")
    group.send("/unmute", from_user=SAM, thread_id=100)
    await wait_text(server, GROUP, words.staff_say("unmuted", alias="Guest").split("Guest")[-1].strip())
    alice.send("hola de nuevo")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 2)
    assert (await counted(bot))["warmline_muted"] == 1


async def test_forget_deletes_the_topic_when_staff_set_it(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """WARMLINE_DELETE_TOPICS=1 (obsolete: deleting is the default now) still deletes the person's topic on
    /forget (deleteForumTopic), never closing it first."""
    running = await start(botapi, tmp_path, content, always_open(words), extra={"WARMLINE_DELETE_TOPICS": "1"})
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await taken(botapi, alice, words)
        alice.send("/forget")
        confirm = await wait_text(botapi, alice.id, "Erase this chat?")
        alice.tap(next(d for _, d in buttons(confirm) if d.endswith("|0")), confirm["message_id"])
        deleted = await botapi.wait_for_call("deleteForumTopic")
        assert deleted[0].params == {"chat_id": GROUP, "message_thread_id": 100}
        await botapi.wait_for_call("deleteMessages")
        assert not botapi.calls_to("closeForumTopic")
        assert await running.edge.store.handoffs() == []
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_stats_for_group_admins_with_taken_missed_and_the_wait(bot: Bot, words: WarmlineText) -> None:
    """/stats from an admin posts the week's counts (requested, taken, missed, median wait) and the chart as a
    photo where it was asked; anyone else is told it is for admins; who is an admin is asked once a minute."""
    server = bot.server
    admins(server, SAM)
    await on_duty(server, SAM)
    alice, bern = person(server, 1001), person(server, 1002)
    await taken(server, alice, words)
    waiting = await ask(server, bern, words)
    bern.tap(buttons(waiting)[0][1], waiting["message_id"])  # cancelled before anyone took it
    await wait_text(server, bern.id, words.say("cancelled", "en"))
    group = server.group(GROUP)
    group.send("/stats", from_user=RIO)
    await wait_text(server, GROUP, words.staff_say("admins_only", command="stats"))
    group.send("/stats", from_user=SAM, thread_id=100)
    report = await wait_text(server, GROUP, "Anonymous counts")
    assert report.get("message_thread_id") == 100
    assert "Handoffs: requested 2, taken 1, missed 1" in report["text"]
    assert "Median wait for a person: 0 min" in report["text"]
    photo = (await server.wait_for_call("sendPhoto"))[0].params
    assert (photo["chat_id"], photo["message_thread_id"]) == (GROUP, 100)
    group.send("/stats", from_user=SAM)
    await server.wait_for_call("sendPhoto", 2)
    assert "message_thread_id" not in server.calls_to("sendPhoto")[1].params  # General
    assert [c.params["user_id"] for c in server.calls_to("getChatMember")] == [RIO["id"], SAM["id"]]
    found = await counted(bot)
    assert (found["handoff_taken"], found["handoff_missed"], found["handoff_wait_min:0"]) == (1, 1, 1)


def copy_flows(tmp_path: Path) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    return flows


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def test_reload_from_the_group_keeps_a_broken_edit_out_and_swaps_a_good_one(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """/reload (admins): a broken edit is reported file:line and the old content runs on; a good edit is
    swapped in, and the warm line's and the privacy words follow it."""
    flows = copy_flows(tmp_path)
    running = await start(botapi, tmp_path, content, always_open(words), flows=flows)
    try:
        admins(botapi, SAM)
        group = botapi.group(GROUP)
        group.send("/reload", from_user=RIO)
        await wait_text(botapi, GROUP, words.staff_say("admins_only", command="reload"))
        edit(flows / "warmline.yaml", 'hours: "', 'hours: "not hours at all; ')
        group.send("/reload", from_user=SAM)
        refused = await wait_text(botapi, GROUP, "Not reloaded")
        assert re.search(r"warmline\.yaml:\d+:\d+: ", refused["text"])
        assert running.edge.content is content
        edit(flows / "warmline.yaml", 'hours: "not hours at all; ', 'hours: "')
        edit(flows / "warmline.yaml", '{en: "{supporter} is on duty."', '{en: "{supporter} is on duty (new words)."')
        edit(flows / "privacy-text.yaml", "keep replies short and neutral.", "short, neutral replies (new).")
        commands = len(botapi.calls_to("setMyCommands"))
        group.send("/reload", from_user=SAM)
        await wait_text(botapi, GROUP, "Reloaded: version")
        assert running.edge.content is not content
        assert len(botapi.calls_to("setMyCommands")) > commands
        group.send("/onduty", from_user=SAM)
        await wait_text(botapi, GROUP, "is on duty (new words).")
        assert "(new)" in running.edge.privacy.words.text("brief_supporter", "en")
        assert [c.params["user_id"] for c in botapi.calls_to("getChatMember")].count(SAM["id"]) == 1
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_run_watch_reloads_when_a_file_is_saved(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """`run --watch`: saving a flows file swaps the new content in (bot.content.reload.watch), the command menus are
    registered again, and the warm line speaks the new words; a broken save changes nothing."""
    flows = copy_flows(tmp_path)
    running = await start(botapi, tmp_path, content, always_open(words), flows=flows, watch=True)
    try:
        edit(flows / "warmline.yaml", "idle_minutes: 60", "idle_minutes: 60x")
        await asyncio.sleep(2.5)
        assert running.edge.content is content
        edit(flows / "warmline.yaml", "idle_minutes: 60x", "idle_minutes: 60")
        edit(flows / "warmline.yaml", '{en: "{supporter} is on duty."', '{en: "{supporter} is on duty (watched)."')
        commands = len(botapi.calls_to("setMyCommands"))
        await botapi.wait_for(lambda: len(botapi.calls_to("setMyCommands")) > commands, within=8)
        assert running.edge.content is not content
        await on_duty(botapi, SAM)
        await wait_text(botapi, GROUP, "is on duty (watched).")
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_a_long_wait_is_said_plainly_with_choices_and_counted_missed(bot: Bot, words: WarmlineText) -> None:
    """Nobody takes a waiting person for give_up_minutes: they are told so, offered to keep waiting, leave a
    message or see the 24/7 lines; the miss is counted once; keep waiting asks again only later."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001, "tl")
    await ask(server, alice, words)
    now = bot.edge.clock()
    await bot.warm.tick(now + timedelta(minutes=words.give_up_minutes - 1))
    await asyncio.sleep(0.2)
    assert not [t for t in texts(server, alice.id) if t.startswith(words.say("give_up", "tl")[:20])]
    await bot.warm.tick(now + timedelta(minutes=words.give_up_minutes + 1))
    offer = await wait_text(server, alice.id, words.say("give_up", "tl", minutes=words.give_up_minutes + 1))
    assert [label for label, _ in buttons(offer)] == [
        words.say(k, "tl") for k in ("wait_button", "leave_button", "lines_button")
    ]
    await wait_text(
        server, GROUP, words.staff_say("gave_up_note", alias="X", minutes=words.give_up_minutes + 1).split("X", 1)[1]
    )
    alice.tap(buttons(offer)[2][1], offer["message_id"])
    await wait_text(server, alice.id, "1-833-900-1010")
    alice.tap(buttons(offer)[0][1], offer["message_id"])
    await server.wait_for(lambda: len(server.calls_to("answerCallbackQuery")) >= 3)
    await asyncio.sleep(0.3)
    await bot.warm.tick(now + timedelta(minutes=words.give_up_minutes - 1))  # counted from "keep waiting"
    await asyncio.sleep(0.3)
    assert len([m for m in server.messages(alice.id) if buttons(m) == buttons(offer)]) == 1
    await bot.warm.tick(now + timedelta(minutes=words.give_up_minutes + 1))
    await server.wait_for(lambda: len([m for m in server.messages(alice.id) if buttons(m) == buttons(offer)]) == 2)
    alice.tap(buttons(offer)[1][1], offer["message_id"])
    await wait_text(server, alice.id, words.say("leave_prompt", "tl"))
    await server.wait_for_call("closeForumTopic")
    assert (await counted(bot))["handoff_missed"] == 1
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["leaving"]
