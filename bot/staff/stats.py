"""Anonymous daily counts, read for people: a text report, a CSV for funders, a small bar chart (PNG). Pure.

The input is what `Store.counts()` returns: (day "YYYY-MM-DD", counter name, n). Counter names are vocabulary
keys the engine and the warm line emit (`conversation_started`, `door:work`, `search_no_match:shelter`,
`handoff_requested`, `handoff_taken`, `handoff_missed`, `handoff_wait_min:N`, `handoff_first_reply_min:N`,
`handoff_length_min:N`, `wrapup_outcome:referred`, `wrapup_followup:yes`); never anything a person wrote.

Waits are kept as counts too (`handoff_wait_min:4` = one handoff taken after 4 to 5 minutes), not read from
handoff records: those expire after HANDOFF_RETENTION_DAYS, while a median over a funder's quarter must
outlive them, and a histogram of minutes says nothing about anyone.
"""

from __future__ import annotations

import csv
import io
import math
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.clock import system_clock

Count = tuple[str, str, int]  # (day, name, n), as Store.counts() returns them

STARTED = "conversation_started"
DOOR = "door:"
NO_MATCH = "search_no_match:"
HANDOFFS = ("handoff_requested", "handoff_taken", "handoff_missed")
WAIT = "handoff_wait_min:"
WAIT_CAP_MIN = 120  # waits of two hours or more share one bucket
FIRST_REPLY = "handoff_first_reply_min:"  # from Take to the supporter's first message
LENGTH = "handoff_length_min:"  # from Take to the end
LENGTH_CAP_MIN = 240
WRAPUP_OUTCOME, WRAPUP_FOLLOWUP = "wrapup_outcome:", "wrapup_followup:"
MINUTES = (WAIT, FIRST_REPLY, LENGTH)  # histograms of whole minutes, never a duration tied to a person


def minutes_counter(prefix: str, seconds: float, cap: int = WAIT_CAP_MIN) -> str:
    """The counter `prefix` + whole minutes (capped): one more in that minute's bucket, nothing else kept."""
    return f"{prefix}{min(int(max(seconds, 0) // 60), cap)}"


def wait_counter(seconds: float) -> str:
    """The counter to add one to when a supporter takes a request after `seconds` (whole minutes, capped)."""
    return minutes_counter(WAIT, seconds)


def first_reply_counter(seconds: float) -> str:
    """The counter for a supporter's first message `seconds` after they took the conversation."""
    return minutes_counter(FIRST_REPLY, seconds)


def length_counter(seconds: float) -> str:
    """The counter for a conversation that lasted `seconds` from Take to its end."""
    return minutes_counter(LENGTH, seconds, LENGTH_CAP_MIN)


