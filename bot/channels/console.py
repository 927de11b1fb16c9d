"""The console edge: the real flows in a terminal, for staff previewing an edit and newcomers meeting the bot.

Numbered options, free text and /commands, exactly as the Telegram edge reads them. Works interactively and
with stdin piped (each input line is echoed after `> ` so a piped run reads as a transcript).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from bot.content.loader import Content
from bot.conversation.engine import advance
from bot.conversation.privacy import privacy_screen, quiet_choice, quiet_confirmation
from bot.core.clock import Clock, system_clock
from bot.core.numbers import whole_number
from bot.core.types import Button, Event, Session, Turn
from bot.settings import Settings

QUIT = ("/quit", "/exit", "/q")


def show(turn: Turn, content: Content, out: TextIO) -> list[Button]:
    """Print a turn's replies with every button numbered; return the buttons in that order."""
    numbered: list[Button] = []
    lang = turn.session.language
    for reply in turn.replies:
        out.write(f"\n{reply.text}\n" if reply.text else "\n")
        for row in reply.buttons:
            for button in row:
                numbered.append(button)
                out.write(f"  [{len(numbered)}] {button.label}\n")
    for action in turn.actions:
        if action.name == "handoff":
            out.write(f"\n{content.text('console_handoff', lang)}\n")
        elif action.name == "erase":
            out.write(f"\n{content.text('console_erase', lang)}\n{action.get('say') or ''}\n")
    out.flush()
    return numbered


def event_for(line: str, buttons: list[Button]) -> Event:
    """A typed line -> the event it means: a button number, a /command, or free text."""
    number = whole_number(line)
    if number is not None and 1 <= number <= len(buttons):
        return Event("option", data=buttons[number - 1].data)
    if line.startswith("/"):
        name = line[1:].split()[0] if len(line) > 1 else ""
        return Event("start") if name == "start" else Event("command", text=name)
    return Event("text", text=line)


def privacy(content: Content, settings: Settings, session: Session, out: TextIO) -> list[Button] | None:
    """/privacy as Telegram shows it (what is kept, from the real settings, and the quiet-erase choices); None when
    the flows have no /privacy words."""
    if content.privacy is None:
        return None
    lang = session.language or content.default_language
    return show(Turn((privacy_screen(content.privacy, settings, lang, None),), session), content, out)


def chat(
    content: Content,
    lines: Iterable[str],
    out: TextIO,
    *,
    language: str = "",
    echo: bool = False,
    clock: Clock = system_clock,
    prompt: Callable[[], None] | None = None,
    settings: Settings | None = None,
) -> Session:
    """Run a conversation over `lines` (stdin, or a list in tests) until they end or /quit; return the session."""
    session = Session(language=language)
    turn = advance(content, session, Event("start", language_hint=language or None), clock())
    buttons = show(turn, content, out)
    session = turn.session
    if prompt:
        prompt()
    for raw in lines:
        line = raw.strip()
        if echo:
            out.write(f"> {line}\n")
        if line in QUIT:
            break
        event = event_for(line, buttons) if line else None
        if event is not None and event.kind == "command" and event.text == "privacy" and content.privacy:
            buttons = privacy(content, settings or Settings(), session, out) or buttons
        elif event is not None and event.kind == "option" and quiet_choice(event.data) is not None:
            hours = quiet_choice(event.data) or 0
            lang = session.language or content.default_language
            out.write(f"\n{quiet_confirmation(content.privacy, lang, hours)}\n" if content.privacy else "")
        elif event is not None:
            turn = advance(content, session, event, clock())
            buttons = show(turn, content, out)
            session = turn.session
        if prompt:
            prompt()
    return session
