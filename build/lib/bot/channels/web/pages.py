"""HTML from a chat: Jinja2 templates shipped in this package, autoescaped, so what anyone typed is only text.

The words come from flows/bot.yaml (`web_*` strings) in the chat's language; nothing person-facing is written
here. Every page carries the quick exit first, so it is the first thing a keyboard or screen reader reaches.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.channels.web.chats import Chat, Line
from bot.content.loader import Content

_env = Environment(
    loader=PackageLoader("bot.channels.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
NAMES = {"bot": "guide", "person": "you", "supporter": "supporter", "note": "note"}


@dataclass(frozen=True, slots=True)
class PageContext:
    """What every page needs besides the chat: the words, the language and where Quick exit goes."""

    content: Content
    language: str
    exit_url: str

    def words(self) -> Callable[[str], str]:
        return lambda key: self.content.text(f"web_{key}", self.language)


def chat_page(page: PageContext, chat: Chat, *, refresh: int | None = None) -> str:
    """The whole chat: every line so far, the buttons of the newest message, the write box and Erase.
    `refresh` (seconds) makes the page reload itself when JavaScript is off, for the quiet-time warning."""
    t = page.words()
    lines: list[Line] = list(chat.lines)
    return _env.get_template("chat.html").render(
        t=t,
        lang=page.language,
        exit_url=page.exit_url,
        token=chat.token,
        form=secrets.token_urlsafe(9),
        lines=lines,
        names={who: t(name) for who, name in NAMES.items()},
        buttons=chat.buttons(),
        refresh=refresh,
        last_n=chat.last_n,
    )


def notice_page(page: PageContext, text: str, *, again: bool = True) -> str:
    """A page with one message (the chat closed, was erased, or the service is busy) and a way to start again."""
    t = page.words()
    return _env.get_template("notice.html").render(
        t=t, lang=page.language, exit_url=page.exit_url, text=text, again=again
    )
