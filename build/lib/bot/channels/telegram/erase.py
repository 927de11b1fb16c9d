"""Erasing, on Telegram: /forget's erase, the line that vanishes after it, quiet erase, retention and /privacy.

    Action("erase") ─► erase_chat: deleteMessages (batches of 100, the last 48 hours) ─► store.forget
                     ─► one neutral line, deleted ~60 s later (a stored record makes that survive a restart)
    every 10 min    ─► quiet erase: each person who chose it loses messages older than N hours from their phone
    daily + startup ─► privacy.purge_expired: idle sessions, old message ids, closed handoffs (warm line's hook)
    /privacy        ─► what is kept, from the real settings; buttons to choose quiet erase (callback "pv|q|N")

`Privacy.install(application, edge)` adds the /privacy handlers (group -1, ahead of the person flow, which
they stop) and the jobs (python-telegram-bot's JobQueue). The edge calls `erase_chat` for Action("erase").
The warm line reaches in through `privacy.hooks` (bot.conversation.privacy.WarmLineHooks). Logs name counts and error
kinds only: never a message, a Telegram id or a person key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Job,
    JobQueue,
)

from bot.channels.telegram.delivery import DEFAULT_POLICY, RetryPolicy, keyboard, with_retries
from bot.content.loader import Content
from bot.conversation.privacy import (
    DATA_PREFIX,
    LANGUAGES,
    MESSAGE_ID_HOURS,
    PrivacyWords,
    WarmLineHooks,
    load_privacy_words,
    privacy_screen,
    purge_expired,
    quiet_choice,
    quiet_confirmation,
)
from bot.core.clock import Clock
from bot.core.types import Session
from bot.settings import Settings
from bot.store.database import Store

log = logging.getLogger(__name__)

BATCH = 100                                   # deleteMessages takes up to 100 ids
WINDOW = timedelta(hours=MESSAGE_ID_HOURS)    # how far back Telegram lets a bot delete in a private chat
SAFE_WINDOW = timedelta(hours=47)             # ids older than this go in their own batches: they may just fail
LINE_SECONDS = 60.0                           # the neutral line after /forget disappears after this
QUIET_EVERY = 600.0                           # seconds between quiet-erase rounds
PURGE_EVERY = 86400.0                         # seconds between retention purges (and one at startup)
RETRY_SECONDS = 60.0                          # a vanishing line Telegram would not delete is tried again
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class EdgeLike(Protocol):
    """What this module needs of the running edge (bot.channels.telegram.edge.Edge): its settings, and store and
    content."""

    settings: Settings
    clock: Clock

    @property
    def store(self) -> Store: ...

    @property
    def content(self) -> Content: ...


async def delete_messages(bot: Bot, chat_id: int, ids: list[int], policy: RetryPolicy = DEFAULT_POLICY) -> int:
    """Delete `ids` from a private chat in batches of 100; returns how many were asked for in batches Telegram
    accepted. Already-deleted ids are skipped by Telegram; a refused batch is logged (kind only) and skipped."""
    accepted = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        try:
            await with_retries(partial(bot.delete_messages, chat_id, batch), policy)
        except Forbidden:
            log.info("the person blocked the bot; their messages cannot be deleted")
            break
        except TelegramError as exc:
            log.warning("Telegram refused to delete a batch of %d messages (%s)", len(batch), type(exc).__name__)
            continue
        accepted += len(batch)
    return accepted


def _line(data: object) -> tuple[int, int, int]:
    """A vanishing line's job data, as _schedule_line set it: (record id, chat id, message id)."""
    assert isinstance(data, tuple)
    return int(data[0]), int(data[1]), int(data[2])


