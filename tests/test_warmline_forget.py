"""Forget on both sides, end to end: the real Application and warm line against the stand-in Bot API server, with
an injected clock. /forget deletes the person's topic (live or ended) from the supporters' group; an ended
conversation's topic is deleted HANDOFF_RETENTION_DAYS after it ended; WARMLINE_KEEP_TOPICS=1 keeps topics and
then the consent screen and /privacy say so; every handoff state expires.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from botapi import BotApiServer, Chat
from running import FAST, FLOWS, FRIDAY_AFTERNOON, RESOURCES, shipped_warmline
from test_warmline import (
    GROUP,
    SAM,
    always_open,
    ask,
    assert_anonymous,
    buttons,
    copies_to,
    on_duty,
    person,
    taken,
    talk,
    texts,
    wait_text,
)

from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.channels.telegram.warmline import Warmline
from bot.content.loader import Content
from bot.conversation.privacy import duration
from bot.core.types import Session
from bot.settings import Settings
from bot.warmline.expiry import LEAVING_HOURS, QUEUED_HOURS
from bot.warmline.rules import WarmlineText

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class MovableClock:
    """FRIDAY_AFTERNOON, moving with real time, plus whatever a test jumps ahead."""

    def __init__(self) -> None:
        self.origin = time.monotonic()
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return FRIDAY_AFTERNOON + timedelta(seconds=time.monotonic() - self.origin) + self.ahead


@dataclass
class Line:
    server: BotApiServer
    edge: Edge
    warm: Warmline
    clock: MovableClock
    task: asyncio.Task[None]
    stop: asyncio.Event

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)

    async def session(self, chat: Chat) -> Session:
        data = await self.edge.store.load_session(self.edge.store.person_key(chat.id))
        return Session.from_dict(data or {})

    async def later(self, **jump: float) -> None:
        """Jump the clock ahead and run retention's purge (as its daily round does)."""
        self.clock.ahead += timedelta(**jump)
        await self.edge.runtime.forgetting.purge()
        await self.settled()

    async def settled(self) -> None:
        """Wait for a round /forget may have started, and for the group's staff outbox to be sent."""
        await self.warm.topics.round()
        await self.server.wait_for(lambda: self.warm.queues.depth(GROUP) == 0)


async def start(
    server: BotApiServer,
    tmp_path: Path,
    content: Content,
    text: WarmlineText,
    *,
    keep: bool = False,
    days: int = 7,
    ahead: timedelta = timedelta(0),
) -> Line:
    settings = Settings(
        token=server.token,
        base_url=server.base_url,
        data_dir=tmp_path / "data",
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        warmline_chat_ids=(GROUP,),
        handoff_days=days,
        keep_topics=keep,
    )
    clock = MovableClock()
    clock.ahead = ahead
    warm = Warmline(always_open(text), per_minute=0, tick=0)
    edge = Edge(settings, content, warm, policy=FAST, clock=clock)
    stop = asyncio.Event()
    before = len(server.calls_to("setMyCommands"))
    task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, read_timeout=2.0, edge=edge))
    await server.wait_for_call("setMyCommands", before + 1 + len(content.languages))
    return Line(server, edge, warm, clock, task, stop)


@pytest.fixture
async def line(botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText) -> AsyncIterator[Line]:
    running = await start(botapi, tmp_path, content, words)
    yield running
    await running.halt()
    assert_anonymous(botapi)


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return shipped_warmline()


async def forget(server: BotApiServer, who: Chat) -> None:
    who.send("/forget")
    confirm = await wait_text(server, who.id, "Erase this chat?")
    who.tap(next(d for _, d in buttons(confirm) if d.endswith("|0")), confirm["message_id"])


def deleted_topics(server: BotApiServer) -> list[tuple[int, int]]:
    return [(c.params["chat_id"], c.params["message_thread_id"]) for c in server.calls_to("deleteForumTopic")]


async def ended_by_supporter(server: BotApiServer, who: Chat, words: WarmlineText, thread: int = 100) -> None:
    await taken(server, who, words, thread=thread)
    who.send("I need a safe place tonight")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) >= 1)
    server.group(GROUP).send("/end", from_user=SAM, thread_id=thread)
    await server.wait_for_call("closeForumTopic")


