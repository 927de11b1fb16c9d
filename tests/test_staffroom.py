"""bot.channels.telegram.staffroom: the runtime's StaffRoom port on Telegram, against the stand-in Bot API server
(which checks every method and parameter against the official API)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botapi import BotApiServer
from telegram import Bot

from bot.channels.telegram.delivery import RetryPolicy
from bot.channels.telegram.staffroom import TOPIC_NAME_CHARS, TelegramStaffRoom
from bot.core.types import Button
from bot.runtime.ports import StaffRoom

GROUP = -1001234567890
FAST = RetryPolicy(first_delay=0.01, attempts=2)


@pytest.fixture
async def bot(botapi: BotApiServer) -> AsyncIterator[Bot]:
    """A Bot on the stand-in server, shut down (its HTTP connections closed) after the test."""
    async with Bot(botapi.token, base_url=botapi.base_url, base_file_url=botapi.base_file_url) as running:
        yield running


async def test_a_topic_is_opened_posted_in_and_closed(botapi: BotApiServer, bot: Bot) -> None:
    """open_topic creates a forum topic (its name cut to Telegram's limit), post sends into that topic with
    its buttons, close_topic closes it and delete=True deletes it."""
    botapi.group(GROUP)
    room: StaffRoom = TelegramStaffRoom(bot, FAST)
    topic = await room.open_topic(str(GROUP), "Guest 4F2 · fr · work" + "x" * 200)
    assert topic is not None
    assert topic.room == str(GROUP)
    (created,) = botapi.calls_to("createForumTopic")
    assert len(created.params["name"]) == TOPIC_NAME_CHARS
    message_id = await room.post(topic, "A person is waiting.", ((Button("Take", "w|take|1"),),))
    assert message_id is not None
    (sent,) = botapi.calls_to("sendMessage")
    assert int(sent.params["message_thread_id"]) == int(topic.thread)
    assert "w|take|1" in str(sent.params["reply_markup"])
    assert await room.close_topic(topic)
    assert await room.close_topic(topic, delete=True)
    assert [c.params["message_thread_id"] for c in botapi.calls_to("closeForumTopic")] == [int(topic.thread)]
    assert len(botapi.calls_to("deleteForumTopic")) == 1


async def test_a_refusal_is_reported_not_raised(botapi: BotApiServer, bot: Bot) -> None:
    """Telegram refusing a topic, a post or a close (400, or 5xx past the retries) comes back as None or False,
    never as an exception: the warm line decides what to tell people."""
    botapi.group(GROUP)
    room = TelegramStaffRoom(bot, FAST)
    botapi.fail("createForumTopic", 400, description="Bad Request: the chat is not a forum")
    assert await room.open_topic(str(GROUP), "Guest 4F2") is None
    topic = await room.open_topic(str(GROUP), "Guest 4F2")
    assert topic is not None
    botapi.fail("sendMessage", 502, times=2)
    assert await room.post(topic, "hello") is None
    botapi.fail("closeForumTopic", 400, description="Bad Request: TOPIC_ID_INVALID")
    assert not await room.close_topic(topic)
