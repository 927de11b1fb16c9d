"""bot.staff.stats over a real store in a temporary data dir: the text report, the CSV, the PNG chart and the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.core.clock import fixed_clock
from bot.staff import stats
from bot.store.database import Store

TODAY = date(2026, 11, 28)
# (days before TODAY, counter, n): what a week of the engine's Action("count", name=...) leaves in the store.
EVENTS = [
    (0, "conversation_started", 4),
    (0, "door:tonight", 3),
    (0, "door:work", 1),
    (0, "handoff_requested", 2),
    (0, "handoff_taken", 1),
    (0, "search_no_match:shelter", 1),
    (0, "danger_words", 1),
    (1, "conversation_started", 2),
    (1, "door:tonight", 1),
    (1, "search_no_match:words", 2),
    (1, "handoff_requested", 1),
    (1, "handoff_missed", 1),
    (6, "conversation_started", 1),
    (9, "conversation_started", 50),  # outside a 7-day window
]


async def fill(data_dir: Path, events: list[tuple[int, str, int]]) -> list[stats.Count]:
    async with await Store.open(data_dir) as store:
        for days_ago, name, n in events:
            noon = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC) + timedelta(hours=12)
            await store.count(name, now=noon, n=n)
        return await store.counts()


@pytest.fixture
async def counts(tmp_path: Path) -> list[stats.Count]:
    return await fill(tmp_path, EVENTS)


def test_report_totals_the_window_by_kind_of_event(counts: list[stats.Count]) -> None:
    """The report totals conversations, doors, no-match searches by category and handoffs over the window only."""
    text = stats.report_text(counts, TODAY, days=7)
    assert "2026-11-22 to 2026-11-28 (7 days)" in text
    assert "Conversations started: 7" in text
    assert "Doors chosen from the menu: tonight 4, work 1" in text
    assert "Searches with no good match, by category: words 2, shelter 1" in text
    assert "Handoffs: requested 3, taken 1, missed 1" in text
    assert "Other: danger_words 1" in text
    assert "2026-11-28        4      4         1         2" in text


def test_report_says_honestly_when_no_wait_was_recorded(counts: list[stats.Count]) -> None:
    """Without wait counts, the median wait is reported as not recorded, not as zero."""
    assert "Median wait for a person: not recorded yet" in stats.report_text(counts, TODAY)


async def test_median_wait_comes_from_wait_counts(tmp_path: Path) -> None:
    """Waits counted with wait_counter() give the median in whole minutes and how many were counted."""
    waits = [30, 200, 250, 400, 3600 * 5]  # seconds: 0, 3, 4, 6 minutes and one capped at two hours
    counts = await fill(tmp_path, [(0, stats.wait_counter(s), 1) for s in waits])
    assert stats.wait_counter(3600 * 5) == "handoff_wait_min:120"
    assert stats.median_wait_minutes(stats.window(counts, TODAY, 7)) == (4, 5)
    assert "Median wait for a person: 4 min (whole minutes, from 5 handoffs taken)" in stats.report_text(counts, TODAY)


def test_an_empty_store_gives_a_short_honest_report() -> None:
    """No counts at all: the report says nothing was counted."""
    assert "Nothing was counted in these days." in stats.report_text([], TODAY)


def test_csv_has_every_day_and_every_counter(counts: list[stats.Count]) -> None:
    """The CSV has one row per day of the window (zeros included) and one column per counter, totals intact."""
    rows = list(csv.DictReader(io.StringIO(stats.csv_text(counts, TODAY, days=7))))
    assert [r["day"] for r in rows] == [(TODAY - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert sum(int(r["conversation_started"]) for r in rows) == 7
    assert rows[-1]["door:tonight"] == "3"
    assert rows[0]["handoff_requested"] == "0"
    assert list(rows[0])[:5] == ["day", "conversation_started", "handoff_requested", "handoff_taken", "handoff_missed"]


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """Check the signature and every chunk's CRC; return width, height and the unfiltered RGB rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == height * (1 + width * 3)
    assert set(raw[:: 1 + width * 3]) == {0}  # filter byte 0 on every row
    pixels = b"".join(raw[y * (1 + width * 3) + 1 : (y + 1) * (1 + width * 3)] for y in range(height))
    return width, height, pixels


