"""The CLI: every command is documented, and `check` tells good content from broken content by its exit code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import COMMANDS, main
from bot.settings import ROOT


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme_and_has_help(name: str) -> None:
    """Each `python -m bot` command appears in the README and has a docstring with an example."""
    assert f"python -m bot {name}" in (ROOT / "README.md").read_text()
    doc = COMMANDS[name][0].__doc__ or ""
    assert "Example:" in doc


def test_check_passes_on_the_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    """`check` exits 0 on the shipped flows and resources and says what it loaded."""
    assert main(["check"]) == 0
    assert "ok:" in capsys.readouterr().err


def test_check_fails_with_file_line_on_a_broken_copy(tmp_path: Path) -> None:
    """`check` on a copy with a broken target exits 1 and prints file:line:col: and the fix."""
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    main_flow = flows / "main.yaml"
    main_flow.write_text(main_flow.read_text().replace("go: tonight.start", "go: tonite.start", 1))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"BOT_FLOWS_DIR": str(flows), "BOT_RESOURCES_DIR": str(ROOT / "resources"), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "flows/main.yaml:" in done.stdout
    assert "tonite.start" in done.stdout
    assert "did you mean 'tonight.start'" in done.stdout


def test_run_without_a_token_says_what_to_set(tmp_path: Path) -> None:
    """`run` with no token prints one line naming TELEGRAM_BOT_TOKEN and the console alternative; exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    assert "python -m bot chat" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