async def test_forget_deletes_a_live_topic_with_everything_in_it(line: Line, words: WarmlineText) -> None:
    """/forget during a live conversation deletes its topic (deleteForumTopic: the card and every copied
    message go with it); nothing is posted or closed first, and no row about it is left."""
    server = line.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    alice.send("my boss keeps my passport")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    await forget(server, alice)
    await server.wait_for_call("deleteForumTopic")
    assert deleted_topics(server) == [(GROUP, 100)]
    await server.wait_for_call("deleteMessages")
    assert not server.calls_to("closeForumTopic")
    assert not [t for t in texts(server, GROUP) if "erased their chat" in t]
    await line.settled()
    assert await line.edge.store.handoffs() == []
    assert await line.edge.store.ended_topics() == []


async def test_forget_deletes_an_ended_topic_too(line: Line, words: WarmlineText) -> None:
    """A conversation that ended is closed and remembered; the person's /forget later deletes that topic."""
    server = line.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ended_by_supporter(server, alice, words)
    assert not server.calls_to("deleteForumTopic")
    ended = await line.edge.store.ended_topics()
    assert [(t.group_chat, t.thread, t.forgotten) for t in ended] == [(GROUP, 100, False)]
    await forget(server, alice)
    await server.wait_for_call("deleteForumTopic")
    assert deleted_topics(server) == [(GROUP, 100)]
    await line.settled()
    assert await line.edge.store.ended_topics() == []


async def test_an_ended_topic_is_deleted_after_the_retention_days(line: Line, words: WarmlineText) -> None:
    """HANDOFF_RETENTION_DAYS (7) after a conversation ended its topic is deleted by retention's round; not
    a day before. Another person's /forget never touches it."""
    server = line.server
    await on_duty(server, SAM)
    alice, bern = person(server, 1001), person(server, 1002)
    await ended_by_supporter(server, alice, words)
    await ask(server, bern, words)  # topic 101
    await forget(server, bern)
    await wait_text(server, bern.id, "Done.")
    await line.later(days=6, hours=23)
    assert deleted_topics(server) == [(GROUP, 101)]  # Bernardo's own, at once
    await line.later(hours=2)
    assert deleted_topics(server) == [(GROUP, 101), (GROUP, 100)]
    assert await line.edge.store.ended_topics() == []


async def test_a_failed_delete_is_tried_again_without_a_restart(line: Line, words: WarmlineText) -> None:
    """Five 502s in a row on deleteForumTopic: the delete waits in the group's durable staff outbox and lands
    once Telegram answers; the ended-topic record (and its person key) is gone at once."""
    server = line.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ended_by_supporter(server, alice, words)
    server.fail("deleteForumTopic", 502, times=5)
    await forget(server, alice)
    await wait_text(server, alice.id, "Done.")
    await server.wait_for(lambda: len(server.calls_to("deleteForumTopic")) == 1, within=10)
    assert len(server.calls_to("deleteForumTopic", ok=False)) == 5
    assert deleted_topics(server) == [(GROUP, 100)]
    await line.settled()
    assert await line.edge.store.ended_topics() == []


async def test_the_consent_screen_and_privacy_say_the_group_copy_is_deleted(
    line: Line, words: WarmlineText, content: Content
) -> None:
    """Before connecting, the person reads that the team's chat keeps a copy and when it is deleted; /privacy
    says the same, with the real days."""
    server = line.server
    assert content.privacy is not None
    alice = person(server, 1001)
    await talk(server, alice)
    days = duration(content.privacy, "en", days=7)
    intro = await wait_text(server, alice.id, "A peer supporter is a real person")
    assert content.text("topics_kept_deleted", "en").format(days=days) in intro["text"]
    alice.send("/privacy")
    shown = await wait_text(server, alice.id, "What this bot keeps")
    assert content.privacy.text("group", "en", days=days) in shown["text"]
    alice.send("/forget")
    asked = await wait_text(server, alice.id, "Erase this chat?")
    assert content.text("topics_forget_deleted", "en") in asked["text"]


