"""A problem found while loading staff-edited content (flows, resources), pointing at file, line and node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: `check` prints it as `path:line:col: [warning: ]subject 'node': message`.

    `line` and `col` are 1-based, as editors count them; 0 means the whole file.
    """

    path: str
    line: int
    col: int
    node: str
    message: str
    severity: Severity = "error"
    subject: str = "node"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}: "
        level = "warning: " if self.severity == "warning" else ""
        about = f"{self.subject} '{self.node}': " if self.node else ""
        return f"{where}{level}{about}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (warnings alone never block loading)."""
    return any(p.is_error for p in problems)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Errors first, then by file and position, so the first line printed is the first thing to fix."""
    return sorted(problems, key=lambda p: (not p.is_error, p.path, p.line, p.col, p.message))
