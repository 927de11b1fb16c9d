"""The staff outbox end to end (bot.channels.telegram.relay): the real Application against the stand-in Bot API
with Telegram's group limit on. Nobody waits for the group; 5xx runs and 429s are ridden out in order without a
restart; a person who blocks the bot, a Take of a blocked person and a topic Telegram refuses are told at once.

Most restarts here stop the bot while a group call is parked unanswered (as kill -9 leaves it: nothing
acknowledged); the last tests SIGKILL `python -m bot run` itself (tests/test_restart.py's process).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiServer, Chat
from running import FLOWS, shipped_warmline
from test_restart import Bot as Process
from test_warmline import (
    GROUP,
    GROUP2,
    RIO,
    SAM,
    Bot,
    always_open,
    ask,
    assert_anonymous,
    buttons,
    card_for,
    copies_to,
    on_duty,
    person,
    start,
    talk,
    wait_text,
)

from bot.content.loader import Content
from bot.warmline.rules import WarmlineText

PATIENCE = 3.0  # seconds: less than one send interval of the group's pacer
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return always_open(shipped_warmline())


async def launch(
    server: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText, *, per_minute: int, burst: int = 4,
    groups: tuple[int, ...] = (GROUP,),
) -> Bot:  # fmt: skip
    return await start(server, tmp_path, content, words, per_minute=per_minute, burst=burst, groups=groups)


@pytest.fixture
async def limited(botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText) -> AsyncIterator[Bot]:
    """A bot pacing its group at Telegram's 20 a minute, the server enforcing the same limit."""
    botapi.limit_group(GROUP, 20, window=60)
    running = await launch(botapi, tmp_path, content, words, per_minute=20)
    yield running
    await running.halt()
    assert_anonymous(botapi)


def into_topic(server: BotApiServer, thread: int) -> list[str]:
    """What reached a topic from the person, in order: texts starting "line" (merged ones line by line), and
    "sticker" or "photo" for copied media."""
    found: list[str] = []
    for message in server.messages(GROUP):
        if message.get("message_thread_id") != thread:
            continue
        text = message.get("text", "")
        if text.startswith("line"):
            found += text.split("\n\n")
        found += [kind for kind in ("sticker", "photo") if kind in message]
    return found


def into_group(server: BotApiServer, method: str) -> list[Any]:
    """The successful calls of `method` into the warm-line group (not to people's chats)."""
    return [c for c in server.calls_to(method) if c.params.get("chat_id") == GROUP]


async def take(
    server: BotApiServer, who: Chat, words: WarmlineText, thread: int, supporter: dict[str, Any] = SAM
) -> None:
    await server.wait_for(
        lambda: any(m.get("message_thread_id") == thread and buttons(m) for m in server.messages(GROUP)), 10
    )
    card = card_for(server, thread)
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=supporter)
    await wait_text(server, who.id, "is here with you", within=10)


async def replied_within(server: BotApiServer, who: Chat, send: Any) -> float:
    """Seconds from the person's message to the bot's first answer."""
    before = len(server.messages(who.id))
    started = time.monotonic()
    send()
    await server.wait_for_messages(who.id, before + 1, within=10)
    return time.monotonic() - started


# -- nobody waits for the group ---------------------------------------------------------------------------------


async def test_danger_words_and_forget_are_answered_at_once_while_six_requests_open(
    limited: Bot, words: WarmlineText, content: Content
) -> None:
    """Six requests open under the group limit (their topics and cards take half a minute to go); meanwhile an
    unrelated person's danger words get 911 at once, and /forget for someone else is answered at once."""
    server = limited.server
    await on_duty(server, SAM)
    for n in range(6):
        await ask(server, server.person(2001 + n), words)
    assert limited.warm.queues.depth(GROUP) >= 2  # the group is still behind: its sends wait for the pacer
    stranger, other = server.person(3001), server.person(3002)
    for who in (stranger, other):
        who.send("/start")
        await server.wait_for_messages(who.id, 1)
    phrase = content.danger.of("danger", "en")[0]
    # Under one pacer interval (3.75 s; it was 30 s when turns waited for the group): the figure itself, well
    # under a second, is tests/bench/bench_warmline.py's, as a busy test machine may add a second of its own.
    assert await replied_within(server, stranger, lambda: stranger.send(f"he said {phrase}")) < PATIENCE
    assert "911" in server.messages(stranger.id)[-1]["text"]
    assert await replied_within(server, other, lambda: other.send("/forget")) < PATIENCE
    assert limited.warm.queues.depth(GROUP) >= 1  # and the group was still behind all the while
    assert not server.limited[GROUP]  # the pacer kept under Telegram's limit: no 429


