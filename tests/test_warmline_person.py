"""The person's half of the warm line end to end (the real Application against the stand-in Bot API server):
every word for the person goes through the runtime's outbox, so outages, restarts and detours lose and double
nothing; one person keeps one topic; a message left in parts reaches the team as one and can be answered.
"""

from __future__ import annotations

import asyncio
import html
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botapi import BotApiServer, Chat
from running import FAST, FLOWS, FRIDAY_AFTERNOON, RESOURCES, shipped_warmline, ticking_from
from test_restart import Bot as Process
from test_warmline import (
    GROUP,
    RIO,
    SAM,
    always_open,
    ask,
    assert_anonymous,
    buttons,
    card_for,
    copies_to,
    on_duty,
    person,
    taken,
    talk,
    texts,
    wait_text,
)
from webchat import say, tap

from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.channels.telegram.warmline import Warmline
from bot.channels.web import server as web_server
from bot.channels.web.app import WebChat
from bot.content.loader import Content
from bot.core.types import Session
from bot.settings import Settings
from bot.warmline.rules import WarmlineText

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
RETRY_EVERY = 0.2  # seconds between the runtime's retries of what an outage left queued


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return always_open(shipped_warmline())


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

    async def run_session(self, who: Chat) -> Session:
        """The person's session as stored."""
        data = await self.edge.store.load_session(self.edge.store.person_key(who.id))
        return Session.from_dict(data or {})


async def start(server: BotApiServer, data: Path, content: Content, text: WarmlineText) -> Bot:
    """The bot with its warm line on GROUP, retrying queued messages every RETRY_EVERY seconds."""
    settings = Settings(
        token=server.token,
        base_url=server.base_url,
        data_dir=data,
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        warmline_chat_ids=(GROUP,),
    )
    warm = Warmline(text, per_minute=0, tick=0)
    edge = Edge(settings, content, warm, policy=FAST, housekeeping_every=RETRY_EVERY)
    stop = asyncio.Event()
    before = len(server.calls_to("setMyCommands"))
    task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, read_timeout=2.0, edge=edge))
    await server.wait_for_call("setMyCommands", before + 1 + len(content.languages))
    return Bot(server, edge, warm, task, stop)


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText) -> AsyncIterator[Bot]:
    running = await start(botapi, tmp_path / "data", content, words)
    yield running
    await running.halt()
    assert_anonymous(botapi)


