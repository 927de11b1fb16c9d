"""The Telegram edge: an Update becomes the runtime's Inbound, and the runtime's ports become Bot API calls.

    update ─► event_from_update ─► Inbound("telegram", user, chat, update id, message id)
           ─► bot.runtime.turns.Runtime.handle (flood, session, warm line, engine, save + outbox, deliver, actions)
    replies ─► TelegramSender (bot.channels.telegram.delivery): sendMessage, deleteMessages, retries

Only private chats run the person's flow; every other update is left to the handoff's handlers (group 1).
Serving (long polling, the webhook) is bot.channels.telegram.serving. Logs: one line per update, no text, no
Telegram id.

The warm line plugs in through `Handoff` (see its docstring); `NoHandoff` is the default.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseHandler, ContextTypes, TypeHandler

from bot.channels.telegram.delivery import DEFAULT_POLICY, RetryPolicy, TelegramSender, with_retries
from bot.channels.telegram.privacy import Privacy
from bot.content.loader import Content
from bot.content.reload import reload_content
from bot.conversation.safety import EMPTY as NO_DANGER_WORDS
from bot.conversation.safety import DangerWords, is_danger
from bot.core.clock import Clock, system_clock
from bot.core.problems import Problem
from bot.core.types import Action, Event, Session, Turn
from bot.runtime import ports
from bot.runtime.flood import FloodGate
from bot.runtime.outbox import Outbox
from bot.runtime.ports import Inbound, Senders
from bot.runtime.turns import COUNTS_EVERY, Runtime, never_held_back
from bot.settings import Settings
from bot.store.database import Store

log = logging.getLogger(__name__)

# httpcore asks `import sniffio` several times per request; when it is not installed, every failed import
# searches sys.path again (failures are not cached), about a millisecond per message sent. Recording it as
# absent gives httpcore the same answer ("asyncio") at once.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

CHANNEL = "telegram"
AnyHandler = BaseHandler[Any, Any, Any]
__all__ = ["COUNTS_EVERY", "Edge", "Handoff", "Incoming", "NoHandoff", "event_from_update", "never_held_back"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update from a person in a private chat, as the Telegram warm line sees it."""

    update: Update
    person: str  # the store's key for the person (never log it)
    chat_id: int
    event: Event
    session: Session
    now: datetime  # aware, in BOT_TIMEZONE
    chat: str = ""  # the person's address as the runtime routes it ("telegram:123", "web:ab12")
    key: str = ""  # the update as the runtime records it handled ("telegram:9001")


class Handoff(Protocol):
    """What the warm line plugs into the edge (issue 5). Every method is called with the running Edge.

    - `handlers()`: handlers for the warm-line group (Take buttons, /end, /reload); added in group 1, so they
      see every update, including those the person flow ignores.
    - `start(edge)` / `stop()`: after the bot is connected and before it stops.
    - `claims(edge, incoming)`: the update is the warm line's (the person is in a live handoff, or tapped one of
      its buttons); it is deduplicated, then given to `intercept`.
    - `intercept(edge, incoming)`: return None to let the engine answer; return a Turn to answer yourself: its
      replies go through the outbox and its session is saved with the update, exactly once.
    - `on_action(edge, incoming, action)`: each Turn action ("handoff", "danger", "erase", "count", ...),
      after the replies are delivered; the runtime then performs its own ("erase", "count").
    An optional `prepare(edge, incoming, action)` runs for each action before the turn is saved.
    """

    def handlers(self) -> Sequence[AnyHandler]: ...

    async def start(self, edge: Edge) -> None: ...

    async def stop(self) -> None: ...

    def claims(self, edge: Edge, incoming: Incoming) -> bool: ...

    async def intercept(self, edge: Edge, incoming: Incoming) -> Turn | None: ...

    async def on_action(self, edge: Edge, incoming: Incoming, action: Action) -> None: ...


class NoHandoff:
    """No warm line: the engine's own reply to /talk already told the person where to turn."""

    def handlers(self) -> Sequence[AnyHandler]:
        return ()

    async def start(self, edge: Edge) -> None:
        return None

    async def stop(self) -> None:
        return None

    def claims(self, edge: Edge, incoming: Incoming) -> bool:
        return False

    async def intercept(self, edge: Edge, incoming: Incoming) -> Turn | None:
        return None

    async def on_action(self, edge: Edge, incoming: Incoming, action: Action) -> None:
        return None


