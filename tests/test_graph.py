"""bot.staff.graph over the real flows: every node and transition drawn, valid Mermaid and DOT, docs/flows.md
current."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.flows import Flows, read_flows
from bot.content.validation import check_flows
from bot.core.problems import has_errors
from bot.settings import ROOT
from bot.staff import graph

FLOWS = ROOT / "flows"
DOC = ROOT / "docs" / "flows.md"
SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MERMAID_KEYWORDS = {
    "end",
    "subgraph",
    "graph",
    "flowchart",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "direction",
    "default",
}
BOX = re.compile(
    r"^\s*(?P<id>\S+?)(\[\"|\[/\"|\[\(\"|\{\{\"|\(\(\"|\(\[\"|\[\[\"|>\")(?P<label>.*?)"
    r"(\"\]|\"/\]|\"\)\]|\"\}\}|\"\)\)|\"\]\)|\"\]\])$"
)
EDGE = re.compile(r"^\s*(?P<source>\S+) (?P<arrow>-->|-\.->)(\|\"(?P<label>[^\"]*)\"\|)? (?P<target>\S+)$")


def load(folder: Path) -> Flows:
    flows, problems = read_flows(folder)
    problems += [] if has_errors(problems) else check_flows(flows)
    assert not has_errors(problems), "the flows must load first:\n" + "\n".join(map(str, problems))
    return flows


@pytest.fixture(scope="module")
def real() -> Flows:
    return load(FLOWS)


def parse_mermaid(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """A strict reader for the Mermaid we write: boxes (id -> (label, subgraph)) and edges; fails on anything else."""
    lines = text.splitlines()
    assert lines[0] in ("flowchart TD", "flowchart LR")
    boxes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str, str, str]] = []
    subgraph = ""
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            assert not subgraph, f"nested subgraph: {line}"
            match = re.fullmatch(r'subgraph (\S+)\["([^"]*)"\]', stripped)
            assert match, f"bad subgraph line: {line}"
            subgraph = match[1]
            assert SAFE_ID.fullmatch(subgraph)
        elif stripped == "end":
            assert subgraph, "an `end` without a subgraph"
            subgraph = ""
        elif stripped.startswith(("classDef ", "class ")):
            continue
        elif edge := EDGE.match(line):
            edges.append((edge["source"], edge["target"], edge["label"] or "", edge["arrow"]))
        elif box := BOX.match(line):
            assert box["id"] not in boxes, f"box drawn twice: {box['id']}"
            assert '"' not in box["label"], f"unescaped quote in {line}"
            boxes[box["id"]] = (box["label"], subgraph)
        else:
            pytest.fail(f"a line this reader does not understand: {line!r}")
    assert not subgraph, "a subgraph is not closed with `end`"
    for box_id in boxes:
        assert SAFE_ID.fullmatch(box_id), box_id
        assert box_id not in MERMAID_KEYWORDS, box_id
    for source, target, _, _ in edges:
        assert source in boxes, f"edge from an undrawn box: {source}"
        assert target in boxes, f"edge to an undrawn box: {target}"
    return boxes, edges


def test_every_node_is_drawn_in_its_flows_subgraph(real: Flows) -> None:
    """Each node of the real flows is a box inside the subgraph of its flow."""
    boxes, _ = parse_mermaid(graph.mermaid(real))
    ids = graph.build(real).ids
    for node in real.nodes.values():
        assert ids[node.id] in boxes, node.id
        assert boxes[ids[node.id]][1] == f"f_{node.flow.replace('-', '_')}", node.id


def test_every_transition_is_an_edge_with_its_label(real: Flows) -> None:
    """Each option (with its English label), `next` and `goto` of the real flows is an edge."""
    _, edges = parse_mermaid(graph.mermaid(real))
    ids = graph.build(real).ids
    drawn = {(s, t) for s, t, _, _ in edges}
    labelled = {(s, t, label) for s, t, label, _ in edges}
    for node in real.nodes.values():
        for _, target in node.targets():
            assert (ids[node.id], ids[target]) in drawn, f"{node.id} -> {target}"
        for option in node.options:
            label = graph.mermaid_text(graph._short(option.label.get("en")))
            assert (ids[node.id], ids[option.go], label) in labelled, f"{node.id}: {option.id}"


def test_search_and_handoff_outcomes_are_drawn(real: Flows) -> None:
    """A search leads to "results" and "no match"; a handoff leads "to a person" (the warm line)."""
    _, edges = parse_mermaid(graph.mermaid(real))
    ids = graph.build(real).ids
    out = {(s, label) for s, _, label, _ in edges}
    kinds = {n.kind for n in real.nodes.values()}
    assert {"search", "handoff"} <= kinds, "the real flows should show both outcomes"
    for node in real.nodes.values():
        if node.kind == "search":
            assert {(ids[node.id], "results"), (ids[node.id], "no match")} <= out, node.id
        if node.kind == "handoff":
            assert (ids[node.id], "to a person") in out, node.id


def test_menu_and_talk_buttons_are_entry_points_drawn_once(real: Flows) -> None:
    """The automatic Menu and Talk buttons appear once each, as entry points, not as an edge from every node."""
    _, edges = parse_mermaid(graph.mermaid(real))
    ids = graph.build(real).ids
    for entry in ("menu", "talk"):
        target = ids[real.entry(entry)]
        from_entries = [s for s, t, _, _ in edges if t == target and s.startswith("e_")]
        assert from_entries == [f"e_{entry}"]
        written = sum(1 for n in real.nodes.values() for _, t in n.targets() if t == real.entry(entry))
        implicit = sum(1 for n in real.nodes.values() if n.do == "language") if entry == "menu" else 0
        assert len([1 for _, t, _, _ in edges if t == target]) == written + implicit + 1


def test_one_flow_alone_draws_its_links_out_as_stubs(real: Flows) -> None:
    """`graph work` draws only work's nodes, and nodes of other flows it leads to as stubs."""
    boxes, _ = parse_mermaid(graph.mermaid(real, "work"))
    subgraphs = {sub for _, sub in boxes.values() if sub}
    assert subgraphs == {"f_work"}
    drawn_nodes = {i for i in boxes if i.startswith("n_")}
    work = {graph.build(real).ids[n] for n in real.nodes if n.startswith("work.")}
    assert work <= drawn_nodes
    for stub in drawn_nodes - work:
        assert boxes[stub][0].endswith("↗")
        assert boxes[stub][1] == ""


