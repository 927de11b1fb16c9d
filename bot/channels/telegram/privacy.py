"""/privacy on Telegram: what is kept, from the real settings, and buttons to choose quiet erase ("pv|q|N").

`Privacy.install(application, edge)` adds the handlers in group -1, ahead of the person flow, which they stop.
Erasing itself (/forget, the vanishing line, quiet erase, retention) is channel-neutral: bot.runtime.forget.
Logs name error kinds only: never a message, a Telegram id or a person key.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Protocol

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.channels.telegram.delivery import DEFAULT_POLICY, RetryPolicy, keyboard, with_retries
from bot.content.loader import Content
from bot.content.privacywords import PrivacyWords, load_privacy_words
from bot.conversation.engine import language_for
from bot.conversation.privacy import DATA_PREFIX, privacy_screen, quiet_choice, quiet_confirmation
from bot.core.clock import Clock
from bot.core.types import Session
from bot.runtime.forget import WarmLineHooks
from bot.runtime.turns import Runtime
from bot.settings import Settings
from bot.store.database import Store

log = logging.getLogger(__name__)
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class EdgeLike(Protocol):
    """What this module needs of the running edge (bot.channels.telegram.edge.Edge)."""

    settings: Settings
    clock: Clock

    @property
    def store(self) -> Store: ...

    @property
    def content(self) -> Content: ...

    @property
    def runtime(self) -> Runtime: ...


class Privacy:
    """/privacy and its quiet-erase buttons, for one running edge."""

    def __init__(
        self, settings: Settings, edge: EdgeLike, words: PrivacyWords, *, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self.settings = settings
        self.edge = edge
        self._words = words
        self.policy = policy

    @property
    def words(self) -> PrivacyWords:
        """flows/privacy-text.yaml as the running content has it: a /reload or `run --watch` brings new words."""
        return self.edge.content.privacy or self._words

    @property
    def hooks(self) -> WarmLineHooks:
        """Where the warm line registers its part of erase, retention and "can't talk now" (bot.runtime.forget)."""
        return self.edge.runtime.forgetting.hooks

    @classmethod
    def install(cls, application: AnyApplication, edge: EdgeLike, **options: Any) -> Privacy:
        """Load the words and add the /privacy handlers (group -1); returns the Privacy object.

        Raises ValueError naming flows/privacy-text.yaml's problems when it cannot be used.
        """
        settings = edge.settings
        words, problems = load_privacy_words(settings.flows_dir)
        if words is None:
            raise ValueError("; ".join(str(p) for p in problems if p.is_error))
        privacy = cls(settings, edge, words, **options)
        application.add_handler(CommandHandler("privacy", privacy.on_privacy), group=-1)
        application.add_handler(CallbackQueryHandler(privacy.on_choice, pattern=rf"^{DATA_PREFIX}\|"), group=-1)
        return privacy

    # -- /privacy -----------------------------------------------------------------------------------------

    async def on_privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/privacy in a private chat: what is kept and for how long, and the quiet-erase choices. Both
        messages' ids are remembered, so /forget and quiet erase delete them too."""
        user, chat, message = update.effective_user, update.effective_chat, update.effective_message
        if user is None or chat is None or message is None or chat.type != "private":
            return
        store, now = self.edge.store, self.edge.clock()
        person = store.person_key(user.id)
        await store.remember_sent(person, message.message_id, now)
        lang = await self._language(store, person, user.language_code)
        quiet = dict(await store.quiet_erase(person)).get(person)
        reply = privacy_screen(self.words, self.settings, lang, quiet)
        markup = keyboard([[{"label": b.label, "data": b.data} for b in row] for row in reply.buttons])
        await self._send(context.bot, store, person, chat.id, reply.text, markup)
        raise ApplicationHandlerStop  # the person flow (group 0) would read /privacy as an unknown command

    async def on_choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A quiet-erase button: store the choice (hours, or off) and confirm in one line."""
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        if query is None or user is None or chat is None or chat.type != "private":
            return
        try:
            await query.answer()
        except TelegramError as exc:
            log.debug("callback query not answered (%s)", type(exc).__name__)
        hours = quiet_choice(query.data or "")
        store = self.edge.store
        person = store.person_key(user.id)
        lang = await self._language(store, person, user.language_code)
        if hours is not None:
            await store.set_quiet_erase(person, hours or None)
            await self._send(context.bot, store, person, chat.id, quiet_confirmation(self.words, lang, hours))
        raise ApplicationHandlerStop

    async def _language(self, store: Store, person: str, hint: str | None) -> str:
        session = Session.from_dict(await store.load_session(person) or {})
        if session.language:
            return session.language
        return language_for(self.edge.content, hint)

    async def _send(self, bot: Bot, store: Store, person: str, chat_id: int, text: str, markup: Any = None) -> None:
        try:
            sent = await with_retries(partial(bot.send_message, chat_id, text, reply_markup=markup), self.policy)
        except TelegramError as exc:
            log.warning("a /privacy message was not sent (%s)", type(exc).__name__)
            return
        await store.remember_sent(person, sent.message_id, self.edge.clock())