@dataclass(frozen=True, slots=True)
class Window:
    """The counts of the days from `first` to `last` (inclusive): per day and in total."""

    first: date
    last: date
    by_day: Mapping[date, Mapping[str, int]]
    totals: Mapping[str, int]

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def on(self, day: date, name: str) -> int:
        return self.by_day.get(day, {}).get(name, 0)

    def with_prefix(self, prefix: str) -> dict[str, int]:
        """Totals of the counters named `prefix*`, by what follows the prefix, largest first."""
        found = {k.removeprefix(prefix): v for k, v in self.totals.items() if k.startswith(prefix)}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def window(counts: Iterable[Count], today: date | None = None, days: int | None = None) -> Window:
    """The last `days` days up to `today` (both default to what the counts cover)."""
    rows = [(date.fromisoformat(day), name, n) for day, name, n in counts]
    last = today or max((d for d, _, _ in rows), default=system_clock().date())
    first = last - timedelta(days=days - 1) if days else min((d for d, _, _ in rows), default=last)
    by_day: dict[date, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for day, name, n in rows:
        if first <= day <= last:
            by_day[day][name] = by_day[day].get(name, 0) + n
            totals[name] += n
    return Window(first, last, dict(by_day), dict(totals))


def median_wait_minutes(w: Window) -> tuple[int, int] | None:
    """(median wait in whole minutes, number of waits counted), or None when no wait was counted."""
    return median_minutes(w, WAIT)


def median_minutes(w: Window, prefix: str) -> tuple[int, int] | None:
    """(median of the `prefix` minute buckets, how many were counted), or None when none was."""
    buckets = sorted((int(k), v) for k, v in w.with_prefix(prefix).items() if k.isdigit())
    total = sum(v for _, v in buckets)
    if not total:
        return None
    middle, seen = (total + 1) // 2, 0
    for minutes, n in buckets:
        seen += n
        if seen >= middle:
            return minutes, total
    return buckets[-1][0], total  # unreachable: the loop always reaches the middle


def _listing(found: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in found.items()) if found else "none"


def report_text(counts: Iterable[Count], today: date, *, days: int = 7) -> str:
    """The counts of the last `days` days up to `today`, as plain text for a terminal or a Telegram chat."""
    w = window(counts, today, days)
    t = w.totals
    lines = [f"Anonymous counts, {w.first} to {w.last} ({days} days)", ""]
    if not t:
        lines.append("Nothing was counted in these days.")
        return "\n".join(lines)
    lines.append(f"Conversations started: {t.get(STARTED, 0)}")
    lines.append(f"Doors chosen from the menu: {_listing(w.with_prefix(DOOR))}")
    lines.append(f"Searches with no good match, by category: {_listing(w.with_prefix(NO_MATCH))}")
    handoffs = ", ".join(f"{name.removeprefix('handoff_')} {t.get(name, 0)}" for name in HANDOFFS)
    lines.append(f"Handoffs: {handoffs}")
    median = median_wait_minutes(w)
    if median is None:
        lines.append("Median wait for a person: not recorded yet (no handoff wait was counted in these days)")
    else:
        lines.append(f"Median wait for a person: {median[0]} min (whole minutes, from {median[1]} handoffs taken)")
    lines += _console_lines(w)
    known = (STARTED, *HANDOFFS)
    skip = (DOOR, NO_MATCH, *MINUTES, WRAPUP_OUTCOME, WRAPUP_FOLLOWUP)
    other = {k: v for k, v in sorted(t.items()) if k not in known and not k.startswith(skip)}
    if other:
        lines.append(f"Other: {_listing(other)}")
    lines += ["", "Day         started  doors  no match  handoffs"]
    for day in w.days:
        counted = w.by_day.get(day, {})
        doors = sum(v for k, v in counted.items() if k.startswith(DOOR))
        misses = sum(v for k, v in counted.items() if k.startswith(NO_MATCH))
        lines.append(
            f"{day}  {counted.get(STARTED, 0):7}  {doors:5}  {misses:8}  {counted.get('handoff_requested', 0):8}"
        )
    lines += ["", "Only daily totals are kept: no names, no messages, nothing that points to a person."]
    return "\n".join(lines)


def _console_lines(w: Window) -> list[str]:
    """Time to first reply and conversation length (medians of anonymous minute buckets), and the wrap-ups."""
    lines = []
    for prefix, what in ((FIRST_REPLY, "Median time to first reply"), (LENGTH, "Median conversation length")):
        median = median_minutes(w, prefix)
        if median is None:
            lines.append(f"{what}: not recorded yet")
        else:
            lines.append(f"{what}: {median[0]} min (from {median[1]} conversations)")
    outcomes, followups = w.with_prefix(WRAPUP_OUTCOME), w.with_prefix(WRAPUP_FOLLOWUP)
    if outcomes or followups:
        lines.append(f"Wrap-ups, how it ended: {_listing(outcomes)}; follow-up needed: {_listing(followups)}")
    return lines


def csv_text(counts: Iterable[Count], today: date, *, days: int = 30) -> str:
    """One row per day (every day of the window, zeros included), one column per counter: for spreadsheets."""
    w = window(counts, today, days)
    first = [n for n in (STARTED, *HANDOFFS) if n in w.totals]
    names = first + sorted(n for n in w.totals if n not in first)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", *names])
    for day in w.days:
        writer.writerow([day.isoformat(), *(w.on(day, n) for n in names)])
    return out.getvalue()


# -- the chart --------------------------------------------------------------------------------------------
# Why not matplotlib: it would add ~40 MB (numpy, fonts, a backend) to the server for one bar chart, and
# its output varies with versions and fonts. Two series of bars and a few capitals need none of that: the PNG
# below is written with zlib and struct, is byte-for-byte reproducible (tests can check it) and is a few KB.

_GLYPHS = {  # 3x5 pixel capitals and digits, rows top to bottom
    "0": "### #.# #.# #.# ###",
    "1": ".#. ##. .#. .#. ###",
    "2": "### ..# ### #.. ###",
    "3": "### ..# ### ..# ###",
    "4": "#.# #.# ### ..# ..#",
    "5": "### #.. ### ..# ###",
    "6": "### #.. ### #.# ###",
    "7": "### ..# ..# ..# ..#",
    "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ###",
    "A": ".#. #.# ### #.# #.#",
    "B": "##. #.# ##. #.# ##.",
    "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.",
    "E": "### #.. ##. #.. ###",
    "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##",
    "H": "#.# #.# ### #.# #.#",
    "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.",
    "K": "#.# #.# ##. #.# #.#",
    "L": "#.. #.. #.. #.. ###",
    "M": "#.# ### ### #.# #.#",
    "N": "##. #.# #.# #.# #.#",
    "O": ".#. #.# #.# #.# .#.",
    "P": "##. #.# ##. #.. #..",
    "Q": ".#. #.# #.# ##. .##",
    "R": "##. #.# ##. #.# #.#",
    "S": ".## #.. .#. ..# ##.",
    "T": "### .#. .#. .#. .#.",
    "U": "#.# #.# #.# #.# ###",
    "V": "#.# #.# #.# #.# .#.",
    "W": "#.# #.# ### ### #.#",
    "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.",
    "Z": "### ..# .#. #.. ###",
    "-": "... ... ### ... ...",
    " ": "... ... ... ... ...",
    ":": "... .#. ... .#. ...",
}
INK = (51, 51, 51)
STARTED_COLOUR = (74, 144, 217)
HANDOFF_COLOUR = (217, 138, 28)
GRID = (221, 221, 221)
WHITE = (255, 255, 255)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * (width * height))

    def rect(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, self.width), min(y + h, self.height)
        row = bytes(colour) * max(x1 - x0, 0)
        for yy in range(y0, y1):
            start = (yy * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, words: str, colour: tuple[int, int, int] = INK, scale: int = 2) -> int:
        """Draw `words` with its top-left at (x, y); return the x after it."""
        for char in words.upper():
            rows = _GLYPHS.get(char, _GLYPHS[" "]).split()
            for dy, row in enumerate(rows):
                for dx, bit in enumerate(row):
                    if bit == "#":
                        self.rect(x + dx * scale, y + dy * scale, scale, scale, colour)
            x += 4 * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * self.width * 3 : (y + 1) * self.width * 3]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        )