class _HandoffHook:
    """The runtime's TurnHook over the Telegram warm line: its Incoming carries the Update for relaying."""

    def __init__(self, edge: Edge) -> None:
        self.edge = edge

    def _incoming(self, incoming: ports.Incoming) -> Incoming:
        """A person of another channel (the web chat) carries no Update: an empty one stands in, and chat_id is 0
        (the warm line reaches them by `chat`, their address)."""
        inbound = incoming.inbound
        telegram = isinstance(inbound.raw, Update)
        update = inbound.raw if isinstance(inbound.raw, Update) else Update(0)
        return Incoming(
            update,
            incoming.person,
            int(inbound.chat) if telegram else 0,
            incoming.event,
            incoming.session,
            incoming.now,
            Runtime.chat(inbound),
            Runtime.update_key(inbound),
        )

    def claims(self, incoming: ports.Incoming) -> bool:
        return self.edge.handoff.claims(self.edge, self._incoming(incoming))

    async def line_state(self) -> tuple[str, str]:
        """Event.line and Event.topics from the warm line (bot.channels.telegram.warmline.Warmline.line_state);
        ("", "") when the handoff does not tell them. For every channel the runtime serves, the web chat too."""
        state = getattr(self.edge.handoff, "line_state", None)
        return ("", "") if state is None else await state()

    async def intercept(self, incoming: ports.Incoming) -> Turn | None:
        return await self.edge.handoff.intercept(self.edge, self._incoming(incoming))

    async def prepare(self, incoming: ports.Incoming, action: Action) -> None:
        prepare = getattr(self.edge.handoff, "prepare", None)
        if prepare is not None:
            await prepare(self.edge, self._incoming(incoming), action)

    async def on_action(self, incoming: ports.Incoming, action: Action) -> None:
        await self.edge.handoff.on_action(self.edge, self._incoming(incoming), action)


