"""bot.core.yamlfile on staff files: aliases work, but nested ones cannot blow a file up to gigabytes."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.content.loader import load_content
from bot.core.yamlfile import MAX_VALUES, read_yaml
from bot.settings import Settings

# "Billion laughs": nine levels of nine aliases, 387 million strings from 500 bytes (2 GB once read whole).
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_nested_aliases_stop_with_an_error_at_the_anchor(tmp_path: Path) -> None:
    """A file whose aliases would expand past MAX_VALUES is refused with file:line:col at the anchor being
    repeated, and no data: reading stops there instead of building the whole expansion."""
    path = tmp_path / "staff.yaml"
    path.write_text(LAUGHS)
    data, _, problems = read_yaml(path)
    assert data is None
    [problem] = problems
    assert str(problem).startswith(f"{path}:")
    assert "aliases" in problem.message
    assert f"{MAX_VALUES:,}" in problem.message
    assert path.read_text().splitlines()[problem.line - 1].split(":")[0] in "abcdefghi"


def test_a_few_aliases_still_read_as_copies(tmp_path: Path) -> None:
    """Staff may still share a list with an anchor and aliases; each use reads as the same values."""
    path = tmp_path / "staff.yaml"
    path.write_text("shared: &words [help, aide]\nen: *words\nfr: *words\n")
    data, _, problems = read_yaml(path)
    assert problems == []
    assert data == {"shared": ["help", "aide"], "en": ["help", "aide"], "fr": ["help", "aide"]}


def test_check_reports_an_alias_bomb_in_a_flow_by_file_and_line(tmp_path: Path) -> None:
    """Loading flows (as `python -m bot check` and /reload do) reports the bomb in its file, and loads nothing."""
    settings = Settings()
    flows = tmp_path / "flows"
    shutil.copytree(settings.flows_dir, flows)
    (flows / "laughs.yaml").write_text(LAUGHS)
    content, problems = load_content(flows, settings.resources_dir)
    assert content is None
    assert any(p.path.endswith("laughs.yaml") and "aliases" in p.message for p in problems if p.is_error)
