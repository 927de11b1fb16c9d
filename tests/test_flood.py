"""Per-person flood control: a burst earns one gentle warning, others are untouched, calm resets it."""

from __future__ import annotations

from bot.runtime.flood import FloodGate


def test_burst_gets_one_warning_then_drops() -> None:
    """Past the burst, the first extra message is warned and the rest are dropped."""
    gate = FloodGate(burst=3, per_second=1.0)
    verdicts = [gate.check("a", 0.0) for _ in range(6)]
    assert verdicts == ["pass", "pass", "pass", "warn", "drop", "drop"]


def test_other_people_are_not_affected() -> None:
    """One person's flood leaves another person's bucket full."""
    gate = FloodGate(burst=2, per_second=1.0)
    for _ in range(10):
        gate.check("a", 0.0)
    assert gate.check("b", 0.0) == "pass"


def test_human_pace_never_meets_the_limit() -> None:
    """A message every second, for a long time, always passes."""
    gate = FloodGate(burst=3, per_second=1.0)
    assert all(gate.check("a", float(t)) == "pass" for t in range(100))


def test_refill_lets_a_person_back_and_rearms_the_warning() -> None:
    """After a pause the person is answered again, and a later burst gets a fresh warning."""
    gate = FloodGate(burst=2, per_second=1.0)
    assert [gate.check("a", 0.0) for _ in range(3)] == ["pass", "pass", "warn"]
    assert [gate.check("a", 10.0) for _ in range(3)] == ["pass", "pass", "warn"]


def test_idle_people_are_forgotten_when_the_table_is_full() -> None:
    """The table stays bounded: people whose bucket refilled are pruned to make room."""
    gate = FloodGate(burst=2, per_second=1.0, max_people=100)
    for i in range(100):
        gate.check(f"p{i}", 0.0)
    gate.check("late", 60.0)
    assert len(gate) == 1