def coloured(pixels: bytes, colour: tuple[int, int, int]) -> int:
    return sum(1 for i in range(0, len(pixels), 3) if tuple(pixels[i : i + 3]) == colour)


def test_chart_is_a_valid_png_whose_bars_grow_with_the_counts(counts: list[stats.Count]) -> None:
    """The chart is a valid PNG, the same bytes every time, with more blue where more conversations started."""
    png = stats.chart_png(counts, today=TODAY, days=7)
    assert png == stats.chart_png(counts, today=TODAY, days=7)
    width, height, pixels = read_png(png)
    assert width >= 360
    assert height >= 200
    more = stats.chart_png([*counts, (TODAY.isoformat(), "handoff_requested", 1)], today=TODAY, days=7)
    assert coloured(pixels, stats.STARTED_COLOUR) > 0
    assert coloured(read_png(more)[2], stats.HANDOFF_COLOUR) > coloured(pixels, stats.HANDOFF_COLOUR)


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_chart_draws_any_window_even_an_empty_one(days: int) -> None:
    """An empty window of 1 to 365 days is still a valid PNG."""
    width, _, _ = read_png(stats.chart_png([], today=TODAY, days=days))
    assert width >= 360


def test_cli_reads_the_store_and_writes_csv_and_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot stats --days 30 --csv --png` reads BOT_DATA_DIR and writes both files."""
    asyncio.run(fill(tmp_path, [(0, "conversation_started", 3)]))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOT_TIMEZONE", "UTC")
    evening = fixed_clock(datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=23))
    args = ["stats", "--days", "30", "--csv", str(tmp_path / "c.csv"), "--png", str(tmp_path / "c.png")]
    assert main(args, clock=evening) == 0
    assert "Conversations started: 3" in capsys.readouterr().out
    assert (tmp_path / "c.csv").read_text().splitlines()[-1].startswith(f"{TODAY.isoformat()},3")
    read_png((tmp_path / "c.png").read_bytes())


def test_cli_without_a_database_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no database yet, stats explains where it looked and leaves the folder untouched."""
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["stats"]) == 0
    captured = capsys.readouterr()
    assert "no database" in captured.err
    assert "Nothing was counted" in captured.out
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("counter", "seconds", "name"),
    [
        (stats.first_reply_counter, 59, "handoff_first_reply_min:0"),
        (stats.first_reply_counter, 150, "handoff_first_reply_min:2"),
        (stats.length_counter, 11 * 60 + 5, "handoff_length_min:11"),
        (stats.length_counter, 10 * 3600, f"handoff_length_min:{stats.LENGTH_CAP_MIN}"),
        (stats.wait_counter, -5, "handoff_wait_min:0"),
    ],
)
def test_durations_become_whole_minute_buckets(counter: Any, seconds: float, name: str) -> None:
    """A duration is one more in its whole-minute bucket (capped); nothing else is recorded."""
    assert counter(seconds) == name


def test_report_gives_medians_of_first_reply_and_length_and_the_wrapups() -> None:
    """Time to first reply and conversation length are medians over the buckets; wrap-up answers are listed."""
    day = TODAY.isoformat()
    counted = [
        (day, "handoff_first_reply_min:1", 2),
        (day, "handoff_first_reply_min:4", 1),
        (day, "handoff_length_min:20", 1),
        (day, "handoff_length_min:35", 2),
        (day, "wrapup_outcome:referred", 2),
        (day, "wrapup_followup:yes", 1),
    ]
    text = stats.report_text(counted, TODAY)
    assert "Median time to first reply: 1 min (from 3 conversations)" in text
    assert "Median conversation length: 35 min (from 3 conversations)" in text
    assert "Wrap-ups, how it ended: referred 2; follow-up needed: yes 1" in text
    assert "Other:" not in text
    empty = stats.report_text([(day, "door:work", 1)], TODAY)
    assert "Median time to first reply: not recorded yet" in empty
    assert "Wrap-ups" not in empty
