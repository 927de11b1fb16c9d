"""Hot reload: load flows/ and resources/ again, and swap only when the new version is sound.

`reload_content` is what /reload (warm-line group admins) and `run --watch` call; `watch` notices file changes by
polling modification times, so it needs no new dependency and works on every filesystem (bind mounts included).
People mid-conversation need nothing from here: a session names its node, and the engine moves a person whose
node vanished to the menu with the `moved` words (bot.conversation.engine.advance); old buttons answer with
`stale_button`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from bot.content.loader import Content, load_content
from bot.core.channels import TELEGRAM
from bot.core.problems import Problem

log = logging.getLogger(__name__)

WATCHED = ("*.yaml", "*.json")  # flows, resources and the schemas beside them
TELEGRAM_TEXT_LIMIT = TELEGRAM.text_chars  # the report is posted in the warm-line group
Snapshot = dict[str, tuple[int, int]]


class Folders(Protocol):
    """Where the content lives (bot.settings.Settings has both)."""

    @property
    def flows_dir(self) -> Path: ...

    @property
    def resources_dir(self) -> Path: ...


def reload_content(current: Content, settings: Folders) -> tuple[Content, list[Problem], bool]:
    """Validate the files as they are now: (content to use, problems found, whether it changed).

    On errors the current content is returned unchanged with the problems (each prints as `file:line:col:
    message`); with no errors the new content is returned, and `changed` says whether any file differed.
    """
    loaded, problems = load_content(settings.flows_dir, settings.resources_dir)
    if loaded is None:
        return current, problems, False
    if loaded.version == current.version:
        return current, problems, False
    return loaded, problems, True


def report(problems: Sequence[Problem], changed: bool, content: Content, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    """What to post back after a reload (plain text, within `limit` characters): the outcome, then file:line lines.

    Staff-facing words, for the warm-line group and the terminal; persons never see this.
    """
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    if errors:
        head = (
            f"Not reloaded: {len(errors)} error(s). The bot keeps running version {content.version[:6]}. "
            "Fix these and send /reload again:"
        )
    elif changed:
        head = (
            f"Reloaded: version {content.version[:6]}, {len(content.flows.nodes)} nodes, "
            f"{len(content.directory)} services. People carry on where they are; anyone whose screen "
            "was removed is taken to the menu."
        )
    else:
        head = f"Nothing changed: the files match the running version {content.version[:6]}."
    lines = [head, *map(str, errors), *(f"{w}" for w in warnings)]
    return _fit(lines, limit)


def _fit(lines: list[str], limit: int) -> str:
    """Join lines, dropping the tail (and saying how many) when the message would be too long."""
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        more = f"... and {len(lines) - i} more: run python -m bot check to see them all"
        if size + len(line) + 1 + len(more) > limit and i > 0:
            kept.append(more)
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """(modification time in ns, size) of every watched file, by path; a file that vanished is simply absent."""
    found: Snapshot = {}
    for folder in folders:
        for pattern in WATCHED:
            for path in folder.glob(pattern):
                try:
                    stat = path.stat()
                except OSError:  # removed between glob and stat
                    continue
                found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return found


async def watch(
    folders: Sequence[Path], on_change: Callable[[], Awaitable[None] | None], interval: float = 1.0
) -> None:
    """Call `on_change` after the watched files change, once they have stayed the same for one interval.

    Runs until cancelled. Editors save in several steps (a temporary file, a rename), so a change is acted on
    only when two polls in a row agree: one reload per save, never one on a half-written file. An exception
    from `on_change` is logged and watching carries on.
    """
    seen = snapshot(folders)
    pending = False
    while True:
        await asyncio.sleep(interval)
        now = snapshot(folders)
        if now != seen:
            seen, pending = now, True
            continue
        if not pending:
            continue
        pending = False
        try:
            result = on_change()
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reload after a file change failed; watching on")
