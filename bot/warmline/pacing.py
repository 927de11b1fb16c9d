"""Which message goes next into a warm-line group, pure: danger first, then the earliest due with a virtual
clock that keeps turns fair between conversations, one person's share capped, neighbouring texts merged; how long
to back off after a failure; which group has room.

bot.channels.telegram.relay keeps the queue (the store's staff outbox), the clock and the Bot API calls; it asks
`choose` for the next batch each time the group's pacer (bot.warmline.rules.Pacer) lets one more send go.

Order is kept within a conversation (its items go in `ord` order; one waiting for a retry holds back those after
it). Between conversations, each is due at its most pressing item's time (when it was queued, plus a slack for
card edits and closing a topic, which may give way), but never before its virtual clock, which every send moves
one send interval past the later of now and itself (`advance`). New requests (their topics and cards) share one
clock, OPENINGS. So a person sending faster than their turn (twenty stickers), or a wave of new requests, runs
ahead of the clock and gives way to whoever has been quiet: a live conversation's next message waits about one
send, whatever else is queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.warmline.rules import Item, next_batch

WINDOW = 60.0  # seconds over which a conversation's recent sends are counted
GENERAL = 0  # the conversation key of notes in General (not in any person's topic)
OPENINGS = -1  # the one clock that new requests' topics and cards share
OPENING = frozenset({"topic", "card"})
SLACK = {"edit": 5.0, "rename": 5.0, "markup": 30.0, "close": 30.0}  # seconds these may give way to others
NEEDS_NO_TOPIC = frozenset({"topic"})
LAG_GOAL = 10.0  # seconds: a group whose queue takes longer than this to send has no room for a new request
BUSY_EVERY = 15 * 60.0  # seconds between two "every group is full" notes


@dataclass(frozen=True, slots=True)
class Pending:
    """One message waiting for a group, as the decisions see it.

    `conversation` is the handoff (GENERAL for General); `thread` None means it waits for the conversation's
    topic; `text` is set when it is the person's plain text, which may merge with the next ones; `ready_at` is
    when a failed send may be tried again (0: now); `since` when it was queued (the caller's clock)."""

    row: int
    conversation: int
    kind: str
    ord: float
    thread: int | None = None
    text: str | None = None
    urgent: bool = False
    ready_at: float = 0.0
    since: float = 0.0


@dataclass(frozen=True, slots=True)
class Choice:
    """The rows to send in one call (in order), or none and how long to wait before asking again (None:
    until something new is queued)."""

    batch: tuple[Pending, ...] = ()
    wait: float | None = None


def conversations(pending: Sequence[Pending]) -> dict[int, list[Pending]]:
    """Each conversation's waiting items, in send order."""
    found: dict[int, list[Pending]] = {}
    for item in sorted(pending, key=lambda p: p.ord):
        found.setdefault(item.conversation, []).append(item)
    return found


def recent(times: Sequence[float], now: float, window: float = WINDOW) -> int:
    """How many of `times` fall in the last `window` seconds."""
    return sum(1 for t in times if now - t < window)


def choose(
    pending: Sequence[Pending],
    clocks: Mapping[int, float],
    relayed: Mapping[int, Sequence[float]],
    now: float,
    *,
    cap: int,
    window: float = WINDOW,
) -> Choice:
    """The next batch: the oldest urgent conversation's next items; else the conversation due first (its most
    pressing item, not before its virtual clock in `clocks`), the person's own words at most `cap` sends a
    `window` (`relayed`: their send times; `cap` <= 0: no cap), merged where they are plain texts of one topic."""
    waits: list[float] = []
    ready: list[tuple[int, list[Pending]]] = []
    for key, items in conversations(pending).items():
        head = items[0]
        if head.thread is None and head.kind not in NEEDS_NO_TOPIC and key != GENERAL:
            continue  # waits for its topic, which is not queued: the caller drops or re-opens it
        if head.ready_at > now:
            waits.append(head.ready_at - now)
            continue
        ready.append((key, items))
    urgent = [(min(p.ord for p in items if p.urgent), items) for _, items in ready if any(p.urgent for p in items)]
    if urgent:
        return Choice(_batch(min(urgent, key=lambda u: u[0])[1]))
    due_at: list[tuple[float, float, list[Pending]]] = []
    for key, items in ready:
        head = items[0]
        mine = [t for t in relayed.get(key, ()) if now - t < window]
        if head.kind == "relay" and cap > 0 and len(mine) >= cap:
            waits.append(min(mine) + window - now)
            continue
        soonest = min(p.since + SLACK.get(p.kind, 0.0) for p in items)  # its most pressing item, waiting in order
        due_at.append((max(soonest, clocks.get(flow(head.kind, key), 0.0)), head.ord, items))
    if due_at:
        return Choice(_batch(min(due_at, key=lambda d: (d[0], d[1]))[2]))
    return Choice((), min(waits) if waits else None)


def flow(kind: str, conversation: int) -> int:
    """Whose clock a send moves: the conversation's, or OPENINGS for a new request's topic and card."""
    return OPENINGS if kind in OPENING else conversation


def advance(clock: float | None, now: float, interval: float) -> float:
    """A conversation's virtual clock after one more send: one interval past the later of now and itself."""
    return max(now, clock or 0.0) + interval


def _batch(items: Sequence[Pending]) -> tuple[Pending, ...]:
    """The first item, and the person's plain texts right after it in the same topic (rules.next_batch)."""
    head = items[0]
    if head.kind != "relay" or head.text is None:
        return (head,)
    run: list[Pending] = []
    for item in items:
        if item.kind != "relay" or item.ready_at > head.ready_at:
            break
        run.append(item)
    merged = next_batch([Item(p.row, p.thread or 0, p.text) for p in run])
    return tuple(run[: len(merged)])


def backoff(attempts: int, first: float, most: float) -> float:
    """Seconds before try number `attempts` + 1 after a transient failure: doubling from `first`, at most `most`."""
    if attempts <= 0:
        return 0.0
    return float(min(most, first * 2 ** min(attempts - 1, 30)))


# -- routing a new request ----------------------------------------------------------------------------------


def drain_seconds(depth: int, per_minute: int, burst: int, tokens: float | None = None) -> float:
    """How long a group's queue of `depth` messages takes to go out under its pacer, which may send `tokens`
    at once now (None: a full burst); 0 when pacing is off."""
    if per_minute <= 0:
        return 0.0
    rate = max(1, per_minute - burst) / 60.0
    ready = float(burst) if tokens is None else max(0.0, tokens)
    return max(0.0, depth - ready) / rate


def saturated(depth: int, per_minute: int, burst: int, lag_goal: float, tokens: float | None = None) -> bool:
    """The group's queue already takes longer than `lag_goal` seconds to send."""
    return drain_seconds(depth, per_minute, burst, tokens) > lag_goal


def with_room(
    groups: Sequence[int],
    depths: Mapping[int, int],
    per_minute: int,
    burst: int,
    lag_goal: float,
    tokens: Mapping[int, float] | None = None,
) -> list[int]:
    """The groups whose queue is not saturated, in their configured order."""
    ready = tokens or {}
    return [g for g in groups if not saturated(depths.get(g, 0), per_minute, burst, lag_goal, ready.get(g))]


def due(last: float | None, now: float, every: float) -> bool:
    """Time to tell again: never told, or told more than `every` seconds ago."""
    return last is None or now - last >= every
