"""One relayed message as a Bot API call: a copy of the original (copyMessage, never a forward: a forward names
its sender), with a new caption when bot.warmline.relaying shaped one, or the shaped text (sendMessage).

Both directions use it: into a topic (`thread` set) and to a person's chat. The payload is the relay queue's
JSON (bot.warmline.relaying.Relay.payload): from_chat, message_id, text, and optionally send="text", caption.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from bot.warmline.relaying import SEND


def relay_call(
    bot: Any, chat: int, payload: Mapping[str, Any], thread: int | None = None
) -> Callable[[], Awaitable[Any]]:
    """The call that delivers `payload` to `chat` (and `thread`, a forum topic)."""
    where: dict[str, Any] = {} if thread is None else {"message_thread_id": thread}
    if payload.get("send") == SEND and payload.get("text"):
        return partial(bot.send_message, chat, str(payload["text"]), **where)
    if payload.get("caption") is not None:
        where["caption"] = str(payload["caption"])
    return partial(bot.copy_message, chat, payload["from_chat"], payload["message_id"], **where)