BAD_FLOW = """\
nodes:
  end:
    say: {en: 'He said "stop" | x --> y; [a] {b} #1 <b>&', fr: "x"}
    options:
      - id: o
        label: {en: 'Quote " pipe | end', fr: "x"}
        go: x_o
  x_o:
    say: {en: "`code` %% not a comment", fr: "x"}
    options:
      - label: {en: "back", fr: "x"}
        go: main.menu
"""


def test_hostile_text_and_names_still_give_valid_mermaid(tmp_path: Path) -> None:
    """Quotes, pipes, brackets, a node named `end` and a flow with a hyphen cannot break the diagram."""
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "tests" / "broken_flows" / "_base", folder)
    (folder / "odd-one.yaml").write_text(BAD_FLOW, encoding="utf-8")
    with (folder / "main.yaml").open("a") as handle:
        handle.write(
            "  more:\n    say: {en: More, fr: Plus}\n    options:\n"
            "      - label: {en: Odd, fr: Odd}\n        go: odd-one\n"
        )
    with (folder / "bot.yaml").open("a") as handle:
        handle.write("help: main.more\n")
    flows = load(folder)
    boxes, edges = parse_mermaid(graph.mermaid(flows))
    assert "f_odd_one" in {sub for _, sub in boxes.values()}
    assert len(set(graph.build(flows).ids.values())) == len(flows.nodes)
    assert any("#quot;stop#quot; #124;" in label for label, _ in boxes.values())
    assert any(label == "Quote #quot; pipe #124; end" for _, _, label, _ in edges)


