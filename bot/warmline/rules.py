"""The warm line's decisions, pure: hours, the queue and its honest wait, the claim, the neutral alias, the
supporters' card and topic name, and the pacing that keeps a group under Telegram's limit.

Nothing here does I/O or reads a clock: bot.channels.telegram.warmline asks, acts, and stores. The words come from
flows/warmline.yaml (staff edit them), loaded once into a frozen `WarmlineText`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.content.warmlinetext import (
    FILE,
    LANGUAGES,
    NUMBERS,
    PERSON_KEYS,
    STAFF_KEYS,
    WarmlineText,
    is_open,
    load_warmline,
)
from bot.core.vocabulary import TIMEZONE_DEFAULT

TOPIC_NAME_MAX = 128  # Telegram's limit for a forum topic name
TEXT_MAX = 4096  # Telegram's limit for one message
ZONE = ZoneInfo(TIMEZONE_DEFAULT)
# The words are loaded in content/ (bot.content.warmlinetext); callers of the rules find them here too.
__all__ = ["FILE", "LANGUAGES", "NUMBERS", "PERSON_KEYS", "STAFF_KEYS", "WarmlineText", "is_open", "load_warmline"]


# -- hours ------------------------------------------------------------------------------------------------


# -- who the person is to supporters ----------------------------------------------------------------------


def new_token() -> str:
    """A random per-handoff token: the alias derives from it, never from the person key or a Telegram id."""
    return secrets.token_hex(4)


def alias(token: str) -> str:
    """The neutral name supporters see: 'Guest 4F2'."""
    return f"Guest {token[:3].upper()}"


def shown_language(language: str, channel: str = "telegram") -> str:
    """The person's language as supporters see it, with the channel when it is not Telegram: 'web · es'."""
    return language if channel in ("", "telegram") else f"{channel} · {language}"


def topic_name(guest: str, language: str, topic: str, *, urgent: bool = False, channel: str = "telegram") -> str:
    """The forum topic's name: 'Guest 4F2 · es · work', 'Guest 4F2 · web · es · work' for a person on another
    channel than Telegram (⚠ first when urgent), within Telegram's 128 chars."""
    name = f"{'⚠ ' if urgent else ''}{guest} · {shown_language(language, channel)} · {topic}"
    return name[:TOPIC_NAME_MAX]


def card_text(
    text: WarmlineText,
    *,
    guest: str,
    language: str,
    path: Sequence[str],
    minutes: int,
    urgent: bool = False,
    taken_by: str | None = None,
    message: bool = False,
    channel: str = "telegram",
) -> str:
    """The card supporters see: language (and the channel, when not Telegram), the doors chosen and the wait;
    no identifiers, none of their words."""
    doors = " › ".join(path) or "—"
    shown = shown_language(language, channel)
    body = text.staff_say(
        "card_message" if message else "card", alias=guest, language=shown, path=doors, minutes=minutes
    )
    if urgent:
        body += "\n" + text.staff_say("card_urgent")
    if taken_by:
        body += "\n" + text.staff_say("card_taken", supporter=taken_by)
    if not message:  # how to write notes and hand over (bot.warmline.desk)
        body += "\n\n" + text.staff_say("card_help")
    return body


# -- the queue --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Supporter:
    """A supporter as the queue sees them: which group, on duty or not, how many conversations they hold."""

    user_id: int
    group_chat: int
    on_duty: bool
    active: int = 0


def free_slots(supporters: Iterable[Supporter], capacity: int, group_chat: int | None = None) -> int:
    """Conversations the on-duty supporters (of one group, or all) could take now."""
    return sum(
        max(0, capacity - s.active)
        for s in supporters
        if s.on_duty and (group_chat is None or s.group_chat == group_chat)
    )


def on_duty(supporters: Iterable[Supporter], group_chat: int | None = None) -> int:
    return sum(1 for s in supporters if s.on_duty and (group_chat is None or s.group_chat == group_chat))


