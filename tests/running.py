"""A bot served in the test's own event loop against the stand-in Bot API server: what e2e tests share.

running = await start_bot(botapi, tmp_path / "data", content, flood=FloodGate(burst=3))
...
await running.halt()
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from botapi import BotApiServer, Chat

from bot.channels.telegram.delivery import RetryPolicy
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.content.loader import Content
from bot.core.clock import Clock
from bot.core.types import Session
from bot.settings import Settings
from bot.warmline.rules import WarmlineText, load_warmline

FAST = RetryPolicy(first_delay=0.05, attempts=4)
# Every in-process bot starts its clock here (a Friday afternoon, far from any opening or closing time), so what
# a card says is the same on any day the suite runs.
FRIDAY_AFTERNOON = datetime(2026, 11, 27, 14, 0, tzinfo=ZoneInfo("America/Edmonton"))


def ticking_from(start: datetime) -> Clock:
    """A clock that starts at `start` and moves with real time (timers and waits still pass)."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


# The real flows, or an edited copy named by BOT_FLOWS_DIR (so staff can run the e2e tests against their edit).
FLOWS = Settings.from_environ(os.environ, dotenv=Path("/nonexistent")).flows_dir
RESOURCES = Settings().resources_dir


@dataclass
class Running:
    """A bot being served by `serve` in this event loop, and the server it talks to."""

    server: BotApiServer
    edge: Edge
    task: asyncio.Task[None]
    stop: asyncio.Event

    async def session(self, chat: Chat) -> Session:
        """The person's session as stored (decrypted)."""
        data = await self.edge.store.load_session(self.edge.store.person_key(chat.id))
        return Session.from_dict(data or {})

    async def halt(self) -> None:
        """Stop serving and wait for a clean shutdown (at most 10 s)."""
        self.stop.set()
        if not self.task.done():
            await asyncio.wait_for(self.task, 10)


async def start_bot(server: BotApiServer, data_dir: Path, content: Content, **edge_args: Any) -> Running:
    """Serve `content` with a store in `data_dir`; returns once the command menus are registered."""
    settings = Settings(
        token=server.token,
        base_url=server.base_url,
        data_dir=data_dir,
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
    )
    edge_args.setdefault("clock", ticking_from(FRIDAY_AFTERNOON))
    edge = Edge(settings, content, policy=edge_args.pop("policy", FAST), **edge_args)
    stop = asyncio.Event()
    menus = len(server.calls_to("setMyCommands")) + 1 + len(content.languages)
    task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=2, read_timeout=1.0, edge=edge))
    await server.wait_for_call("setMyCommands", menus)
    return Running(server, edge, task, stop)


def shipped_warmline() -> WarmlineText:
    """flows/warmline.yaml as the bot loads it; a problem in the file fails the test that asked, with its lines."""
    text, problems = load_warmline(FLOWS / "warmline.yaml")
    assert text is not None, [str(p) for p in problems]
    return text