async def test_staff_can_keep_topics_and_people_are_told_before_they_connect(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """WARMLINE_KEEP_TOPICS=1: the consent screen (fr) and /privacy say the team keeps its copy; /forget and
    retention then never delete a topic (closed only)."""
    assert content.privacy is not None
    running = await start(botapi, tmp_path, content, words, keep=True)
    try:
        server = botapi
        await on_duty(server, SAM)
        chi = person(server, 1003, "fr")
        chi.send("/start")
        await server.wait_for_messages(chi.id, 1)
        chi.send("/talk")  # the consent screen only: not connecting
        intro = await wait_text(server, chi.id, "Une personne de soutien est une vraie personne")
        assert content.text("topics_kept_kept", "fr") in intro["text"]
        chi.send("/privacy")
        shown = await wait_text(server, chi.id, "Ce que ce bot garde")
        assert content.privacy.text("group_kept", "fr") in shown["text"]
        chi.send("/forget")
        asked = await wait_text(server, chi.id, "Effacer cette conversation?")
        assert content.text("topics_forget_kept", "fr") in asked["text"]
        alice = person(server, 1001)
        await ended_by_supporter(server, alice, words)
        await forget(server, alice)
        await wait_text(server, alice.id, "Done.")
        await running.later(days=30)
        assert not server.calls_to("deleteForumTopic")
        assert await running.edge.store.ended_topics() == []
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_a_request_nobody_takes_expires_and_the_person_is_told(line: Line, words: WarmlineText) -> None:
    """A waiting request nobody took for QUEUED_HOURS is closed: the person is told kindly with the 24/7 lines,
    the topic gets a note and is deleted after the retention days."""
    server = line.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ask(server, alice, words)
    await line.later(hours=QUEUED_HOURS - 1)
    assert len(await line.edge.store.handoffs()) == 1
    await line.later(hours=1, minutes=1)
    told = await wait_text(server, alice.id, words.say("expired", "en"))
    assert "1-833-900-1010" in told["text"]
    await wait_text(server, GROUP, words.staff_say("expired_note", alias="X").split("X")[1][:20])
    assert await line.edge.store.handoffs() == []
    assert len(await line.edge.store.ended_topics()) == 1
    assert (await line.session(alice)).mode == "flow"


async def test_leave_a_message_never_written_expires_and_a_left_message_expires_after_the_days(
    line: Line, words: WarmlineText
) -> None:
    """ "Leave a message" tapped but nothing written is let go after LEAVING_HOURS (the person is back in the
    flow); a message left but never answered is closed after HANDOFF_RETENTION_DAYS and its topic deleted
    a retention period later."""
    server = line.server
    alice, bern = person(server, 1001), person(server, 1002)
    for who in (alice, bern):
        await talk(server, who)
        offer = await wait_text(server, who.id, words.say("nobody", "en"))
        who.tap(buttons(offer)[0][1], offer["message_id"])
        await wait_text(server, who.id, words.say("leave_prompt", "en"))
    bern.send("please call me back about my permit")
    saved = await wait_text(server, bern.id, words.say("part_saved", "en"))  # a message may come in parts: Done
    bern.tap(buttons(saved)[0][1], saved["message_id"])
    await wait_text(server, bern.id, words.say("left", "en"))
    await line.later(hours=LEAVING_HOURS, minutes=1)
    statuses = [r["status"] for r in await line.edge.store.handoffs()]
    assert statuses == ["left"]
    assert (await line.session(alice)).mode == "flow"
    await line.later(days=7)
    assert await line.edge.store.handoffs() == []
    assert not server.calls_to("deleteForumTopic")
    await line.later(days=7, minutes=1)
    assert len(deleted_topics(server)) == 1


async def test_a_restart_deletes_what_came_due_while_the_bot_was_down(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """The ended topic's record is on disk: a bot started eight days later deletes the topic at startup
    (retention's first purge), with no round of the old process."""
    first = await start(botapi, tmp_path, content, words)
    try:
        await on_duty(botapi, SAM)
        await ended_by_supporter(botapi, person(botapi, 1001), words)
    finally:
        await first.halt()
    assert not botapi.calls_to("deleteForumTopic")
    again = await start(botapi, tmp_path, content, words, ahead=timedelta(days=8))
    try:
        await botapi.wait_for_call("deleteForumTopic")
        assert deleted_topics(botapi) == [(GROUP, 100)]
    finally:
        await again.halt()
    assert_anonymous(botapi)
