"""bot/staff/review.py: the translation review lists every sentence per language and stays in step with the flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content.flows import read_flows
from bot.content.loader import load_content
from bot.content.wording import load_avoid_list
from bot.staff.review import MARKER, notes_of, review_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "translation-review.md"


def test_docs_translation_review_is_up_to_date() -> None:
    """docs/translation-review.md lists exactly what the flows say now (run `python -m bot review --out ...`)."""
    flows, _ = read_flows(ROOT / "flows")
    avoid, _ = load_avoid_list(ROOT / "flows")
    content, _ = load_content(ROOT / "flows", ROOT / "resources")
    assert content is not None
    current = DOC.read_text()
    expected = review_markdown(flows, avoid, notes_of(current), content.danger)
    assert current == expected, "run: python -m bot review --out docs/translation-review.md"


def test_every_translated_sentence_is_listed_and_none_is_missing() -> None:
    """Each French, Spanish and Tagalog screen text appears in the review, and no text is marked missing."""
    flows, _ = read_flows(ROOT / "flows")
    text = DOC.read_text()
    assert "**MISSING**" not in text
    for node in flows.nodes.values():
        for lang in ("fr", "es", "tl"):
            if node.say:
                assert node.say.by_lang[lang].replace("\n", "<br>").replace("|", "\\|") in text


def test_a_missing_translation_is_marked(tmp_path: Path) -> None:
    """A text without a translation shows **MISSING** in that language's table, under the notes."""
    (tmp_path / "bot.yaml").write_text("languages: [en, fr]\nstart: main.a\nmenu: main.a\n")
    (tmp_path / "main.yaml").write_text("nodes:\n  a:\n    say: {en: Hello}\n    next: a\n")
    flows, _ = read_flows(tmp_path)
    review = review_markdown(flows, {}, "# Notes\nRead this first.")
    assert review.startswith("# Notes\nRead this first.")
    assert MARKER in review
    assert "| a | Hello | **MISSING** |" in review


def test_cli_rewrites_the_tables_and_keeps_the_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bot review --out FILE` keeps what people wrote above the marker and rewrites the rest."""
    out = tmp_path / "review.md"
    out.write_text(f"# Our notes\nKeep me.\n{MARKER}\nold tables\n")
    assert main(["review", "--out", str(out)]) == 0
    written = out.read_text()
    assert written.startswith("# Our notes\nKeep me.")
    assert "old tables" not in written
    assert "## Tagalog (tl): every sentence" in written
    assert notes_of(written).rstrip() == "# Our notes\nKeep me."
    capsys.readouterr()
