"""More messages a test can have a chat send, beside Chat's own (send, photo, edit...): replies, edits by a
given member in a topic, captions, contacts, and messages in a topic Telegram ties to its first service message.

    from botapi.messages import reply, edit, contact
    reply(alice, "yes, that one", to=copied_message)        # a reply carries the message it answers
    edit(group, message["message_id"], "fixed", from_user=SAM, thread_id=100)
"""

from __future__ import annotations

import time
from typing import Any

from botapi.server import BOT_USER, Chat


def _enqueue(chat: Chat, from_user: dict[str, Any] | None, thread_id: int | None, **fields: Any) -> dict[str, Any]:
    if thread_id is not None:
        fields.update(message_thread_id=thread_id, is_topic_message=True)
    message = chat._message(from_user, **fields)
    chat.server.enqueue({"message": message})
    return message


def reply(
    chat: Chat,
    text: str,
    *,
    to: dict[str, Any],
    from_user: dict[str, Any] | None = None,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A text message replying to `to` (a message dict as the server keeps it), as Telegram nests it."""
    replied = {k: v for k, v in to.items() if k != "reply_to_message"}
    replied.setdefault("chat", chat.chat)
    replied.setdefault("date", int(time.time()))
    replied.setdefault("from", BOT_USER)
    return _enqueue(chat, from_user, thread_id, text=text, reply_to_message=replied)


def in_topic(chat: Chat, text: str, *, from_user: dict[str, Any], thread_id: int, name: str) -> dict[str, Any]:
    """A message in a forum topic as Telegram sends it: tied (reply_to_message) to the topic's first service
    message, which names the topic."""
    created = {
        "message_id": thread_id,
        "date": int(time.time()),
        "chat": chat.chat,
        "from": BOT_USER,
        "message_thread_id": thread_id,
        "forum_topic_created": {"name": name, "icon_color": 7322096},
        "is_topic_message": True,
    }
    return _enqueue(chat, from_user, thread_id, text=text, reply_to_message=created)


def edit(
    chat: Chat, message_id: int, text: str, *, from_user: dict[str, Any] | None = None, thread_id: int | None = None
) -> dict[str, Any]:
    """An edited_message update: `message_id` now says `text` (in a group, `from_user` says who edited)."""
    fields: dict[str, Any] = {"text": text, "edit_date": int(time.time())}
    if thread_id is not None:
        fields.update(message_thread_id=thread_id, is_topic_message=True)
    message = chat._message(from_user, **fields)
    message["message_id"] = message_id
    chat.server.received[(chat.id, message_id)] = message
    chat.server.enqueue({"edited_message": message})
    return message


def photo(chat: Chat, caption: str, *, from_user: dict[str, Any] | None = None) -> dict[str, Any]:
    """A photo with a caption."""
    size = {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}
    return _enqueue(chat, from_user, None, photo=[size], caption=caption)


def contact(chat: Chat, first: str, last: str, phone: str) -> dict[str, Any]:
    """A shared contact card (a name and a phone number)."""
    return _enqueue(chat, None, None, contact={"phone_number": phone, "first_name": first, "last_name": last})
