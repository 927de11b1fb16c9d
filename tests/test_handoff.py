"""The warm line's pure decisions (bot.warmline.rules), over the real flows/warmline.yaml."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.warmline import rules as h

FILE = Settings().flows_dir / h.FILE


@pytest.fixture(scope="module")
def text() -> h.WarmlineText:
    loaded, problems = h.load_warmline(FILE)
    assert loaded is not None, [str(p) for p in problems]
    return loaded


@pytest.mark.parametrize("lang", h.LANGUAGES)
@pytest.mark.parametrize("key", h.PERSON_KEYS)
def test_every_person_text_is_written_in_every_language(text: h.WarmlineText, key: str, lang: str) -> None:
    """Each person-facing text exists in en, fr, es and tl, and its {names} all fill in."""
    said = text.say(key, lang, position=2, wait="x", minutes=5, hours="h", supporter="Sam")
    assert said.strip()
    assert "{" not in said


@pytest.mark.parametrize("key", h.STAFF_KEYS)
def test_every_staff_text_fills_in(text: h.WarmlineText, key: str) -> None:
    """Each supporter-facing text exists and fills in."""
    said = text.staff_say(key, alias="Guest 4F2", supporter="Sam", minutes=3, capacity=3, language="es", path="p")
    assert said.strip()
    assert "{" not in said


def test_the_lines_name_their_numbers_and_sources(text: h.WarmlineText) -> None:
    """The 24/7 lines give the hotline, 211 and 911, each with its source beside it, in every language."""
    for lang in h.LANGUAGES:
        lines = text.say("lines", lang).splitlines()
        for number in ("1-833-900-1010", "211", "911"):
            line = next(line for line in lines if number in line)
            assert "canadianhumantraffickinghotline.ca" in line or "211.ca" in line or "alberta.ca" in line


def test_a_broken_file_names_the_line_and_the_fix(tmp_path: Path) -> None:
    """Bad hours, a missing translation and a bad number are reported as file:line problems."""
    broken = FILE.read_text(encoding="utf-8").replace('hours: "Mo-Fr', 'hours: "Mon to Fri', 1)
    broken = broken.replace("capacity: 3", "capacity: lots", 1)
    broken = broken.replace('    tl: "Ikaw ay numero {position}', '    xx: "Ikaw ay numero {position}', 1)
    path = tmp_path / h.FILE
    path.write_text(broken, encoding="utf-8")
    loaded, problems = h.load_warmline(path)
    assert loaded is None
    shown = [str(p) for p in problems]
    assert any("'hours'" in s and "opening_hours" in s for s in shown)
    assert any("'capacity'" in s and "whole number" in s for s in shown)
    assert any("person.queued" in s and "'tl'" in s for s in shown)
    assert all(s.startswith(f"{path}:") and s.split(":")[1] != "0" for s in shown)


def test_the_alias_comes_from_the_random_token_only() -> None:
    """The alias is 'Guest' and three characters of a fresh random token: two requests rarely share one."""
    tokens = {h.new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert h.alias("4f2a9b01") == "Guest 4F2"


def test_the_topic_name_is_neutral_and_fits() -> None:
    """'Guest 4F2 · es · work', with ⚠ first when urgent, never longer than Telegram allows."""
    assert h.topic_name("Guest 4F2", "es", "work") == "Guest 4F2 · es · work"
    assert h.topic_name("Guest 4F2", "es", "work", urgent=True).startswith("⚠ Guest 4F2")
    assert len(h.topic_name("Guest 4F2", "es", "w" * 300)) == h.TOPIC_NAME_MAX


def test_the_card_shows_doors_language_wait_and_urgency(text: h.WarmlineText) -> None:
    """The card holds the alias, the language, the doors chosen, the minutes waited, the urgent flag, and who
    took it; nothing else."""
    card = h.card_text(
        text, guest="Guest 4F2", language="es", path=("work", "passport"), minutes=7, urgent=True, taken_by="Sam"
    )
    for part in ("Guest 4F2", "es", "work › passport", "7 min", "⚠", "Sam"):
        assert part in card


@pytest.mark.parametrize(
    ("position", "free", "duty", "expected"),
    [
        (1, 1, 1, 0),
        (3, 3, 1, 0),
        (4, 3, 1, 15),
        (5, 0, 2, 45),
        (1, 0, 0, None),
    ],
)
def test_the_estimated_wait_is_honest(position: int, free: int, duty: int, expected: int | None) -> None:
    """No wait while someone is free; then whole conversations ahead, spread over those on duty."""
    assert h.estimate_minutes(position, free, duty, 15) == expected


def test_the_wait_in_words(text: h.WarmlineText) -> None:
    """A short wait is 'a few minutes'; a longer one gives the minutes."""
    assert h.wait_words(text, "en", 0) == "a few minutes"
    assert h.wait_words(text, "es", 30) == "unos 30 minutos"


def test_capacity_and_groups() -> None:
    """A supporter takes up to their capacity; a request goes to the group with the most room."""
    assert h.may_take(2, 3)
    assert not h.may_take(3, 3)
    staff = [h.Supporter(1, -1, True, 3), h.Supporter(2, -2, True, 1), h.Supporter(3, -3, False, 0)]
    assert h.free_slots(staff, 3) == 2
    assert h.choose_group((-1, -2, -3), staff, {}, 3) == -2
    assert h.choose_group((-1, -2), staff, {-2: 5}, 3) == -1
    assert h.choose_group((-3,), staff, {}, 3) == -3


def test_hours_are_calgary_time(text: h.WarmlineText) -> None:
    """The hours are read in America/Edmonton: 17:00 UTC on a weekday is 10:00 in Calgary (open)."""
    assert h.is_open(text, datetime(2026, 11, 25, 17, 30, tzinfo=UTC))
    assert not h.is_open(text, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))


def test_silence_and_idle() -> None:
    """Silence: the person wrote last and waited; idle: nobody wrote for the whole time."""
    assert h.silent(1000, 900, 1000 + 600, 10)
    assert not h.silent(1000, 1100, 2000, 10)
    assert h.idle(1000, 900, 1000 + 3600, 60)
    assert not h.idle(1000, 900, 1000 + 60, 60)


def test_the_pacer_never_lets_a_minute_hold_more_than_the_limit() -> None:
    """Sending as fast as the pacer allows for five minutes, no 60-second window holds more than 20 sends."""
    pacer, now, sent = h.Pacer(20, 4), 0.0, []
    while now < 300:
        wait = pacer.delay(now)
        now += wait
        pacer.spend(now)
        sent.append(now)
        now += 0.01
    assert all(sum(1 for t in sent if s <= t < s + 60) <= 20 for s in sent)
    assert len(sent) > 70


def test_batches_merge_only_neighbouring_texts_of_one_topic() -> None:
    """Texts next to each other in one topic merge; media, another topic or the size limit start a new batch."""
    items = [h.Item(1, 7, "a"), h.Item(2, 7, "b"), h.Item(3, 7, None), h.Item(4, 7, "c"), h.Item(5, 8, "d")]
    assert [i.row for i in h.next_batch(items)] == [1, 2]
    assert [i.row for i in h.next_batch(items[2:])] == [3]
    assert [i.row for i in h.next_batch(items[3:])] == [4]
    big = [h.Item(1, 7, "x" * 3000), h.Item(2, 7, "y" * 3000)]
    assert [i.row for i in h.next_batch(big)] == [1]
