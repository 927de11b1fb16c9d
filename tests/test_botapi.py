"""The stand-in Bot API server answers as Telegram does, so the end-to-end tests can trust it."""

from __future__ import annotations

import pytest
from botapi import BotApiServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.warnings import PTBUserWarning


def _bot(server: BotApiServer, token: str | None = None) -> Bot:
    return Bot(token or server.token, base_url=server.base_url, base_file_url=server.base_file_url)


async def test_send_message_is_answered_with_a_message(botapi: BotApiServer) -> None:
    """sendMessage with an inline keyboard returns a Message and is recorded with decoded parameters."""
    async with _bot(botapi) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="v1:yes")]])
        message = await bot.send_message(1001, "Hello", reply_markup=keyboard)
    assert message.message_id == 1
    assert message.text == "Hello"
    assert message.chat.id == 1001
    call = botapi.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == 1001
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "v1:yes"


async def test_unknown_method_and_parameter_are_bad_requests(botapi: BotApiServer) -> None:
    """An unknown method, an unknown parameter or a missing required one is refused with 400."""
    async with _bot(botapi) as bot:
        with pytest.raises(BadRequest, match=r"(?i)not found"):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
        with pytest.raises(BadRequest, match=r"(?i)unknown parameter"):
            await bot.send_message(1, "x", api_kwargs={"colour": "red"})
        # the library warns that send_message exists; the raw call is the point (send_message would refuse first)
        with pytest.raises(BadRequest, match=r"(?i)required"), pytest.warns(PTBUserWarning, match="sendMessage"):
            await bot.do_api_request("sendMessage", api_kwargs={"chat_id": 1})
        long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(1, "x", reply_markup=long)


async def test_faults_are_injected_in_order(botapi: BotApiServer) -> None:
    """Injected 429, 5xx and 403 arrive as Telegram's errors, then calls succeed again."""
    botapi.fail("sendMessage", 429, retry_after=3)
    botapi.fail("sendMessage", 502)
    botapi.fail("sendMessage", 403)
    async with _bot(botapi) as bot:
        with pytest.raises(RetryAfter, match="3"):
            await bot.send_message(1, "x")
        with pytest.raises(NetworkError):
            await bot.send_message(1, "x")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(1, "x")
        await bot.send_message(1, "x")
    assert [c.status for c in botapi.calls_to("sendMessage", ok=False)] == [429, 502, 403]


async def test_wrong_or_revoked_token_is_unauthorized(botapi: BotApiServer) -> None:
    """Any call after revoke_token() gets 401, which the library reports as InvalidToken."""
    async with _bot(botapi) as bot:
        await bot.get_me()
        botapi.revoke_token()
        with pytest.raises(InvalidToken):
            await bot.get_me()


async def test_get_updates_long_polls_and_confirms_by_offset(botapi: BotApiServer) -> None:
    """getUpdates waits for an update, returns it until confirmed by offset, then waits again."""
    alice = botapi.person(1001)
    async with _bot(botapi) as bot:
        assert await bot.get_updates(timeout=0) == ()
        alice.send("/start")
        first = await bot.get_updates(timeout=5)
        assert first[0].message.text == "/start"
        assert first[0].effective_user.id == 1001
        again = await bot.get_updates(timeout=5)
        assert again[0].update_id == first[0].update_id
        assert await bot.get_updates(offset=first[0].update_id + 1, timeout=0) == ()


async def test_forum_topics_and_copies(botapi: BotApiServer) -> None:
    """Forum topics, copyMessage, deleteMessages and setMyCommands are answered in Telegram's shapes."""
    async with _bot(botapi) as bot:
        topic = await bot.create_forum_topic(-100123, "Guest 4F2")
        await bot.close_forum_topic(-100123, topic.message_thread_id)
        photo = botapi.person(1001).photo()
        copied = await bot.copy_message(-100123, 1001, photo["message_id"], message_thread_id=topic.message_thread_id)
        copy = botapi.message(-100123, copied.message_id)
        assert copy is not None
        assert copy["photo"] == photo["photo"]
        assert copy["message_thread_id"] == topic.message_thread_id
        assert "from" not in copy or copy["from"]["is_bot"]
        sent = await bot.send_message(1001, "to delete")
        assert await bot.delete_messages(1001, [sent.message_id])
        assert botapi.messages(1001) == []
        assert await bot.set_my_commands([("start", "Start")], language_code="fr")
