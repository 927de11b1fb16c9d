"""The runtime's StaffRoom on Telegram: forum supergroups (WARMLINE_CHAT_ID), one topic per person.

    open_topic ─► createForumTopic (the name cut to Telegram's 128 characters)
    post       ─► sendMessage in the topic (message_thread_id), with Take / End buttons as an inline keyboard
    close_topic ─► closeForumTopic, or deleteForumTopic (the topic and every message in it)

Every call is retried through Telegram's errors as `policy` says; a refusal is logged by its kind only.
"""

from __future__ import annotations

import logging
from functools import partial

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram.delivery import DEFAULT_POLICY, RetryPolicy, reply_markup, with_retries
from bot.core.types import Button
from bot.runtime.ports import Topic

log = logging.getLogger(__name__)

TOPIC_NAME_CHARS = 128  # Telegram's limit for a forum topic's name


class TelegramStaffRoom:
    """Forum topics in the warm-line groups, as the runtime's StaffRoom port."""

    def __init__(self, bot: Bot, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.bot = bot
        self.policy = policy

    async def open_topic(self, room: str, title: str) -> Topic | None:
        """A new forum topic in the group `room`; None when Telegram refuses (not a forum, no admin rights)."""
        try:
            created = await with_retries(
                partial(self.bot.create_forum_topic, int(room), title[:TOPIC_NAME_CHARS]), self.policy
            )
        except TelegramError as exc:
            log.warning("a warm-line topic was not opened (%s)", type(exc).__name__)
            return None
        return Topic(room, str(created.message_thread_id))

    async def post(self, topic: Topic, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> int | None:
        """Post in the topic; the message id, or None when it did not go out."""
        send = partial(
            self.bot.send_message,
            int(topic.room),
            text,
            message_thread_id=int(topic.thread),
            reply_markup=reply_markup(buttons),
        )
        try:
            sent = await with_retries(send, self.policy)
        except TelegramError as exc:
            log.warning("a note to a warm-line topic was not sent (%s)", type(exc).__name__)
            return None
        return int(sent.message_id)

    async def close_topic(self, topic: Topic, *, delete: bool = False) -> bool:
        """Close the topic (supporters can still read it), or delete it with every message in it."""
        method = self.bot.delete_forum_topic if delete else self.bot.close_forum_topic
        try:
            await with_retries(partial(method, int(topic.room), int(topic.thread)), self.policy)
        except TelegramError as exc:
            log.warning("a warm-line topic was not %s (%s)", "deleted" if delete else "closed", type(exc).__name__)
            return False
        return True
