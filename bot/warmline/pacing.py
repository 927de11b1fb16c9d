"""Which message goes next into a warm-line group, pure: danger first, fair turns between conversations, one
person's share capped, neighbouring texts merged; how long to back off after a failure; which group has room.

bot.channels.telegram.relay keeps the queue (the store's staff outbox), the clock and the Bot API calls; it asks
`choose` for the next batch each time the group's pacer (bot.warmline.rules.Pacer) lets one more send go.

Order is kept within a conversation (its items go in `ord` order; one waiting for a retry holds back those after
it); between conversations, the one that has had the fewest sends lately goes first, a new request (its topic and
card) counting double, so twenty stickers from one person never hold back another person's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.warmline.rules import Item, next_batch

WINDOW = 60.0  # seconds over which a conversation's recent sends are counted
GENERAL = 0  # the conversation key of notes in General (not in any person's topic)
OPENING = frozenset({"topic", "card"})  # a new request: its turn counts double
NEEDS_NO_TOPIC = frozenset({"topic"})
LAG_GOAL = 10.0  # seconds: a group whose queue takes longer than this to send has no room for a new request
BUSY_EVERY = 15 * 60.0  # seconds between two "every group is full" notes


@dataclass(frozen=True, slots=True)
class Pending:
    """One message waiting for a group, as the decisions see it.

    `conversation` is the handoff (GENERAL for General); `thread` None means it waits for the conversation's
    topic; `text` is set when it is the person's plain text, which may merge with the next ones; `ready_at` is
    when a failed send may be tried again (0: now)."""

    row: int
    conversation: int
    kind: str
    ord: float
    thread: int | None = None
    text: str | None = None
    urgent: bool = False
    ready_at: float = 0.0


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
    pending: Sequence[Pending], sent: Mapping[int, Sequence[float]], now: float, *, cap: int, window: float = WINDOW
) -> Choice:
    """The next batch: the oldest urgent conversation's next items; else the least-served conversation's (the
    person's own words at most `cap` sends a `window`; `cap` <= 0: no cap), merged where they are plain texts of
    one topic. `sent` holds each conversation's recent send times (its relays only)."""
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
    open_turns: list[tuple[float, float, list[Pending]]] = []
    for key, items in ready:
        times = sent.get(key, ())
        used = recent(times, now, window)
        if items[0].kind == "relay" and cap > 0 and used >= cap:
            oldest = min(t for t in times if now - t < window)
            waits.append(oldest + window - now)
            continue
        weight = 2.0 if items[0].kind in OPENING else 1.0
        open_turns.append((used / weight, items[0].ord, items))
    if open_turns:
        return Choice(_batch(min(open_turns, key=lambda t: (t[0], t[1]))[2]))
    return Choice((), min(waits) if waits else None)


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


def drain_seconds(depth: int, per_minute: int, burst: int) -> float:
    """How long a group's queue of `depth` messages takes to go out under its pacer (0 when pacing is off)."""
    if per_minute <= 0:
        return 0.0
    rate = max(1, per_minute - burst) / 60.0
    return max(0.0, depth - burst) / rate


def saturated(depth: int, per_minute: int, burst: int, lag_goal: float) -> bool:
    """The group's queue already takes longer than `lag_goal` seconds to send."""
    return drain_seconds(depth, per_minute, burst) > lag_goal


def with_room(
    groups: Sequence[int], depths: Mapping[int, int], per_minute: int, burst: int, lag_goal: float
) -> list[int]:
    """The groups whose queue is not saturated, in their configured order."""
    return [g for g in groups if not saturated(depths.get(g, 0), per_minute, burst, lag_goal)]


def due(last: float | None, now: float, every: float) -> bool:
    """Time to tell again: never told, or told more than `every` seconds ago."""
    return last is None or now - last >= every