def test_ids_stay_unique_when_names_differ_only_in_unsafe_characters() -> None:
    """Two names that escape to the same text still get two ids."""
    ids = graph.Ids()
    assert len({ids("a-b.c"), ids("a_b.c"), ids("a.b.c")} | {ids("a-b.c")}) == 3


def test_dot_is_balanced_and_names_every_node(real: Flows) -> None:
    """The DOT rendition has one cluster per flow, balanced braces and every node."""
    text = graph.dot(real)
    assert text.count("{") == text.count("}")
    assert text.count("subgraph cluster_") == len(real.flow_names)
    for safe in graph.build(real).ids.values():
        assert re.search(rf"^\s*{safe} \[label=", text, re.M), safe


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_dot_draws_an_svg(real: Flows) -> None:
    """Graphviz accepts the DOT rendition and draws an SVG."""
    drawn = subprocess.run(["dot", "-Tsvg"], input=graph.dot(real), text=True, capture_output=True, check=True)
    assert "</svg>" in drawn.stdout


def test_markdown_has_a_map_and_one_valid_diagram_per_flow(real: Flows) -> None:
    """docs/flows.md's shape: a map of how flows connect, then one section per flow; every block parses."""
    text = graph.markdown(real)
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert len(blocks) == 1 + len(real.flow_names)
    for block in blocks:
        parse_mermaid(block)
    assert [h.removeprefix("## ") for h in re.findall(r"^## .*$", text, re.M)][1:] == list(real.flow_names)
    _, links = parse_mermaid(blocks[0])
    for node in real.nodes.values():
        for _, target in node.targets():
            if real.nodes[target].flow != node.flow:
                assert (f"f_{node.flow}", f"f_{real.nodes[target].flow}", "", "-->") in links


def test_docs_flows_md_is_up_to_date(real: Flows) -> None:
    """docs/flows.md is the diagram of the flows as they are now."""
    written = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    assert written == graph.markdown(real), (
        "docs/flows.md is out of date with flows/: run `python -m bot graph --out docs/flows.md` and commit it"
    )


def test_cli_writes_markdown_and_says_once_when_dot_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], real: Flows
) -> None:
    """`graph --out x.md --svg y.svg` without dot writes the Markdown and explains the missing SVG in one line."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    out = tmp_path / "flows.md"
    assert main(["graph", "--out", str(out), "--svg", str(tmp_path / "flows.svg")]) == 0
    assert out.read_text(encoding="utf-8") == graph.markdown(real)
    assert not (tmp_path / "flows.svg").exists()
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if "dot" in line]) == 1


def test_cli_prints_mermaid_and_rejects_an_unknown_flow(capsys: pytest.CaptureFixture[str], real: Flows) -> None:
    """`graph` prints the Mermaid diagram; `graph nosuch` names the flows that exist."""
    assert main(["graph"]) == 0
    assert capsys.readouterr().out == graph.mermaid(real)
    assert main(["graph", "nosuch"]) == 2
    assert "work" in capsys.readouterr().err


def test_mermaid_text_escapes_everything_that_ends_a_label() -> None:
    """Quotes, pipes, angle brackets, backticks, '#' and '&' become entity codes; newlines become <br>."""
    assert graph.mermaid_text('a"b|c<d>e`f#g&h\ni') == "a#quot;b#124;c#lt;d#gt;e#96;f#35;g#38;h<br>i"


def test_every_command_has_a_docstring_example() -> None:
    """graph and stats are registered and documented like every other command."""
    from bot.cli import COMMANDS

    for name in ("graph", "stats"):
        assert "Example: python -m bot " + name in (COMMANDS[name][0].__doc__ or "")
