"""Keeping the directory's facts fresh: what is due for re-checking, and recording a check.

`due` lists the services whose facts were last checked at their source more than STALE_AFTER_MONTHS ago, or
never with a date (`verified: undated`), oldest first, each with its file:line and source links. `record_check`
rewrites one service's `verified:` line in its YAML text (nothing else changes), so the check a staff member
just made at the source is what cards and `check` read from then on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.directory.resources import Directory, Resource

_ENTRY = re.compile(r"^- id: ", re.M)
_VERIFIED = re.compile(r"^  verified: .*$", re.M)


@dataclass(frozen=True, slots=True)
class Due:
    """One service to re-check: where it is written, when it was last checked, and where to check it."""

    id: str
    name: str
    verified: str
    path: str
    line: int
    sources: tuple[str, ...]

    def lines(self) -> list[str]:
        when = "never with a date" if self.verified == "undated" else self.verified
        return [
            f"{self.path}:{self.line}: {self.id} ({self.name}), last checked {when}",
            *(f"    {url}" for url in self.sources),
        ]


def due(directory: Directory, today: date, *, everything: bool = False) -> list[Due]:
    """Services due for re-checking (all of them with `everything`), never-dated first, then oldest first."""
    chosen = [r for r in directory.resources if everything or r.is_stale(today)]
    chosen.sort(key=lambda r: (r.verified_on or date.min, r.path, r.line))
    return [_due(r) for r in chosen]


def _due(resource: Resource) -> Due:
    return Due(resource.id, resource.name, resource.verified, resource.path, resource.line, resource.sources)


class NotFound(LookupError):
    """The service id is not in the text, or its entry has no `verified:` line."""


def record_check(text: str, resource_id: str, checked: date) -> str:
    """The YAML text with `resource_id`'s `verified:` set to `checked` (YYYY-MM-DD); everything else as it was."""
    start = re.search(rf"^- id: {re.escape(resource_id)}[ \t]*$", text, re.M)
    if start is None:
        raise NotFound(f"no service with id '{resource_id}' in this file")
    after = _ENTRY.search(text, start.end())
    end = after.start() if after else len(text)
    line = _VERIFIED.search(text, start.end(), end)
    if line is None:
        raise NotFound(f"service '{resource_id}' has no verified: line; add one (verified: YYYY-MM-DD)")
    return f"{text[: line.start()]}  verified: {checked.isoformat()}{text[line.end() :]}"
