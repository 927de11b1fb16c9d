"""Log lines that cannot carry a person's words: exceptions are written as their type and where they happened.

An exception's message often quotes its input (`invalid literal for int() with base 10: '፪'`, a KeyError
holding a dict key, a library echoing what it could not parse). In a bot whose input is people's accounts of
exploitation, that input must not reach the log, so the formatter every command installs
(`install(logging.getLogger())`) writes a traceback as `ValueError at bot/x.py:12 in f <- bot/y.py:40 in g`:
enough to find the bug, nothing of what was typed.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def describe(exc: BaseException) -> str:
    """`Type at file:line in function <- ...` for exc and its causes, innermost frame first; no message."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        where = " <- ".join(f"{_short(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames))
        parts.append(f"{type(current).__qualname__}" + (f" at {where}" if where else ""))
        current = current.__cause__ or current.__context__
    return "; caused by ".join(parts)


class SafeFormatter(logging.Formatter):
    """A Formatter whose tracebacks name exception types and code locations, never exception messages."""

    def formatException(self, ei: ExcInfo) -> str:
        """The exception as describe() writes it."""
        return "" if ei[1] is None else describe(ei[1])


def install(logger: logging.Logger, fmt: str = FORMAT) -> None:
    """Give every handler of logger the safe formatter (call after logging.basicConfig)."""
    for handler in logger.handlers:
        handler.setFormatter(SafeFormatter(fmt))


def _short(filename: str) -> str:
    """A path from the package or library root (site-packages/..., bot/...), not the machine's layout."""
    for marker in ("site-packages/", "/bot/", "/tests/"):
        at = filename.rfind(marker)
        if at >= 0:
            return filename[at + (len(marker) if marker == "site-packages/" else 1) :]
    return filename
