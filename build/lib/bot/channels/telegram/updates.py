"""Reading updates from Telegram one by one, so one the library cannot parse is skipped, not fatal.

python-telegram-bot's `Bot.get_updates` parses a whole batch at once: one update it cannot read (a field of a
newer Bot API, a malformed value) makes it log the entire batch at CRITICAL (names, usernames, ids, text) and
raise, and since the batch is never confirmed, the same update stops the polling loop again on every restart.
Here getUpdates is called through the bot's own request object (the same HTTP client, timeouts and errors:
Bot.do_api_request would do, but warns for a method the library has), and each update is parsed alone: an
unreadable one is logged by its id only and confirmed with the rest.
The webhook reads its single update the same way (read_update).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.request import RequestData

# RequestData's parts are not exported; this is the one class Bot itself builds them with (pinned below PTB 23).
from telegram.request._requestparameter import RequestParameter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Batch:
    """The updates of one getUpdates call that could be read, and the id to confirm up to (skipped ones too)."""

    updates: list[Update]
    last_id: int | None


def read_update(data: Any, bot: Bot) -> Update | None:
    """The update in data, or None (logged by its id alone, never its contents) if it cannot be read."""
    update_id = data.get("update_id") if isinstance(data, dict) else None
    try:
        update = Update.de_json(data, bot) if isinstance(data, dict) else None
    except Exception as exc:  # anything the library raises on data it does not understand
        log.warning(
            "update %s could not be read by python-telegram-bot (%s); skipped",
            update_id if isinstance(update_id, int) else "without an id",
            type(exc).__name__,
        )
        return None
    if update is None:
        log.warning(
            "update %s is not an update object; skipped", update_id if isinstance(update_id, int) else "without an id"
        )
    return update


def read_batch(results: Sequence[Any], bot: Bot) -> Batch:
    """Each result parsed alone (read_update); the last id is the highest seen, read or not."""
    ids = [r["update_id"] for r in results if isinstance(r, dict) and isinstance(r.get("update_id"), int)]
    updates = [update for update in (read_update(r, bot) for r in results) if update is not None]
    return Batch(updates, max(ids) if ids else None)


async def fetch_updates(bot: Bot, *, offset: int | None, wait: int, allowed_updates: Sequence[str]) -> Batch:
    """One long-polling getUpdates call (raises what Bot.get_updates raises on HTTP and API errors)."""
    data: dict[str, Any] = {"timeout": wait, "allowed_updates": list(allowed_updates)}
    if offset is not None:
        data["offset"] = offset
    request = bot.request
    results = await request.post(
        url=f"{bot.base_url}/getUpdates",
        request_data=RequestData(parameters=[RequestParameter.from_input(k, v) for k, v in data.items()]),
        read_timeout=(request.read_timeout or 0) + wait,  # the long poll itself, then the usual margin
    )
    return read_batch(results if isinstance(results, list) else [], bot)