async def test_a_supporters_words_survive_an_outage_in_order_without_a_restart(bot: Bot, words: WarmlineText) -> None:
    """Five 502s in a row while a supporter writes: nothing is dropped; the runtime's outbox tries again by
    itself and the person gets every message once, in order, copies (media too) and notes alike."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    group = server.group(GROUP)
    server.fail("copyMessage", 502, times=5)
    sent = [
        group.send("first, while Telegram fails", from_user=SAM, thread_id=100),
        group.photo(from_user=SAM, thread_id=100),
        group.send("third", from_user=SAM, thread_id=100),
    ]
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 3, within=10)
    assert [c["message_id"] for c in copies_to(server, alice.id)] == [m["message_id"] for m in sent]
    server.fail("sendMessage", 502, times=5)
    group.send("/end", from_user=SAM, thread_id=100)
    await wait_text(server, alice.id, words.say("helped", "en"), within=10)
    await asyncio.sleep(3 * 0.2)
    assert len(copies_to(server, alice.id)) == 3
    closing = [t for t in (m.get("text", "") for m in server.messages(alice.id)) if t]
    assert closing[-2:] == [words.say("closed", "en"), words.say("helped", "en")]
    assert await bot.edge.store.outbox() == []


def in_topic(server: BotApiServer, thread: int) -> list[str]:
    return [m.get("text", "") for m in server.messages(GROUP) if m.get("message_thread_id") == thread]


async def test_coming_back_after_end_reopens_the_same_topic_under_the_same_alias(bot: Bot, words: WarmlineText) -> None:
    """After End, the person asks again: their topic is reopened (no new one), a note says they are back, a new
    card there can be taken, and supporters meet the same Guest."""
    server = bot.server
    await on_duty(server, SAM, RIO)
    alice = person(server, 1001)
    await taken(server, alice, words)
    first = server.calls_to("createForumTopic")[0].params["name"]
    server.group(GROUP).send("/end", from_user=SAM, thread_id=100)
    await wait_text(server, alice.id, words.say("helped", "en"))
    await ask(server, alice, words)
    await server.wait_for_call("reopenForumTopic")
    assert server.calls_to("reopenForumTopic")[0].params == {"chat_id": GROUP, "message_thread_id": 100}
    assert len(server.calls_to("createForumTopic")) == 1
    guest = first.split(" · ")[0]
    await wait_text(server, GROUP, words.staff_say("person_back", alias=guest))

    def cards() -> list[dict[str, Any]]:  # cards with a Take button (the wrap-up after End has buttons too)
        return [
            m
            for m in server.messages(GROUP)
            if m.get("message_thread_id") == 100 and any("|take|" in d for _, d in buttons(m))
        ]

    await server.wait_for(lambda: len(cards()) == 1)  # the first card lost its buttons at End
    card = cards()[0]
    assert guest in card["text"]
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=RIO)
    await server.wait_for(lambda: len([t for t in texts(server, alice.id) if "is here with you" in t]) == 2)
    alice.send("hello again")
    await server.wait_for(lambda: [c["message_thread_id"] for c in copies_to(server, GROUP)] == [100])


async def test_connect_me_again_after_a_silent_supporter_stays_in_the_topic(bot: Bot, words: WarmlineText) -> None:
    """ "Connect me again" after the supporter went silent: the person goes back in line in the same topic, with a
    note naming who had it; a colleague takes it there and sees the history."""
    server = bot.server
    await on_duty(server, SAM, RIO)
    alice = person(server, 1001)
    await taken(server, alice, words)
    alice.send("are you there?")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    await bot.warm.tick(bot.edge.clock() + timedelta(minutes=words.silence_minutes + 1))
    offer = await wait_text(server, alice.id, words.say("silence", "en"))
    alice.tap(buttons(offer)[1][1], offer["message_id"])
    note = words.staff_say("handed_over", alias="X", supporter=words.staff_say("default_alias")).split("X", 1)[1]
    await wait_text(server, GROUP, note)
    await wait_text(server, alice.id, "You are number 1")
    card = card_for(server, 100)
    await server.wait_for(lambda: buttons(server.message(GROUP, card["message_id"]) or {})[0][0] == "Take")
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=RIO)
    await server.wait_for(lambda: len([t for t in texts(server, alice.id) if "is here with you" in t]) == 2)
    assert len(server.calls_to("createForumTopic")) == 1
    alice.send("thanks")
    await server.wait_for(lambda: [c["message_thread_id"] for c in copies_to(server, GROUP)] == [100, 100])


async def leave(server: BotApiServer, who: Chat, words: WarmlineText) -> dict[str, Any]:
    """Nobody is on duty: the person asks for a person and taps "Leave a message"; returns the prompt."""
    await talk(server, who)
    offer = await wait_text(server, who.id, words.say("nobody", "en"))
    who.tap(buttons(offer)[0][1], offer["message_id"])
    return await wait_text(server, who.id, words.say("leave_prompt", "en"))


def posted(server: BotApiServer, thread: int) -> list[str]:
    """What reached a topic from the person, in order: texts sent, and "#n" for a copy of their message n."""
    found = []
    for call in server.calls:
        if call.params.get("chat_id") != GROUP or call.params.get("message_thread_id") != thread:
            continue
        if call.method == "copyMessage":
            found.append(f"#{call.params['message_id']}")
        elif call.method == "sendMessage" and "Guest " not in call.params["text"]:  # not a card or a note
            found.append(call.params["text"])
    return found


async def test_a_message_left_in_parts_reaches_the_team_as_one_and_can_be_answered(
    bot: Bot, words: WarmlineText
) -> None:
    """A message written in three parts (a photo among them) goes to the team as one post when the person says
    "done"; the team's answer reaches the person with a way to answer, and the answer lands in the same topic."""
    server = bot.server
    alice = person(server, 1001)
    prompt = await leave(server, alice, words)
    assert [label for label, _ in buttons(prompt)] == [words.say("done_button", "en")]
    alice.send("I work on a farm near Airdrie.")
    saved = await wait_text(server, alice.id, words.say("part_saved", "en"))
    photo = alice.photo()
    alice.send("They keep my passport.")
    await server.wait_for(lambda: len(bot.warm._flushing) == 0)
    await asyncio.sleep(0.3)
    assert not server.calls_to("createForumTopic")  # nothing goes until the person is done
    assert texts(server, alice.id).count(saved["text"]) == 1  # told once, not after every part
    alice.send("Done")
    await wait_text(server, alice.id, words.say("left", "en"))
    await server.wait_for(lambda: len(posted(server, 100)) == 2)
    assert posted(server, 100) == [
        "I work on a farm near Airdrie.\n\nThey keep my passport.",
        f"#{photo['message_id']}",
    ]
    card = next(m for m in server.messages(GROUP) if m.get("message_thread_id") == 100)
    assert "out of hours" in card["text"]
    alice.send("food bank")  # back in the flow: a search, not a word for the team
    await asyncio.sleep(0.5)
    assert len(posted(server, 100)) == 2
    server.group(GROUP).send("Thank you for writing. Can you call us?", from_user=RIO, thread_id=100)
    offer = await wait_text(server, alice.id, words.say("answer_intro", "en"))
    assert [label for label, _ in buttons(offer)] == [words.say("reply_button", "en")]
    server.group(GROUP).send("Or write here, whenever you can.", from_user=RIO, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 2)
    assert texts(server, alice.id).count(words.say("answer_intro", "en")) == 1  # once per answer
    alice.tap(buttons(offer)[0][1], offer["message_id"])
    reply = await wait_text(server, alice.id, words.say("reply_prompt", "en"))
    answer = alice.send("Not by phone, he checks it.")
    alice.tap(buttons(reply)[0][1], reply["message_id"])
    await server.wait_for(lambda: len(posted(server, 100)) == 3)
    assert posted(server, 100)[-1] == f"#{answer['message_id']}"
    assert len(server.calls_to("createForumTopic")) == 1
    await server.wait_for(lambda: texts(server, alice.id).count(words.say("left", "en")) == 2)