class Privacy:
    """/privacy, the erase action, quiet erase and retention, for one running edge."""

    def __init__(self, settings: Settings, edge: EdgeLike, words: PrivacyWords, *,
                 policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings = settings
        self.edge = edge
        self._words = words
        self.policy = policy
        self.hooks = WarmLineHooks()     # the warm line sets purge_closed (and may set the others) in its start()
        self.line_seconds = LINE_SECONDS
        self.job_queue: JobQueue[Any] | None = None

    @property
    def words(self) -> PrivacyWords:
        """flows/privacy-text.yaml as the running content has it: a /reload or `run --watch` brings new words."""
        return self.edge.content.privacy or self._words

    @classmethod
    def install(cls, application: AnyApplication, edge: EdgeLike, **options: Any) -> Privacy:
        """Load the words, add the /privacy handlers (group -1) and the jobs; returns the Privacy object.

        Raises ValueError naming flows/privacy-text.yaml's problems when it cannot be used.
        """
        settings = edge.settings
        words, problems = load_privacy_words(settings.flows_dir)
        if words is None:
            raise ValueError("; ".join(str(p) for p in problems if p.is_error))
        privacy = cls(settings, edge, words, **options)
        application.add_handler(CommandHandler("privacy", privacy.on_privacy), group=-1)
        application.add_handler(CallbackQueryHandler(privacy.on_choice, pattern=rf"^{DATA_PREFIX}\|"), group=-1)
        privacy.job_queue = application.job_queue
        if privacy.job_queue is not None:
            privacy.job_queue.run_once(privacy._on_startup, when=0.5, name="privacy-startup")
            privacy.job_queue.run_repeating(privacy._on_purge, interval=PURGE_EVERY, first=PURGE_EVERY,
                                            name="privacy-purge")
            privacy.job_queue.run_repeating(privacy._on_quiet, interval=QUIET_EVERY, first=QUIET_EVERY,
                                            name="privacy-quiet-erase")
        else:
            log.warning("no JobQueue (install python-telegram-bot[job-queue]): no retention, quiet erase or "
                        "vanishing lines")
        return privacy

    # -- the erase action ---------------------------------------------------------------------------------

    async def erase_chat(self, bot: Bot, store: Store, person: str, chat_id: int, say: str,
                         now: datetime) -> int:
        """Carry out Action("erase"): delete the chat's messages Telegram still allows (the last 48 hours),
        forget every row about the person, then leave `say` for a minute. Returns the rows forgotten.

        Run after the warm line's on_action (it closes the person's topic while their handoff row exists) and
        after the edge saved the turn (so the turn's own session and update id are forgotten too).
        """
        ids = await store.sent_messages(person, now - WINDOW)
        recent = set(await store.sent_messages(person, now - SAFE_WINDOW))
        # the oldest ids (47-48 hours) may be past Telegram's limit by the time the call lands: their own batch
        await delete_messages(bot, chat_id, [i for i in ids if i in recent], self.policy)
        await delete_messages(bot, chat_id, [i for i in ids if i not in recent], self.policy)
        gone = await store.forget(person)
        if say:
            await self.leave_line(bot, store, chat_id, say, now)
        return gone

    async def leave_line(self, bot: Bot, store: Store, chat_id: int, text: str, now: datetime) -> None:
        """Send one line that is deleted after line_seconds; its record (encrypted chat id, no person key)
        lets a restart finish the job. Not remembered as the person's: nothing about them is left."""
        try:
            sent = await with_retries(partial(bot.send_message, chat_id, text), self.policy)
        except TelegramError as exc:
            log.info("the goodbye line after an erase was not sent (%s)", type(exc).__name__)
            return
        due = now + timedelta(seconds=self.line_seconds)
        row = await store.add_pending_delete(chat_id, sent.message_id, due)
        self._schedule_line(row, chat_id, sent.message_id, self.line_seconds)

    def _schedule_line(self, row: int, chat_id: int, message_id: int, delay: float) -> None:
        if self.job_queue is not None:
            self.job_queue.run_once(self._on_line_due, when=max(0.0, delay), data=(row, chat_id, message_id),
                                    name="privacy-line")

    async def _on_line_due(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        job: Job[Any] | None = context.job
        assert job is not None
        row, chat_id, message_id = _line(job.data)
        await self.delete_line(context.bot, self.edge.store, row, chat_id, message_id)

    async def delete_line(self, bot: Bot, store: Store, row: int, chat_id: int, message_id: int) -> bool:
        """Delete one vanishing line and its record; a network failure keeps the record and tries again."""
        try:
            await with_retries(partial(bot.delete_message, chat_id, message_id), self.policy)
        except (BadRequest, Forbidden):
            pass  # already deleted by the person, too old, or the bot was blocked: nothing left to do
        except TelegramError as exc:
            log.warning("a vanishing line could not be deleted yet (%s); trying again", type(exc).__name__)
            self._schedule_line(row, chat_id, message_id, RETRY_SECONDS)
            return False
        await store.drop_pending_delete(row)
        return True

    async def resume_lines(self, bot: Bot, store: Store, now: datetime) -> int:
        """After a restart: delete the lines that are due, schedule the rest; returns how many were due."""
        due_now = 0
        for row, chat_id, message_id, due in await store.pending_deletes():
            delay = (due - now).total_seconds()
            if delay <= 0:
                due_now += 1
                await self.delete_line(bot, store, row, chat_id, message_id)
            else:
                self._schedule_line(row, chat_id, message_id, delay)
        return due_now

    # -- quiet erase and retention ------------------------------------------------------------------------

    async def quiet_erase(self, bot: Bot, store: Store, now: datetime) -> int:
        """Delete from each opted-in person's phone our messages older than their chosen hours (and younger
        than Telegram's 48 hours), then forget those ids. Returns how many messages were deleted."""
        deleted = 0
        for person, hours in await store.quiet_erase():
            ids = await store.sent_messages_before(person, now - WINDOW, now - timedelta(hours=hours))
            if not ids:
                continue
            chat_id = await store.chat_id(person)
            if chat_id is None:
                continue
            deleted += await delete_messages(bot, chat_id, ids, self.policy)
            await store.forget_sent(person, ids)
        return deleted

    async def _on_startup(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        store = self._store_or_retry(self._on_startup)
        if store is None:
            return
        now = self.edge.clock()
        due = await self.resume_lines(context.bot, store, now)
        if due:
            log.info("deleted %d goodbye lines left over from before a restart", due)
        await self._purge(store, now)

    async def _on_purge(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        store = self._store_or_retry(None)
        if store is not None:
            await self._purge(store, self.edge.clock())

    async def _purge(self, store: Store, now: datetime) -> None:
        gone = await purge_expired(store, self.settings, now, self.hooks)
        log.info("retention purge removed %d rows", gone)

    async def _on_quiet(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        store = self._store_or_retry(None)
        if store is not None:
            deleted = await self.quiet_erase(context.bot, store, self.edge.clock())
            if deleted:
                log.info("quiet erase deleted %d messages", deleted)

    def _store_or_retry(self, again: Any) -> Store | None:
        try:
            return self.edge.store
        except AssertionError:  # the edge opens its store just after the Application starts
            if again is not None and self.job_queue is not None:
                self.job_queue.run_once(again, when=1.0, name="privacy-startup")
            return None

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
        base = (hint or "").replace("_", "-").split("-")[0].lower()
        return base if base in LANGUAGES else self.edge.content.default_language

    async def _send(self, bot: Bot, store: Store, person: str, chat_id: int, text: str,
                    markup: Any = None) -> None:
        try:
            sent = await with_retries(partial(bot.send_message, chat_id, text, reply_markup=markup), self.policy)
        except TelegramError as exc:
            log.warning("a /privacy message was not sent (%s)", type(exc).__name__)
            return
        await store.remember_sent(person, sent.message_id, self.edge.clock())
