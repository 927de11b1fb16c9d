"""Flows: loading, shape and meaning checks, over the shipped flows and the broken-flow catalogue."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from bot.content.flows import SPECIAL_FILES, read_flows
from bot.content.validation import check_flows, reachable
from bot.conversation.smalltalk import load_smalltalk
from bot.conversation.smalltalk import targets as smalltalk_targets
from bot.core.problems import has_errors, sort_problems
from bot.settings import ROOT

FLOWS = ROOT / "flows"
BROKEN = Path(__file__).parent / "broken_flows"
CASES = sorted(p.name for p in BROKEN.glob("*.yaml"))


def _expected(case: Path) -> list[str]:
    return [line.removeprefix("# expect: ") for line in case.read_text().splitlines() if line.startswith("# expect: ")]


def _load_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    flows = tmp_path / "flows"
    shutil.copytree(BROKEN / "_base", flows)
    if case.name.endswith("--bot.yaml"):
        shutil.copy(case, flows / "bot.yaml")
    else:
        shutil.copy(case, flows / case.name)
        with (flows / "bot.yaml").open("a") as handle:
            handle.write(f"help: {case.stem}\n")  # makes the case's flow reachable, as a real link would
    monkeypatch.chdir(tmp_path)
    loaded, problems = read_flows(Path("flows"))
    if not has_errors(problems):
        problems += check_flows(loaded)
    return [str(p) for p in sort_problems(problems)]


def test_catalogue_is_large_enough() -> None:
    """The broken-flow catalogue holds at least 15 cases, each with the messages it must produce."""
    assert len(CASES) >= 15
    assert all(_expected(BROKEN / case) for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_broken_flow_gives_its_exact_messages(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each deliberately broken flow produces exactly the lines written at its top (file:line:col: ...)."""
    assert _load_case(BROKEN / case, tmp_path, monkeypatch) == _expected(BROKEN / case)


def test_base_of_catalogue_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue's base flows are valid, so each case's messages come from the case alone."""
    shutil.copytree(BROKEN / "_base", tmp_path / "flows")
    monkeypatch.chdir(tmp_path)
    loaded, problems = read_flows(Path("flows"))
    assert problems + check_flows(loaded) == []


def test_shipped_flows_have_no_errors() -> None:
    """The real flows load with no errors (warnings are allowed but listed)."""
    loaded, problems = read_flows(FLOWS)
    problems += check_flows(loaded)
    assert not has_errors(problems), "\n".join(map(str, problems))


def test_every_shipped_node_is_reachable() -> None:
    """Every node of the shipped flows can be reached from an entry point or from small talk's words."""
    loaded, _ = read_flows(FLOWS)
    talk, _ = load_smalltalk(FLOWS)
    assert talk is not None
    assert set(loaded.nodes) - reachable(loaded, smalltalk_targets(talk, loaded)) == set()


@pytest.mark.parametrize("name", ["schema.json", "bot.schema.json", "danger-words.schema.json"])
def test_schemas_are_valid_json_schema(name: str) -> None:
    """The schemas shipped for editors are themselves valid JSON Schema (2020-12)."""
    jsonschema.Draft202012Validator.check_schema(json.loads((FLOWS / name).read_text()))


SCHEMA_FILES = sorted(
    p.name for p in FLOWS.glob("*.yaml") if p.name not in SPECIAL_FILES or p.name in ("bot.yaml", "danger-words.yaml")
)


@pytest.mark.parametrize("path", SCHEMA_FILES)
def test_every_flow_file_names_its_schema(path: str) -> None:
    """Each flow file's first line points editors at its schema (completion and underlines in VS Code)."""
    first = (FLOWS / path).read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    assert (FLOWS / first.split("=", 1)[1]).is_file()


def test_targets_are_resolved_at_load() -> None:
    """A bare flow name or a node of the same flow is resolved to a qualified node id once, at load."""
    loaded, _ = read_flows(FLOWS)
    for node in loaded.nodes.values():
        for _, target in node.targets():
            assert target in loaded.nodes, f"{node.id} -> {target}"


def test_shipped_flows_exercise_every_node_kind() -> None:
    """The shipped flows use every kind of node the engine knows, so every kind is tested on real content."""
    loaded, _ = read_flows(FLOWS)
    kinds = {node.kind for node in loaded.nodes.values()}
    assert kinds >= {"message", "question", "search", "handoff", "goto", "end", "do"}


def test_yaml_words_stay_words(tmp_path: Path) -> None:
    """Staff can write No, yes, on or a date unquoted: only true/false are booleans (YAML 1.2), dates stay text."""
    from bot.core.yamlfile import read_yaml

    path = tmp_path / "words.yaml"
    path.write_text("label: {en: 'No', es: No, tl: yes}\nkeywords: [on, off, n]\nend: true\nverified: 2026-11-01\n")
    data, _, problems = read_yaml(path)
    assert problems == []
    assert data == {
        "label": {"en": "No", "es": "No", "tl": "yes"},
        "keywords": ["on", "off", "n"],
        "end": True,
        "verified": "2026-11-01",
    }
