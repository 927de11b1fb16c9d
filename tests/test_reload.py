"""bot.content.reload on copies of the real flows and resources: broken edits keep the old content, good ones
swap in."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.content.loader import Content, load_content
from bot.content.reload import reload_content, report, snapshot, watch
from bot.conversation.engine import advance, option_data
from bot.core.problems import Problem
from bot.core.types import Event, Session
from bot.settings import ROOT, Settings

NOW = datetime(2026, 11, 28, 14, 30, tzinfo=ZoneInfo("America/Edmonton"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    return Settings(flows_dir=tmp_path / "flows", resources_dir=tmp_path / "resources")


@pytest.fixture
def content(settings: Settings) -> Content:
    loaded, problems = load_content(settings.flows_dir, settings.resources_dir)
    assert loaded is not None, "the real content must load first:\n" + "\n".join(map(str, problems))
    return loaded


def first_go(folder: Path) -> tuple[Path, int, str]:
    """The first `go:` line of the first flow file that has one: (file, 1-based line, the line)."""
    for path in sorted(folder.glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\s+(- )?go: \S+\s*$", line):
                return path, number, line
    raise AssertionError("no flow has an option")


def lines_at(problems: list[Problem], name: str, line: int) -> list[str]:
    return [str(p) for p in problems if p.is_error and re.search(rf"{re.escape(name)}:{line}:\d+: ", str(p))]


def test_a_broken_edit_keeps_the_old_content_and_says_file_and_line(settings: Settings, content: Content) -> None:
    """An option that goes nowhere: the running content stays, and the error names the file and line."""
    path, number, line = first_go(settings.flows_dir)
    text = path.read_text(encoding="utf-8").splitlines()
    text[number - 1] = re.sub(r"go: \S+", "go: nowhere_at_all", line)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    kept, problems, changed = reload_content(content, settings)
    assert kept is content
    assert not changed
    assert lines_at(problems, path.name, number), "\n".join(map(str, problems))
    message = report(problems, changed, kept)
    assert message.startswith(f"Not reloaded: {sum(p.is_error for p in problems)} error(s)")
    assert f"{path.name}:{number}:" in message


def test_a_yaml_syntax_error_keeps_the_old_content(settings: Settings, content: Content) -> None:
    """A flow file cut in half by a bad save is reported at its line; the old content keeps running."""
    path = settings.flows_dir / "main.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  broken: [unclosed\n", encoding="utf-8")
    kept, problems, changed = reload_content(content, settings)
    assert (kept, changed) == (content, False)
    assert any(p.is_error and p.path.endswith("main.yaml") and p.line > 1 for p in problems)


def test_a_broken_resource_keeps_the_old_content(settings: Settings, content: Content) -> None:
    """Resources are reloaded with the flows: a broken resource file blocks the swap too."""
    path = next(
        p for p in sorted(settings.resources_dir.glob("*.yaml")) if p.name not in ("search.yaml", "labels.yaml")
    )
    path.write_text(path.read_text(encoding="utf-8") + "\n- id: [unclosed\n", encoding="utf-8")
    kept, problems, changed = reload_content(content, settings)
    assert (kept, changed) == (content, False)
    assert any(p.is_error and p.path.endswith(path.name) for p in problems)


def test_a_good_edit_swaps_in_and_people_see_it(settings: Settings, content: Content) -> None:
    """A changed menu text is swapped in: a new version, and the next /menu shows the new words."""
    menu = content.flows.node(content.flows.entry("menu"))
    assert menu is not None
    old = menu.say.get("en")
    path = settings.flows_dir / Path(menu.path).name
    raw = path.read_text(encoding="utf-8")
    assert old in raw, "the menu's English text should be written plainly in its file"
    path.write_text(raw.replace(old, "Hello again: what would help today?", 1), encoding="utf-8")
    new, problems, changed = reload_content(content, settings)
    assert changed
    assert new.version != content.version
    assert not [p for p in problems if p.is_error]
    session = advance(content, Session(), Event("start"), NOW).session
    turn = advance(new, session, Event("command", text="menu"), NOW)
    assert "Hello again: what would help today?" in turn.replies[-1].text
    assert report(problems, changed, new).startswith(f"Reloaded: version {new.version[:6]}")


def test_reloading_unchanged_files_changes_nothing(settings: Settings, content: Content) -> None:
    """With no file changed, the same content object is kept and the report says so."""
    same, problems, changed = reload_content(content, settings)
    assert (same, changed) == (content, False)
    assert report(problems, changed, same).startswith("Nothing changed")


def _movable(content: Content) -> str:
    """A node a person can sit on, that is no entry point and not its flow's first node (renaming it is local)."""
    entries = set(content.flows.config.entries.values())
    firsts = {next(n for n in content.flows.nodes if n.startswith(f"{f}.")) for f in content.flows.flow_names}
    return next(
        n.id
        for n in content.flows.nodes.values()
        if n.kind in ("message", "question", "search") and n.id not in entries | firsts
    )