def text_width(words: str, scale: int = 2) -> int:
    return len(words) * 4 * scale - scale


def chart_png(counts: Iterable[Count], *, today: date | None = None, days: int | None = None) -> bytes:
    """Bars per day: conversations started (blue), handoffs requested (orange), labelled by day of month."""
    w = window(counts, today, days)
    dates = w.days
    slot = max(6, min(36, 560 // len(dates)))
    left, right, top, bottom = 40, 16, 44, 26
    width = max(360, left + slot * len(dates) + right)
    height = 240
    canvas = _Canvas(width, height)
    plot_h = height - top - bottom
    series = [(STARTED, STARTED_COLOUR), ("handoff_requested", HANDOFF_COLOUR)]
    peak = max((w.on(d, name) for d in dates for name, _ in series), default=0)
    canvas.text(left, 8, f"{w.first} TO {w.last}")
    x = canvas.text(left, 24, "", scale=2)
    for label, colour in (("STARTED", STARTED_COLOUR), ("HANDOFFS", HANDOFF_COLOUR)):
        canvas.rect(x, 24, 10, 10, colour)
        x = canvas.text(x + 14, 24, label) + 12
    baseline = top + plot_h
    canvas.rect(left - 2, top, 1, plot_h + 1, INK)
    canvas.rect(left - 2, baseline, slot * len(dates) + 4, 1, INK)
    if peak:
        canvas.rect(left, top, slot * len(dates), 1, GRID)
        canvas.text(left - 6 - text_width(str(peak)), top - 4, str(peak))
    canvas.text(left - 6 - text_width("0"), baseline - 4, "0")
    bar = max((slot - 4) // 2, 1)
    every = math.ceil(24 / slot)
    for i, day in enumerate(dates):
        x0 = left + i * slot + 2
        for j, (name, colour) in enumerate(series):
            value = w.on(day, name)
            h = round(plot_h * value / peak) if peak else 0
            if value and h == 0:
                h = 1  # a count of one is still visible
            canvas.rect(x0 + j * bar, baseline - h, bar, h, colour)
        if (len(dates) - 1 - i) % every == 0:  # label the last day, and every few before it
            label = f"{day.day:02}"
            canvas.text(x0 + slot // 2 - 2 - text_width(label) // 2, baseline + 8, label)
    return canvas.png()
