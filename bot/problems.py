"""A problem found in a staff-edited file: where it is, what is wrong and how to fix it, as one line.

`flows/work.yaml:41:7: node 'passport': goes to 'rights', which does not exist (did you mean 'your_rights'?)`
Warnings say so after the position; errors do not, so the common case reads plainly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; `subject` is what `name` names ("node", "resource", "flow", "setting")."""

    path: str
    line: int
    col: int
    name: str
    message: str
    severity: Severity = "error"
    subject: str = "node"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}: "
        level = "warning: " if self.severity == "warning" else ""
        who = f"{self.subject} '{self.name}': " if self.name else ""
        return f"{where}{level}{who}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (warnings alone never block loading)."""
    return any(p.is_error for p in problems)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Errors first, then by file and position, so the first line printed is the first thing to fix."""
    return sorted(problems, key=lambda p: (not p.is_error, p.path, p.line, p.col, p.message))
