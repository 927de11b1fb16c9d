"""The web chat in tests: built around a store on a temporary file and a clock the test moves.

async with open_web(tmp_path, content) as (web, clock), client(web) as http:
    await say(http, "food bank")                 # a form post, as a browser without JavaScript sends it
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from running import FRIDAY_AFTERNOON

from bot.channels.web.app import WebChat
from bot.channels.web.config import WebSettings
from bot.content.loader import Content
from bot.runtime.flood import FloodGate
from bot.runtime.turns import Runtime
from bot.settings import Settings
from bot.store.database import Store

ZONE = ZoneInfo("America/Edmonton")
EXIT = "https://neutral.example/weather"


@dataclass
class MovableClock:
    """A clock that says `at` until the test moves it."""

    at: datetime = FRIDAY_AFTERNOON

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@asynccontextmanager
async def open_web(
    data_dir: Path, content: Content, *, web: WebSettings | None = None, flood: FloodGate | None = None, **limits: Any
) -> AsyncIterator[tuple[WebChat, MovableClock]]:
    """The web chat's app over the runtime and a real store in data_dir, with a movable clock (no server, no
    sweeper, no housekeeping rounds: tests call them)."""
    clock = MovableClock()
    async with await Store.open(data_dir) as store:
        settings = Settings(data_dir=data_dir)
        runtime = Runtime(store, content, settings, zone=ZONE, flood=flood, clock=clock)
        try:
            yield WebChat(runtime, web or WebSettings(exit_url=EXIT), **limits), clock
        finally:
            await runtime.close()


def client(chat: WebChat, base_url: str = "http://chat.test") -> httpx.AsyncClient:
    """An httpx client that talks to the app in this event loop."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=chat.app), base_url=base_url)


@dataclass
class Form:
    """A form on the page: its id, hidden fields and submit buttons (label -> (name, value))."""

    id: str
    hidden: dict[str, str]
    buttons: dict[str, tuple[str, str]]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, Form] = {}
        self._form: Form | None = None
        self._button: tuple[str, str] | None = None
        self._label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms[a.get("id", "")] = Form(a.get("id", ""), {}, {})
        elif tag == "input" and self._form is not None and a.get("type") == "hidden":
            self._form.hidden[a["name"]] = a.get("value", "")
        elif tag == "button" and self._form is not None and "name" in a:
            self._button, self._label = (a["name"], a.get("value", "")), ""

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._label += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self._form is not None:
            self._form.buttons[self._label.strip()] = self._button
            self._button = None
        elif tag == "form":
            self._form = None


def forms(html: str) -> dict[str, Form]:
    """The page's forms by id ("choices", "write", "erase")."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


async def say(http: httpx.AsyncClient, text: str) -> httpx.Response:
    """Type `text` into the page's write box and send it, as a browser without JavaScript does."""
    page = await http.get("/")
    write = forms(page.text)["write"]
    return await http.post("/say", data={**write.hidden, "text": text}, follow_redirects=True)


async def tap(http: httpx.AsyncClient, label_start: str) -> httpx.Response:
    """Tap the button whose label starts with `label_start`."""
    page = await http.get("/")
    choices = forms(page.text)["choices"]
    label = next(b for b in choices.buttons if b.startswith(label_start))
    name, value = choices.buttons[label]
    return await http.post("/say", data={**choices.hidden, name: value}, follow_redirects=True)
