"""The wheel works on its own: built from this checkout, installed into a fresh venv, `python -m bot check` and
`python -m bot chat` run in a folder that holds only flows/ and resources/ (no checkout, no network)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.settings import ROOT

SCHEMAS = {
    "bot/content/schemas/schema.json": "flows/schema.json",
    "bot/content/schemas/bot.schema.json": "flows/bot.schema.json",
    "bot/content/schemas/danger-words.schema.json": "flows/danger-words.schema.json",
    "bot/directory/schemas/schema.json": "resources/schema.json",
}


@pytest.mark.parametrize(("packaged", "edited"), sorted(SCHEMAS.items()))
def test_the_packaged_schemas_are_the_files_staff_edit(packaged: str, edited: str) -> None:
    """Each schema the code reads is a link to the flows/ or resources/ file editors use: one source of truth."""
    link = ROOT / packaged
    assert link.is_symlink()
    assert link.resolve() == (ROOT / edited).resolve()


def run(command: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_checks_and_chats(tmp_path: Path) -> None:
    """pip builds a wheel holding the schemas; installed into a new venv (dependencies from this one, offline),
    it imports from the venv, not the checkout, and `check` and `chat` read flows/ and resources/ from the
    working directory."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("bot", "flows", "resources"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    built = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        tmp_path,
        env,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(SCHEMAS) <= names

    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], tmp_path, env).returncode == 0
    python = venv / "bin" / "python"
    # the dependencies: this venv's site-packages, after the new venv's own (a .pth line adds a path only, so the
    # checkout's editable install here is not picked up)
    [own] = [
        Path(p)
        for p in run([str(python), "-c", "import site; print(site.getsitepackages()[0])"], tmp_path, env).stdout.split()
    ]
    (own / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp_path, env)
    assert installed.returncode == 0, installed.stderr

    folder = tmp_path / "deployment"
    folder.mkdir()
    for name in ("flows", "resources"):
        shutil.copytree(ROOT / name, folder / name)
    where = run([str(python), "-c", "import bot; print(bot.__file__)"], folder, env)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    checked = run([str(python), "-m", "bot", "check"], folder, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok:" in checked.stderr
    chatted = run([str(python), "-m", "bot", "chat"], folder, env, stdin="1\n")
    assert chatted.returncode == 0, chatted.stderr
    assert chatted.stdout.count("[1]") >= 2, chatted.stdout  # the first screen, then the one its option 1 opens
    shutil.rmtree(folder / "flows")
    missing = run([str(python), "-m", "bot", "check"], folder, env)
    assert missing.returncode != 0
    assert "flows" in missing.stdout + missing.stderr