async def test_a_quiet_minute_sends_the_message_as_it_is(bot: Bot, words: WarmlineText) -> None:
    """A person who writes part of a message and then nothing for a minute: it goes to the team as it is, and
    they are told so."""
    server = bot.server
    alice = person(server, 1001)
    await leave(server, alice, words)
    part = alice.send("I need to talk about my employer")
    await wait_text(server, alice.id, words.say("part_saved", "en"))
    now = bot.edge.clock()
    await bot.warm.tick(now + timedelta(seconds=30))
    await asyncio.sleep(0.2)
    assert not posted(server, 100)
    await bot.warm.tick(now + timedelta(seconds=61))
    await wait_text(server, alice.id, words.say("left", "en"))
    await server.wait_for(lambda: posted(server, 100) == [f"#{part['message_id']}"])
    assert (await bot.run_session(alice)).mode == "flow"


@pytest.mark.parametrize("written", [False, True])
async def test_a_detour_to_the_menu_never_traps_the_person(
    bot: Bot, words: WarmlineText, content: Content, written: bool
) -> None:
    """/menu while leaving a message: what was written goes to the team (nothing: no message), the menu shows,
    the next words are a search, and /talk asks for a person again instead of "You are already on the line"."""
    server = bot.server
    alice = person(server, 1001)
    await leave(server, alice, words)
    if written:
        alice.send("my boss took my passport")
        await wait_text(server, alice.id, words.say("part_saved", "en"))
    shown = len(server.messages(alice.id))
    alice.send("/menu")
    await server.wait_for(lambda: any(buttons(m) for m in server.messages(alice.id)[shown:]))
    assert (words.say("left", "en") in texts(server, alice.id)) is written
    assert [r["status"] for r in await bot.edge.store.handoffs()] == (["left"] if written else [])
    before = len(server.messages(alice.id))
    alice.send("food bank")
    await server.wait_for_messages(alice.id, before + 1)
    await asyncio.sleep(0.3)
    assert len(posted(server, 100)) == int(written)
    alice.send("/talk")
    await server.wait_for(
        lambda: any(d.endswith("talk.intro|0") for m in server.messages(alice.id) for _, d in buttons(m))
    )
    assert words.say("already", "en") not in texts(server, alice.id)