def test_a_person_whose_node_vanished_is_moved_to_the_menu(settings: Settings, content: Content) -> None:
    """Renaming the node a person is on: their next message says the conversation changed and shows the menu."""
    gone = _movable(content)
    flow, name = gone.split(".", 1)
    for path in settings.flows_dir.glob("*.yaml"):
        raw = path.read_text(encoding="utf-8")
        if path.stem == flow:
            raw = re.sub(rf"^  {name}:", f"  {name}_renamed:", raw, flags=re.M)
            raw = re.sub(rf"^(\s+(- )?(go|next|goto): ){name}\s*$", rf"\g<1>{name}_renamed", raw, flags=re.M)
        raw = re.sub(rf"^(\s+(- )?(go|next|goto): ){flow}\.{name}\s*$", rf"\g<1>{flow}.{name}_renamed", raw, flags=re.M)
        path.write_text(raw, encoding="utf-8")
    new, problems, changed = reload_content(content, settings)
    assert changed, "\n".join(map(str, problems))
    assert gone not in new.flows.nodes
    session = Session(version=content.version, node=gone, language="en", path=("work",))
    turn = advance(new, session, Event("text", text="hello"), NOW)
    assert turn.replies[0].text == new.text("moved", "en")
    assert turn.session.node == new.flows.entry("menu")
    assert turn.session.version == new.version


def test_an_old_button_after_a_reload_is_answered_calmly(settings: Settings, content: Content) -> None:
    """A button from before the reload answers with the "earlier screen" words and shows where things are."""
    path = settings.flows_dir / "main.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a staff comment\n", encoding="utf-8")
    new, _, changed = reload_content(content, settings)
    assert changed
    menu = new.flows.entry("menu")
    session = Session(version=content.version, node=menu, language="en")
    turn = advance(new, session, Event("option", data=option_data(content.version, menu, 0)), NOW)
    assert turn.replies[0].text == new.text("stale_button", "en")
    assert turn.session.node == menu


def test_report_fits_in_one_telegram_message(content: Content) -> None:
    """Hundreds of problems are cut to the message limit, saying how many more there are."""
    many = [Problem("flows/work.yaml", i, 1, "start", "x" * 80) for i in range(1, 300)]
    text = report(many, False, content, limit=4096)
    assert len(text) <= 4096
    assert text.splitlines()[-1].startswith("... and ")
    assert "python -m bot check" in text.splitlines()[-1]


async def test_watch_calls_once_per_save_and_survives_a_failing_callback(tmp_path: Path) -> None:
    """Changing a watched file calls on_change once it settles; an exception in on_change does not stop watching."""
    (tmp_path / "a.yaml").write_text("one: 1\n")
    calls: list[int] = []
    changed = asyncio.Event()

    async def on_change() -> None:
        calls.append(len(calls))
        changed.set()
        if len(calls) == 1:
            raise RuntimeError("a reload that fails must not end the watcher")

    task = asyncio.create_task(watch([tmp_path], on_change, interval=0.02))
    try:
        await asyncio.sleep(0.05)
        assert calls == []
        (tmp_path / "a.yaml").write_text("one: 2, now longer\n")
        await asyncio.wait_for(changed.wait(), 2)
        changed.clear()
        (tmp_path / "b.json").write_text("{}")
        await asyncio.wait_for(changed.wait(), 2)
        await asyncio.sleep(0.1)
        assert calls == [0, 1]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_snapshot_sees_yaml_and_json_only(tmp_path: Path) -> None:
    """The watcher looks at the YAML and JSON files staff edit, not at editor backups."""
    for name in ("a.yaml", "schema.json", "a.yaml~", ".a.yaml.swp", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert sorted(Path(p).name for p in snapshot([tmp_path])) == ["a.yaml", "schema.json"]