def may_take(active: int, capacity: int) -> bool:
    """A supporter may take one more conversation while under their capacity."""
    return active < capacity


def estimate_minutes(position: int, free: int, duty: int, per_conversation: int) -> int | None:
    """An honest wait for the person at `position` (1-based): 0 when someone is free for them, else how many
    conversations must end first, spread over the supporters on duty. None when nobody is on duty."""
    if duty <= 0:
        return None
    ahead = position - free
    if ahead <= 0:
        return 0
    return math.ceil(ahead / duty) * per_conversation


def wait_words(text: WarmlineText, lang: str, minutes: int | None) -> str:
    """'a few minutes' or 'about 30 minutes' in the person's language."""
    if not minutes or minutes <= 5:
        return text.say("wait_soon", lang)
    return text.say("wait_minutes", lang, minutes=minutes)


def choose_group(
    groups: Sequence[int], supporters: Sequence[Supporter], queued: Mapping[int, int], capacity: int
) -> int:
    """The group a new request goes to: the most free room (free slots minus people already waiting);
    the first group when none has anyone on duty."""
    if not groups:
        raise ValueError("no warm-line groups are configured")
    staffed = [g for g in groups if on_duty(supporters, g)]
    if not staffed:
        return groups[0]
    return max(staffed, key=lambda g: (free_slots(supporters, capacity, g) - queued.get(g, 0), -groups.index(g)))


def silent(last_person: int | None, last_supporter: int | None, now: int, minutes: int) -> bool:
    """The person wrote last and the supporter has not answered for `minutes`."""
    if last_person is None:
        return False
    return (last_supporter or 0) <= last_person and now - last_person >= minutes * 60  # seconds: a tie is silence


def idle(last_person: int | None, last_supporter: int | None, now: int, minutes: int) -> bool:
    """Nobody has written for `minutes`."""
    return now - max(last_person or 0, last_supporter or 0) >= minutes * 60


# -- pacing a group under Telegram's limit ----------------------------------------------------------------


@dataclass
class Pacer:
    """A token bucket per group: `burst` sends at once, then `per_minute - burst` more per minute, so no
    60-second window ever holds more than `per_minute` sends. per_minute <= 0 turns pacing off."""

    per_minute: int = 20
    burst: int = 4
    tokens: float = -1.0
    at: float = 0.0

    @property
    def rate(self) -> float:
        return max(1, self.per_minute - self.burst) / 60.0

    def delay(self, now: float) -> float:
        """Seconds to wait before the next send may go (0 when it may go now)."""
        if self.per_minute <= 0:
            return 0.0
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def ready(self, now: float) -> float:
        """Sends that may go at once now (a full burst when pacing is off)."""
        if self.per_minute <= 0:
            return float(self.burst)
        self._refill(now)
        return max(0.0, self.tokens)

    def spend(self, now: float) -> None:
        if self.per_minute <= 0:
            return
        self._refill(now)
        self.tokens -= 1

    def _refill(self, now: float) -> None:
        if self.tokens < 0 and self.at == 0.0:
            self.tokens, self.at = float(self.burst), now
            return
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now


@dataclass(frozen=True, slots=True)
class Item:
    """One message waiting to go into a group: row id in the store, its topic, and its text when it is
    plain text (only text can be merged; anything else is copied as it is)."""

    row: int
    thread: int
    text: str | None


def next_batch(pending: Sequence[Item], separator: str = "\n\n") -> tuple[Item, ...]:
    """The items to send in one call: the first item, plus the texts right after it in the same topic while
    they fit in one message. Order is kept: a batch never skips over an item."""
    if not pending:
        return ()
    first = pending[0]
    if first.text is None:
        return (first,)
    batch = [first]
    size = len(first.text)
    for item in pending[1:]:
        if item.thread != first.thread or item.text is None or size + len(separator) + len(item.text) > TEXT_MAX:
            break
        batch.append(item)
        size += len(separator) + len(item.text)
    return tuple(batch)