async def page_shows(http: httpx.AsyncClient, words: str, within: float = 5.0) -> str:
    """The web chat's page, once it shows `words` (supporters' replies arrive while the person waits)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        shown = html.unescape((await http.get("/")).text)
        if words in shown:
            return shown
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the page never showed {words!r}")
        await asyncio.sleep(0.05)


async def test_a_person_on_the_web_chat_reaches_a_supporter_and_back(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """A person on the web chat (run beside Telegram) asks for a person: the topic says "web", the supporter's
    words reach the page, a photo becomes a plain note there, and the person's words reach the topic as text."""
    settings = Settings(
        token=botapi.token,
        base_url=botapi.base_url,
        data_dir=tmp_path / "data",
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        warmline_chat_ids=(GROUP,),
        extra={"WEB_PORT": "0"},
    )
    opened: asyncio.Future[WebChat] = asyncio.get_running_loop().create_future()
    edge = Edge(
        settings, content, Warmline(words, per_minute=0, tick=0), policy=FAST, clock=ticking_from(FRIDAY_AFTERNOON)
    )
    stop = asyncio.Event()
    side = web_server.beside(settings, warm_line=True, started=opened.set_result)
    task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, read_timeout=1.0, edge=edge, beside=side))
    try:
        web = await asyncio.wait_for(opened, 10)
        await on_duty(botapi, SAM)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web.address[1]}") as http:
            await http.get("/")
            await say(http, "/talk")
            await tap(http, "Yes, connect me")
            topic = (await botapi.wait_for_call("createForumTopic"))[0].params["name"]
            assert topic.split(" · ")[1:] == ["web", "en", "talk"]
            card = await wait_text(botapi, GROUP, "web · en")
            botapi.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
            await page_shows(http, words.say("connected", "en", supporter=words.staff_say("default_alias")))
            botapi.group(GROUP).send("Hi, I'm here. What's going on?", from_user=SAM, thread_id=100)
            botapi.group(GROUP).photo(from_user=SAM, thread_id=100)
            await page_shows(http, "Hi, I'm here. What's going on?")
            await page_shows(http, words.say("media_note", "en"))
            await say(http, "my boss keeps my papers")
            await botapi.wait_for(lambda: "my boss keeps my papers" in posted(botapi, 100))
            assert not [c for c in botapi.calls_to("copyMessage") if c.params["chat_id"] != GROUP]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert_anonymous(botapi)


# -- kill -9 at each of the person's steps: `python -m bot run` as a real process, killed and started again ------


def open_all_day(tmp_path: Path) -> Path:
    """A copy of the flows whose warm line is open 24/7 (the process reads the machine's clock)."""
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    path = flows / "warmline.yaml"
    text = path.read_text(encoding="utf-8")
    hours = text.split("\nhours: ", 1)[1].split("\n", 1)[0]
    path.write_text(text.replace(f"\nhours: {hours}\n", '\nhours: "24/7"\n', 1), encoding="utf-8")
    return flows


STEPS = ("request", "place", "relay", "leave", "answer")


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
async def test_kill_9_at_each_step_loses_and_doubles_nothing(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText, step: str
) -> None:
    """SIGKILL while the bot sends what a step promised (the request's "I'm asking the team", the place in line,
    a supporter's message, "your part is kept", the team's answer), then a restart: every word arrives once, the
    topic once."""
    asking = content.flows.node("talk.connect")
    assert asking is not None
    process = Process(botapi, tmp_path, content)
    env = {"WARMLINE_CHAT_ID": str(GROUP), "BOT_FLOWS_DIR": str(open_all_day(tmp_path))}
    group = botapi.group(GROUP)
    alice = person(botapi, 1001)
    await process.start(**env)
    try:
        if step in ("request", "place", "relay"):
            await on_duty(botapi, SAM)
        if step in ("request", "place"):
            alice.send("/start")
            await botapi.wait_for_messages(alice.id, 1, within=10)
            alice.send("/talk")

            def consent() -> dict[str, Any] | None:
                return next((m for m in botapi.messages(alice.id) if "talk.intro|0" in str(buttons(m))), None)

            await botapi.wait_for(lambda: consent() is not None, within=10)
            intro = consent()
            assert intro is not None
            said = asking.say.get("en") if step == "request" else "You are number 1"
            botapi.hold("sendMessage", only=lambda p: str(p.get("text", "")).startswith(said[:20]))
            alice.tap(next(d for _, d in buttons(intro) if d.endswith("talk.intro|0")), intro["message_id"])
        elif step == "relay":
            await taken(botapi, alice, words)
            botapi.hold("copyMessage")
            group.send("I'm here. Take your time.", from_user=SAM, thread_id=100)
        else:
            await leave(botapi, alice, words)
            if step == "leave":
                saved_words = words.say("part_saved", "en")  # "saved: write more or tap Done" is being sent
                botapi.hold("sendMessage", only=lambda p: p.get("text") == saved_words)
            alice.send("I need help with my work permit")
            if step == "answer":
                saved = await wait_text(botapi, alice.id, words.say("part_saved", "en"), within=10)
                alice.tap(buttons(saved)[0][1], saved["message_id"])
                await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 1, within=10)
                botapi.hold("copyMessage")  # the answer is being copied to the person
                group.send("Here is what you can do.", from_user=RIO, thread_id=100)
        held = "sendMessage" if step in ("request", "place", "leave") else "copyMessage"
        await botapi.wait_for(lambda: botapi.held.get(held, 0) >= 1, within=10)
        # The group's side is not under test here (its own outbox has a window of one local write between Telegram
        # taking a message and the bot recording it): what it was sending is let through and acknowledged first.
        if step == "answer":
            await wait_text(botapi, GROUP, words.staff_say("answer_sent", alias="X").split("X")[0], within=10)
            await asyncio.sleep(0.3)
        if step == "place":
            await botapi.wait_for(lambda: any(buttons(m) for m in botapi.messages(GROUP)), within=10)  # the card
            await asyncio.sleep(0.3)
        await process.kill()
        botapi.release(held)
        await process.start(**env)
        botapi.redeliver_all()  # as if every confirmation had been lost too
        if step in ("request", "place"):
            await wait_text(botapi, alice.id, "You are number 1", within=15)
            assert [t for t in texts(botapi, alice.id) if asking.say.get("en") in t] == [asking.say.get("en")]
        elif step == "relay":
            await botapi.wait_for(lambda: len(copies_to(botapi, alice.id)) == 1, within=15)
        elif step == "leave":
            saved = await wait_text(botapi, alice.id, words.say("part_saved", "en"), within=15)
            alice.tap(buttons(saved)[0][1], saved["message_id"])
            await wait_text(botapi, alice.id, words.say("left", "en"), within=10)
            await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 1, within=10)
        else:
            await botapi.wait_for(lambda: len(copies_to(botapi, alice.id)) == 1, within=15)
        await asyncio.sleep(1.0)
        assert len(botapi.calls_to("createForumTopic")) == 1
        cards = [m for m in botapi.messages(GROUP) if "Guest " in m.get("text", "") and "·" not in m.get("text", "")]
        assert len({m["text"] for m in cards}) == len(cards)  # no card or note twice
        shown = texts(botapi, alice.id)
        assert len(shown) == len(set(shown)) or step in ("request", "place")  # every note once
        if step in ("request", "place"):
            assert shown.count(next(t for t in shown if t.startswith("You are number 1"))) == 1
        if step in ("relay", "answer"):
            assert len(copies_to(botapi, alice.id)) == 1
        if step == "answer":
            assert shown.count(words.say("answer_intro", "en")) == 1
    finally:
        if process.process is not None and process.process.returncode is None:
            await process.kill()
    assert_anonymous(botapi)


