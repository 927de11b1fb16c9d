"""Every conversation test (tests/conversations/, and staff's own in flows/tests/) passes against the real flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import Content
from bot.staff.rehearsal import conversation_files, default_paths, run_file

ROOT = Path(__file__).resolve().parent.parent
FILES = conversation_files(default_paths(ROOT / "flows"))


def test_every_door_is_tested_in_every_language() -> None:
    """Each language has its welcome, work, doors, typed-words, small-talk, police, answer-first and talk
    conversations."""
    names = {path.name for path in FILES}
    kinds = ("welcome", "work", "doors", "typed", "smalltalk", "police", "answer", "talk", "talk-night")
    for lang in ("en", "fr", "es", "tl"):
        assert {f"{lang}-{kind}.yaml" for kind in kinds} <= names


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_conversation_passes(content: Content, path: Path) -> None:
    """The conversation goes as its file says; a failure reads as python -m bot test prints it."""
    failures = run_file(content, path)
    assert not failures, "\n".join(map(str, failures))
