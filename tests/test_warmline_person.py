"""The person's half of the warm line end to end (the real Application against the stand-in Bot API server):
every word for the person goes through the runtime's outbox, so outages, restarts and detours lose and double
nothing; one person keeps one topic; a message left in parts reaches the team as one and can be answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from botapi import BotApiServer
from running import FAST, FLOWS, RESOURCES
from test_warmline import (
    GROUP,
    SAM,
    always_open,
    assert_anonymous,
    copies_to,
    on_duty,
    person,
    taken,
    wait_text,
)

from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.channels.telegram.warmline import Warmline
from bot.content.loader import Content
from bot.settings import Settings
from bot.warmline.rules import WarmlineText, load_warmline

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
RETRY_EVERY = 0.2  # seconds between the runtime's retries of what an outage left queued


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    text, problems = load_warmline(FLOWS / "warmline.yaml")
    assert text is not None, [str(p) for p in problems]
    return always_open(text)


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