def event_from_update(update: Update, danger: DangerWords = NO_DANGER_WORDS) -> Event | None:
    """The person-flow event an update means, or None when it is not for the flow (groups, service).

    An edited message and a media caption carry their words: "unsupported" (the flow does not answer them), or
    "text" when they say danger (`danger`), so the crisis answer comes for them as for any message."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != "private" or user.is_bot:
        return None
    hint = user.language_code
    if update.callback_query is not None:
        return Event("option", data=update.callback_query.data or "", language_hint=hint)
    message = update.edited_message or update.message
    if message is None:
        return None
    if update.edited_message is not None or message.text is None:
        said = message.text or message.caption or ""
        return Event("text" if is_danger(danger, said) else "unsupported", text=said, language_hint=hint)
    if message.text.startswith("/"):
        words = message.text[1:].split(maxsplit=1)  # "/start@navigator_bot payload" -> "start"
        name = words[0].split("@")[0].lower() if words else ""
        return (
            Event("start", language_hint=hint) if name == "start" else Event("command", text=name, language_hint=hint)
        )
    return Event("text", text=message.text, language_hint=hint)


def inbound_from_update(update: Update, danger: DangerWords = NO_DANGER_WORDS) -> Inbound | None:
    """The runtime's Inbound for a person's update in a private chat, or None when it is not for the flow."""
    event = event_from_update(update, danger)
    user, chat = update.effective_user, update.effective_chat
    if event is None or user is None or chat is None:
        return None
    message = update.effective_message if update.callback_query is None else None
    return Inbound(
        CHANNEL,
        str(user.id),
        str(chat.id),
        str(update.update_id),
        event,
        message=None if message is None else message.message_id,
        raw=update,
    )


def update_kind(update: Update) -> str:
    """A name for the kind of update, for logs: never its content."""
    if update.callback_query is not None:
        return "callback"
    if update.edited_message is not None:
        return "edited"
    if update.my_chat_member is not None:
        return "membership"
    message = update.message
    if message is None:
        return "other"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    return "media"


class Edge:
    """The running Telegram edge: the runtime (content, store, outbox, flood gate), the sender, the handoff."""

    def __init__(
        self,
        settings: Settings,
        content: Content,
        handoff: Handoff | None = None,
        *,
        flood: FloodGate | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        housekeeping_every: float = COUNTS_EVERY,
        clock: Clock = system_clock,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._content = content
        self.handoff: Handoff = handoff or NoHandoff()
        self.flood = flood if flood is not None else FloodGate()  # an empty gate is falsy (it has a length)
        self.policy = policy
        self.housekeeping_every = housekeeping_every
        self.zone = ZoneInfo(settings.timezone)
        self._runtime: Runtime | None = None
        self._sender: TelegramSender | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def open(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Open the store and the runtime (it sends what a crash left queued), register the command menus,
        start the handoff."""
        store = await Store.open(self.settings.data_dir)
        self._sender = TelegramSender(application.bot, self.policy)
        self._runtime = Runtime(
            store,
            self._content,
            self.settings,
            zone=self.zone,
            senders=Senders(self._sender),
            hook=_HandoffHook(self),
            flood=self.flood,
            clock=self.clock,
        )
        await self._runtime.open()
        await self.register_commands()
        await self.handoff.start(self)
        self._runtime.start(self.housekeeping_every)

    async def close(self) -> None:
        await self.handoff.stop()
        if self._runtime is not None:
            await self._runtime.close()
            await self._runtime.store.close()

    @property
    def runtime(self) -> Runtime:
        assert self._runtime is not None, "Edge.open() first"
        return self._runtime

    @property
    def content(self) -> Content:
        return self._runtime.content if self._runtime is not None else self._content

    @content.setter
    def content(self, content: Content) -> None:
        self._content = content
        if self._runtime is not None:
            self._runtime.content = content

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def delivery(self) -> Outbox:
        return self.runtime.outbox

    @property
    def bot(self) -> Bot:
        assert self._sender is not None, "Edge.open() first"
        return self._sender.bot

    def now(self) -> datetime:
        """The clock's moment in BOT_TIMEZONE."""
        return self.clock().astimezone(self.zone)

    def count(self, name: str, now: datetime) -> None:
        """Add one to the anonymous counter `name` for now's day in BOT_TIMEZONE."""
        self.runtime.count(name, now)

    async def flush_counts(self) -> None:
        await self.runtime.flush_counts()

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the person-flow handler (group 0), the handoff's handlers (group 1), /privacy and the error handler."""
        application.add_handler(TypeHandler(Update, self.on_update), group=0)
        for handler in self.handoff.handlers():
            application.add_handler(handler, group=1)
        application.add_error_handler(self.on_error)
        self.privacy = Privacy.install(application, self, policy=self.policy)

    async def register_commands(self) -> None:
        """The command menu in each language the flows have, and in the default language for the rest."""
        bot = self.bot
        content = self.content
        default = content.commands(content.default_language)
        await with_retries(partial(bot.set_my_commands, default), self.policy)
        for lang in content.languages:
            await with_retries(partial(bot.set_my_commands, content.commands(lang), language_code=lang), self.policy)

    def reload(self) -> list[Problem]:
        """Load flows and resources again (bot.content.reload.reload_content); swap them in, in one assignment,
        only if they have no errors and differ. Returns the problems. /reload and `run --watch` both come here."""
        self.content, problems, _ = reload_content(self.content, self.settings)
        return problems

    # -- one update ---------------------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle an update for the person flow and log one line: its kind, the outcome and the time taken."""
        started = time.perf_counter()
        outcome = "error"
        try:
            outcome = await self.handle(update)
        finally:
            log.info(
                "update kind=%s outcome=%s ms=%.1f",
                update_kind(update),
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    async def handle(self, update: Update) -> str:
        """Run one update through the runtime; returns the outcome (for logs)."""
        if update.my_chat_member is not None:
            return await self._membership(update)
        inbound = inbound_from_update(update, self.content.danger)
        if inbound is None:
            return "ignored"
        if update.callback_query is not None:
            await self._answer(update)
        return await self.runtime.handle(inbound)

    async def _answer(self, update: Update) -> None:
        """Stop the button's spinner; a query too old to answer is harmless."""
        query = update.callback_query
        assert query is not None
        try:
            await query.answer()
        except TelegramError as exc:
            log.debug("callback query not answered (%s)", type(exc).__name__)

    async def _membership(self, update: Update) -> str:
        """The person blocked the bot (status "kicked" in their private chat): stop writing to them."""
        member = update.my_chat_member
        assert member is not None
        if member.chat.type != "private" or member.new_chat_member.status != "kicked":
            return "ignored"
        await self.runtime.blocked(CHANNEL, str(member.from_user.id))
        return "blocked"

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure (no message text) and, for a person, apologise calmly in their language."""
        log.error("handling an update failed", exc_info=context.error)
        if not isinstance(update, Update) or self._runtime is None:
            return
        inbound = inbound_from_update(update, self.content.danger)
        if inbound is not None:
            await self.runtime.apologise(inbound)
