"""Staff commands in a warm-line group: /stats and /reload (group admins only), /mute and /unmute (in a topic,
the supporter holding it or an admin), /alias (each supporter their own name, checked by bot.warmline.aliases).

    /stats           ─► bot.staff.stats: the last 7 days as text, and the chart as a photo, where it was asked
    /reload          ─► Edge.reload (bot.content.reload): swapped only when sound; the report posted back
    /mute [minutes]  ─► the person's messages are held back (default 30 min); they are told once, calmly
    /unmute          ─► their messages reach the topic again
    /alias Sam       ─► the name people see for this supporter (short, plain letters, never an agency's)

Who is an admin is asked of Telegram (getChatMember) and remembered for a minute. Every word a supporter sees
is in flows/warmline.yaml, except the /stats and /reload reports, which bot.staff.stats and bot.content.reload
write. Logs name outcomes only, never a Telegram id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from telegram.error import TelegramError

from bot.channels.telegram import desk as desk_commands
from bot.channels.telegram.edge import Edge
from bot.channels.telegram.relay import GroupQueues
from bot.content.reload import report
from bot.content.warmlinetext import WarmlineText
from bot.core.numbers import whole_number
from bot.staff.stats import chart_png, report_text
from bot.store.database import Store
from bot.warmline import aliases
from bot.warmline import rules as decide

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMANDS = frozenset({"stats", "reload", "mute", "unmute", "alias", *desk_commands.CONSOLE})
ADMIN_ONLY = frozenset({"stats", "reload"})
ADMIN_STATUSES = frozenset({"administrator", "creator"})
ADMIN_SECONDS = 60.0  # how long an answer to "is this user an admin?" is trusted
MUTE_MINUTES = 30  # /mute without a number
MUTE_MAX_MINUTES = 24 * 60
STATS_DAYS = 7


def mute_minutes(argument: str) -> int:
    """The minutes `/mute N` asks for: N when it is a whole number from 1 to a day, else the default."""
    word = argument.strip().split(maxsplit=1)[0] if argument.strip() else ""
    minutes = whole_number(word)
    if minutes is not None and 1 <= minutes <= MUTE_MAX_MINUTES:
        return minutes
    return MUTE_MINUTES


class Warmline(Protocol):
    """What the staff commands use of the warm line (bot.channels.telegram.warmline.Warmline, which imports
    this module: a Protocol here, not an import back, keeps the two free of a cycle)."""

    admins: Admins
    desk: desk_commands.Desk  # /queue, /handover (bot.channels.telegram.desk)

    @property
    def edge(self) -> Edge: ...

    @property
    def store(self) -> Store: ...

    @property
    def text(self) -> WarmlineText: ...

    @property
    def queues(self) -> GroupQueues: ...

    @property
    def bot(self) -> Any: ...

    async def count(self, name: str) -> None: ...

    async def may_manage(self, row: dict[str, Any], user: int) -> bool: ...

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T: ...

    async def _to_group(
        self, group: int | None, thread: int | None, text: str, buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    ) -> int | None: ...


class Admins:
    """Whether a user is an admin of a group, asked of Telegram and remembered for ADMIN_SECONDS."""

    def __init__(self, seconds: float = ADMIN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._known: dict[tuple[int, int], tuple[float, bool]] = {}

    async def check(self, warm: Warmline, group: int, user: int) -> bool:
        known = self._known.get((group, user))
        if known is not None and self.clock() - known[0] < self.seconds:
            return known[1]
        try:
            member = await warm._call(partial(warm.bot.get_chat_member, group, user))
        except TelegramError as exc:  # not remembered: the next command asks again
            log.warning("could not ask Telegram who is an admin (%s)", type(exc).__name__)
            return False
        admin = str(member.status) in ADMIN_STATUSES
        self._known[(group, user)] = (self.clock(), admin)
        return admin


async def run(warm: Warmline, name: str, argument: str, group: int, thread: int | None, user: int) -> None:
    """Carry out one staff command from `user`, answering in the topic (or General) where it was sent."""
    if name in ADMIN_ONLY and not await warm.admins.check(warm, group, user):
        await warm._to_group(group, thread, warm.text.staff_say("admins_only", command=name))
        return
    if name in desk_commands.CONSOLE:
        await desk_commands.run(warm, name, argument, group, thread, user)
    elif name == "stats":
        await stats(warm, group, thread)
    elif name == "reload":
        await reload(warm, group, thread)
    elif name == "alias":
        await alias(warm, group, thread, user, argument)
    elif thread is not None:
        await mute(warm, group, thread, None if name == "unmute" else mute_minutes(argument), user)
    else:  # /mute in General: say where it works rather than nothing
        await warm._to_group(group, thread, warm.text.staff_say("topic_only", command=name))


async def stats(warm: Warmline, group: int, thread: int | None) -> None:
    """The anonymous counts of the last STATS_DAYS days: the text report, then the chart as a photo."""
    edge = warm.edge
    await edge.flush_counts()  # the engine's counts wait in memory for a few seconds
    today = edge.clock().astimezone(edge.zone).date()
    counts = await warm.store.counts(since=today - timedelta(days=STATS_DAYS))
    await warm._to_group(group, thread, report_text(counts, today, days=STATS_DAYS))
    png = chart_png(counts, today=today, days=STATS_DAYS)
    await warm.queues.slot(group)
    try:
        await warm._call(partial(warm.bot.send_photo, group, png, message_thread_id=thread))
    except TelegramError as exc:
        log.warning("the stats chart was not sent (%s)", type(exc).__name__)


async def reload(warm: Warmline, group: int, thread: int | None) -> None:
    """Load flows/ and resources/ again; the new content runs only when it has no errors. Post the outcome."""
    edge = warm.edge
    before = edge.content
    problems = edge.reload()
    changed = edge.content is not before
    if changed:
        log.info("flows and resources reloaded from the warm-line group (version %s)", edge.content.version)
        await edge.register_commands()
    await warm._to_group(group, thread, report(problems, changed, edge.content))


async def alias(warm: Warmline, group: int, thread: int | None, user: int, argument: str) -> None:
    """/alias Sam: the name people see for this supporter, when bot.warmline.aliases allows it (short, plain
    letters, never the police or an agency); otherwise the supporter is told why and nothing changes."""
    chosen = aliases.tidy(argument)
    agencies = aliases.agency_names(r.name for r in warm.edge.content.directory.resources)
    refusal = aliases.check_alias(chosen, warm.text.refused_aliases, agencies)
    if refusal:
        await warm._to_group(group, thread, warm.text.staff_say(refusal, max=aliases.ALIAS_MAX))
        return
    await warm.store.supporter_set(user, group, alias=chosen)
    await warm._to_group(group, thread, warm.text.staff_say("alias_set", supporter=chosen))


async def mute(warm: Warmline, group: int, thread: int, minutes: int | None, user: int) -> None:
    """/mute (minutes) or /unmute (None) for the topic's person; the supporter sees until when, never who.
    Only the supporter holding the conversation, or a group admin, may."""
    rows = [r for r in await warm.store.handoffs(thread=(group, thread)) if r["status"] in ("queued", "taken")]
    if not rows:
        await warm._to_group(group, thread, warm.text.staff_say("gone"))
        return
    row: dict[str, Any] = rows[0]
    if not await warm.may_manage(row, user):
        await warm._to_group(group, thread, warm.text.staff_say("holder_only"))
        return
    guest = decide.alias(row["token"])
    if minutes is None:
        await warm.store.handoff_mute(row["id"], None)
        await warm._to_group(group, thread, warm.text.staff_say("unmuted", alias=guest))
        return
    until = warm.edge.clock().astimezone(warm.edge.zone) + timedelta(minutes=minutes)
    await warm.store.handoff_mute(row["id"], until)
    await warm.count("warmline_muted")
    await warm._to_group(
        group, thread, warm.text.staff_say("muted_note", alias=guest, minutes=minutes, until=until.strftime("%H:%M"))
    )
