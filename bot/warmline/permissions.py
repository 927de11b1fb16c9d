"""Who may do what on the warm line, pure: the facts come in (who holds a conversation, who tapped or wrote,
where the button lives, whether they are a group admin), a yes or no, or a reason, goes out.

bot.channels.telegram.warmline and groupcommands ask these before they act; they look the facts up (the
handoff row, Telegram's getChatMember) and carry out only what is allowed. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

TOPIC = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")  # a flow's handoff topic, as flows write it ("work", "talk")
DEFAULT_TOPIC = "talk"
PersonButton = Literal["ok", "earlier", "stale"]
PERSON_VERBS = {  # a person's button naming a conversation, and the states in which it still means something
    "cancel": ("queued",),
    "end": ("queued", "taken"),
    "wait": ("queued", "taken"),
}


@dataclass(frozen=True, slots=True)
class Holding:
    """A conversation as permissions see it: its state, who holds it, and where its card is."""

    status: str  # queued, taken, leaving, left
    holder: int | None  # the supporter's Telegram user id (staff data), None while nobody holds it
    group: int | None  # the group the card lives in
    card: int | None  # the card's message id there (None until Telegram has confirmed it)
    thread: int | None = None  # the forum topic the card is in


def may_manage(holding: Holding, user: int, *, admin: bool) -> bool:
    """End, release, mute: the supporter who holds the conversation, or a group admin. A message left out of
    hours has no holder: anyone in the group may answer it, so anyone may end it too; muting it takes an admin."""
    if admin:
        return True
    return holding.holder is not None and holding.holder == user


def may_end_left(holding: Holding) -> bool:
    """A left message (nobody holds it) may be ended by any supporter who answered it."""
    return holding.status == "left"


def needs_admin(holding: Holding, user: int) -> bool:
    """Whether Telegram must be asked if `user` is an admin (only when they are not the holder)."""
    return holding.holder is None or holding.holder != user


def on_own_card(holding: Holding, chat: int, message: int, thread: int | None) -> bool:
    """The button was tapped on the conversation's own card, in the group where it lives. Until the card's id
    is recorded (just after Telegram confirms it), a tap in that conversation's own topic counts as on it."""
    if holding.group is None or chat != holding.group:
        return False
    if holding.card is not None:
        return message == holding.card
    return holding.thread is not None and thread == holding.thread


def card_button_counts(holding: Holding, verb: str, chat: int, message: int, thread: int | None = None) -> bool:
    """A card's button counts only when it was tapped on that conversation's own card, in the group where
    the card lives, and only for a state the card offers it in (Take while queued; Release and End while
    taken). Crafted callback data naming another handoff, or another group's, does nothing."""
    if not on_own_card(holding, chat, message, thread):
        return False
    if verb == "take":
        return holding.status == "queued"
    if verb in ("release", "close"):
        return holding.status == "taken"
    return False


def person_button(verb: str, status: str | None) -> PersonButton:
    """A warm-line button the person tapped: 'ok' to act on it; 'earlier' when its conversation is over (the
    button is from an earlier one); 'stale' when the conversation goes on but the button no longer fits
    (Cancel after a supporter took them). Old buttons never end a live conversation."""
    allowed = PERSON_VERBS.get(verb)
    if allowed is None:
        return "ok"
    if status is None:
        return "earlier"
    return "ok" if status in allowed else "stale"


def leave_closes(status: str, handoff: int, offered_for: int | None) -> bool:
    """ "Leave a message" ends what it was offered for: a wait in line (the long-wait offer), or the one
    conversation whose supporter went silent (the silence offer names it). An old offer never ends a
    conversation that is going on."""
    return status == "queued" or (status == "taken" and offered_for is not None and handoff == offered_for)


def safe_topic(value: str, known: Collection[str] = ()) -> str:
    """The handoff topic a person's button names, or DEFAULT_TOPIC: a short plain word (never free text, it
    becomes part of the forum topic's name), and one the flows use when `known` lists them."""
    if not TOPIC.match(value) or (known and value not in known):
        return DEFAULT_TOPIC
    return value


def is_bot_command(name: str, known: Collection[str]) -> bool:
    """A supporter's message starting with "/" is a command only when it is one of the bot's group commands;
    anything else ("/shrug", "/2 days") is their words, relayed like the rest."""
    return bool(name) and name in known
