"""Per-person flood control: a token bucket per person key, pure (the caller passes the clock).

A person may send `burst` messages at once and then `per_second` more each second. Past that, the first
message over the limit gets one gentle "slow down" and the rest are dropped until the bucket refills; everyone
else is unaffected. A person tapping through menus at human speed never meets the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["pass", "warn", "drop"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class FloodGate:
    """Token buckets keyed by person; `check(person, now)` says whether to answer, warn or drop."""

    def __init__(self, *, burst: int = 6, per_second: float = 1.0, max_people: int = 50_000) -> None:
        self.burst = burst
        self.per_second = per_second
        self.max_people = max_people
        self._buckets: dict[str, _Bucket] = {}

    def check(self, person: str, now: float) -> Verdict:
        """Spend one token for this message; `now` is a monotonic clock in seconds."""
        bucket = self._buckets.get(person)
        if bucket is None:
            if len(self._buckets) >= self.max_people:
                self._prune(now)
            bucket = self._buckets[person] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            if bucket.tokens >= 1.0:
                bucket.warned = False  # calm again: a later burst earns a fresh "slow down"
            return "pass"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        """Forget people whose bucket has refilled: they would start full anyway, so nothing changes."""
        full_after = self.burst / self.per_second if self.per_second > 0 else float("inf")
        self._buckets = {p: b for p, b in self._buckets.items() if now - b.at < full_after}