async def test_asking_for_a_person_after_leaving_a_message_uses_its_topic(bot: Bot, words: WarmlineText) -> None:
    """A person who left a message asks for a person once someone is on duty: the request goes into the topic of
    their message, with a note that they are back and a card to take, not into a new topic."""
    server = bot.server
    alice = person(server, 1001)
    await leave(server, alice, words)
    alice.send("Please call me back about my visa")
    alice.send("done")
    await wait_text(server, alice.id, words.say("left", "en"))
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    await on_duty(server, SAM)
    await ask(server, alice, words)
    guest = server.calls_to("createForumTopic")[0].params["name"].split(" · ")[0]
    await wait_text(server, GROUP, words.staff_say("person_back", alias=guest))

    def take() -> list[dict[str, Any]]:
        taking = words.staff_say("take_button")
        return [m for m in server.messages(GROUP) if [label for label, _ in buttons(m)] == [taking]]

    await server.wait_for(lambda: len(take()) == 1)
    card = take()[0]
    assert card.get("message_thread_id") == 100
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    await wait_text(server, alice.id, "is here with you")
    assert len(server.calls_to("createForumTopic")) == 1
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["taken"]


async def test_a_second_message_left_goes_to_the_same_topic(bot: Bot, words: WarmlineText) -> None:
    """A person who leaves a message, then another one later: both are in one topic, under one alias."""
    server = bot.server
    alice = person(server, 1001)
    await leave(server, alice, words)
    alice.send("first message")
    alice.send("done")
    await wait_text(server, alice.id, words.say("left", "en"))
    await server.wait_for(lambda: len(posted(server, 100)) == 1)
    before = texts(server, alice.id).count(words.say("leave_prompt", "en"))
    await talk(server, alice)
    offer = [m for m in server.messages(alice.id) if words.say("nobody", "en") in m.get("text", "")][-1]
    alice.tap(buttons(offer)[0][1], offer["message_id"])
    await server.wait_for(lambda: texts(server, alice.id).count(words.say("leave_prompt", "en")) == before + 1)
    alice.send("second message")
    alice.send("done")
    await server.wait_for(lambda: len(posted(server, 100)) == 2)
    assert len(server.calls_to("createForumTopic")) == 1
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["left"]
