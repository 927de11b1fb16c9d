"""What each channel can carry, as data: `check` measures every screen and button against every channel here,
and each channel's sender reports its own record (bot.runtime.ports.PersonSender.limits).

A new channel adds its record to CHANNELS (and its folder under bot/channels/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """What a channel can carry."""

    channel: str  # "telegram", "web", ...: the prefix of its people's keys and chats
    name: str  # how staff read it in a problem: "Telegram"
    text_chars: int  # the longest message text
    callback_bytes: int  # the longest button data, in UTF-8 bytes
    delete_window: timedelta | None  # how long after sending a message the bot may still delete it; None: no limit


TELEGRAM = ChannelLimits(
    channel="telegram",
    name="Telegram",
    text_chars=4096,  # sendMessage's text (we send plain text)
    callback_bytes=64,  # InlineKeyboardButton.callback_data, 1-64 bytes
    delete_window=timedelta(hours=48),  # a bot may delete messages in a private chat for 48 hours
)

WEB = ChannelLimits(
    channel="web",
    name="the web chat",
    text_chars=4096,  # no limit of its own; a screen is kept as long as Telegram's, so both show it whole
    callback_bytes=64,  # a tapped button's value, as the web chat's forms read it (bot.channels.web.turns)
    delete_window=None,  # lines stay deletable on the page's rows for as long as the chat is open
)

CHANNELS: tuple[ChannelLimits, ...] = (TELEGRAM, WEB)


def tightest_text(channels: tuple[ChannelLimits, ...] = CHANNELS) -> ChannelLimits:
    """The channel that allows the shortest message text (what every screen must fit)."""
    return min(channels, key=lambda c: c.text_chars)


def tightest_callback(channels: tuple[ChannelLimits, ...] = CHANNELS) -> ChannelLimits:
    """The channel that allows the shortest button data (what every option's data must fit)."""
    return min(channels, key=lambda c: c.callback_bytes)