async def test_every_group_full_tells_supporters_once(limited: Bot, words: WarmlineText) -> None:
    """When the only group's queue takes longer than the lag goal, General is told once, ahead of the queue."""
    server = limited.server
    await on_duty(server, SAM)
    for n in range(5):
        await ask(server, server.person(2001 + n), words)
    busy = words.staff_say("groups_busy", seconds=10)
    await server.wait_for(lambda: any(busy in m.get("text", "") for m in server.messages(GROUP)), 15)
    told = [m for m in server.messages(GROUP) if busy in m.get("text", "")]
    assert len(told) == 1
    assert "message_thread_id" not in told[0]


async def test_a_request_goes_to_the_group_with_room(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """A group whose queue is full gets no new request while another has room, though it has more supporters
    free (which alone would send every request there)."""
    running = await launch(botapi, tmp_path, content, words, per_minute=20, groups=(GROUP, GROUP2))
    try:
        staff = [{"id": 510 + n, "is_bot": False, "first_name": "Staff"} for n in range(4)]
        await on_duty(botapi, *staff)
        await on_duty(botapi, {"id": 520, "is_bot": False, "first_name": "Staff"}, group=GROUP2)
        for n in range(5):
            await ask(botapi, botapi.person(2001 + n), words)
        await botapi.wait_for(
            lambda: any(c.params["chat_id"] == GROUP2 for c in botapi.calls_to("createForumTopic")), 10
        )
    finally:
        await running.halt()


async def test_twenty_stickers_do_not_delay_another_conversation(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """One person's 20 stickers, then another's text: the text reaches its supporter within a few sends."""
    running = await launch(botapi, tmp_path, content, words, per_minute=120, burst=2)
    try:
        await on_duty(botapi, SAM, RIO)
        alice, bern = person(botapi, 1001), person(botapi, 1002)
        await ask(botapi, alice, words)
        await ask(botapi, bern, words)
        await take(botapi, alice, words, 100)
        await take(botapi, bern, words, 101, RIO)
        for _ in range(20):
            alice.sticker()
        await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) >= 2, 10)
        bern.send("line from bern")
        await botapi.wait_for(lambda: any(c["message_thread_id"] == 101 for c in copies_to(botapi, GROUP)), 10)
        order = [c["message_thread_id"] for c in copies_to(botapi, GROUP)]
        assert order.index(101) <= 5
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_forty_taps_on_connect_make_one_request_and_hold_nobody_back(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """A person taps "connect me" forty times: one topic and one card are queued for the group, and another
    person's words still reach their supporter first."""
    running = await launch(botapi, tmp_path, content, words, per_minute=60)
    try:
        await on_duty(botapi, SAM)
        alice, bern = person(botapi, 1001), person(botapi, 1002)
        await ask(botapi, bern, words)
        await take(botapi, bern, words, 100)
        await ask(botapi, alice, words)
        intro = next(m for m in botapi.messages(alice.id) if any(d.endswith("talk.intro|0") for _, d in buttons(m)))
        connect = next(d for _, d in buttons(intro) if d.endswith("talk.intro|0"))
        for _ in range(40):
            alice.tap(connect, intro["message_id"])
        bern.send("line still heard")
        await botapi.wait_for(lambda: "line still heard" in into_topic(botapi, 100), 10)
        await botapi.wait_for(lambda: botapi.pending_updates() == 0, 10)
        await asyncio.sleep(0.2)
        topics = len(botapi.calls_to("createForumTopic"))
        waiting = [r.kind for r in await running.edge.store.staff_rows()]
        assert topics + waiting.count("topic") == 2  # bern's, and alice's once (it may still give way to bern)
        assert len(waiting) <= 2
    finally:
        await running.halt()
    assert_anonymous(botapi)


# -- never lose a word: 5xx, 429 and restarts ------------------------------------------------------------------


async def test_five_5xx_in_a_row_then_success_deliver_in_order_without_restart(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """Five 502s in a row into the group: the same messages are tried again with backoff, and arrive once, in
    order, while the bot keeps running."""
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await ask(botapi, alice, words)
        await take(botapi, alice, words, 100)
        botapi.fail_chat(GROUP, 502, times=5)
        alice.send("line 1")
        alice.photo()
        alice.send("line 3")
        await botapi.wait_for(lambda: len(into_topic(botapi, 100)) == 3, 15)
        await asyncio.sleep(0.2)
        assert into_topic(botapi, 100) == ["line 1", "photo", "line 3"]
        assert len([c for c in botapi.calls if c.status == 502]) == 5
        assert await running.edge.store.staff_rows() == []
    finally:
        await running.halt()


async def test_a_429_pauses_the_group_for_retry_after_and_everything_arrives(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """Without the bot's own pacing, Telegram's 429 is honoured: the group waits retry_after, then everything
    goes, in order."""
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await ask(botapi, alice, words)
        await take(botapi, alice, words, 100)
        botapi.limit_group(GROUP, 2, window=1.0)
        for n in range(4):
            alice.sticker()
            alice.send(f"line {n}")
        expected = [item for n in range(4) for item in ("sticker", f"line {n}")]
        await botapi.wait_for(lambda: len(into_topic(botapi, 100)) == 8, 15)
        assert botapi.limited[GROUP] >= 1
        assert into_topic(botapi, 100) == expected
    finally:
        await running.halt()


@pytest.mark.parametrize(
    ("method", "step"),
    [
        ("createForumTopic", "topic"),
        ("sendMessage", "card"),
        ("copyMessage", "relay"),
        ("editMessageText", "take"),
        ("closeForumTopic", "end"),
    ],
)
async def test_a_stop_at_each_group_step_loses_and_doubles_nothing(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText, method: str, step: str
) -> None:
    """The bot stops while a group call is parked unanswered (as kill -9 leaves it: nothing acknowledged);
    after the restart that step is done exactly once: one topic, one card, the message relayed once, the card
    edited, the topic closed."""
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    await on_duty(botapi, SAM)
    alice = person(botapi, 1001)
    if step in ("relay", "end"):
        await ask(botapi, alice, words)
        await take(botapi, alice, words, 100)
    elif step == "take":
        await ask(botapi, alice, words)
        await botapi.wait_for(lambda: any(buttons(m) for m in botapi.messages(GROUP)), 10)
    botapi.hold_chat(GROUP, method)
    if step in ("topic", "card"):
        await talk(botapi, alice)
    elif step == "relay":
        alice.send("line in flight")
    elif step == "take":
        card = card_for(botapi, 100)
        botapi.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    else:
        botapi.group(GROUP).send("/end", from_user=SAM, thread_id=100)
    await botapi.wait_for(lambda: botapi.held.get(method, 0) >= 1, 10)
    await running.halt()
    botapi.release_chat(GROUP, method)
    assert not into_group(botapi, method) or step == "card"  # the parked call never reached "Telegram"
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    try:
        await botapi.wait_for(lambda: bool(into_group(botapi, method)), 10)
        await asyncio.sleep(0.3)
        assert len(botapi.calls_to("createForumTopic")) == 1
        cards = [  # (the wrap-up after End names the Guest too: not a card)
            m
            for m in botapi.messages(GROUP)
            if m.get("message_thread_id") == 100
            and "Guest" in m.get("text", "")
            and "|wrap|" not in str(m.get("reply_markup"))
        ]
        assert len(cards) == 1
        if step == "relay":
            assert into_topic(botapi, 100) == ["line in flight"]
        if step == "take":
            assert len(into_group(botapi, "editMessageText")) == 1
            assert "Peer supporter" in cards[0]["text"]
        if step == "end":
            assert len(botapi.calls_to("closeForumTopic")) == 1
        assert await running.edge.store.staff_rows() == []
    finally:
        await running.halt()
    assert_anonymous(botapi)


# -- faults told at once ---------------------------------------------------------------------------------------


async def test_a_person_who_blocks_the_bot_is_reported_in_their_topic_at_once(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """my_chat_member "kicked": the topic is told and closed straight away, before anyone writes to them."""
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await ask(botapi, alice, words)
        await take(botapi, alice, words, 100)
        alice.block()
        note = await wait_text(botapi, GROUP, "blocked the bot")
        assert note["message_thread_id"] == 100
        await botapi.wait_for_call("closeForumTopic")
        assert await running.edge.store.handoffs() == []
    finally:
        await running.halt()


async def test_a_take_of_a_person_who_blocked_the_bot_says_so(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """The person blocked the bot unseen (403 on the "connected" message): the supporter's Take says so and
    the topic is told and closed."""
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await ask(botapi, alice, words)
        await botapi.wait_for(lambda: any(buttons(m) for m in botapi.messages(GROUP)), 10)
        card = card_for(botapi, 100)
        botapi.fail_chat(
            alice.id, 403, methods=frozenset({"sendMessage"}), description="Forbidden: bot was blocked by the user"
        )
        botapi.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
        said = words.staff_say("take_blocked")
        await botapi.wait_for(lambda: any(c.params.get("text") == said for c in botapi.calls_to("answerCallbackQuery")))
        await wait_text(botapi, GROUP, "blocked the bot")
        await botapi.wait_for_call("closeForumTopic")
    finally:
        await running.halt()


async def test_a_refused_topic_is_told_in_general_and_the_person_may_leave_a_message(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """Telegram refuses to make the topic (no Manage topics right): General is told, and the person is offered
    to leave a message, which they can."""
    running = await launch(botapi, tmp_path, content, words, per_minute=0)
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        botapi.fail("createForumTopic", 400, description="Bad Request: not enough rights to create a topic")
        await talk(botapi, alice)
        told = await wait_text(botapi, GROUP, "Manage topics")
        assert "message_thread_id" not in told
        offer = await wait_text(botapi, alice.id, words.say("no_topic", "en"))
        assert next(d for _, d in buttons(offer)).startswith("w|leave|")
        alice.tap(buttons(offer)[0][1], offer["message_id"])
        await wait_text(botapi, alice.id, words.say("leave_prompt", "en"))
    finally:
        await running.halt()
    assert_anonymous(botapi)


# -- a real kill -9 ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("method", ["createForumTopic", "sendMessage"])
async def test_kill_9_while_a_request_opens_loses_and_doubles_nothing(
    botapi: BotApiServer, tmp_path: Path, content: Content, method: str
) -> None:
    """`python -m bot run` is SIGKILLed while the request's topic (or its card) is on its way to Telegram; the
    next start sends it once: one topic, one card with its Take button."""
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    yaml = flows / "warmline.yaml"
    yaml.write_text(re.sub(r"^hours: .*$", 'hours: "24/7"', yaml.read_text(), count=1, flags=re.M))
    process = Process(botapi, tmp_path, content)
    env = {"WARMLINE_CHAT_ID": str(GROUP), "BOT_FLOWS_DIR": str(flows)}
    try:
        await process.start(**env)
        await on_duty(botapi, SAM)
        alice = botapi.person(1001)
        botapi.hold_chat(GROUP, method)
        await talk(botapi, alice)
        await botapi.wait_for(lambda: botapi.held.get(method, 0) >= 1, 20)
        await process.kill()
        botapi.release_chat(GROUP, method)
        await process.start(**env)
        await botapi.wait_for(lambda: any(buttons(m) for m in botapi.messages(GROUP)), 20)
        await asyncio.sleep(0.5)
        assert len(botapi.calls_to("createForumTopic")) == 1
        assert len([m for m in botapi.messages(GROUP) if buttons(m)]) == 1
        assert await process.stop() == 0
    finally:
        if process.process is not None and process.process.returncode is None:
            await process.kill()
