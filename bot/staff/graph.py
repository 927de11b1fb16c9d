"""The flows as a diagram: Mermaid (renders on GitHub as it is) and DOT (for Graphviz's `dot`), both pure.

Every transition a person can take is an edge: options (labelled with their English label), `next`,
`goto`, a search's outcomes ("results", "no match") and a handoff ("to a person"). The buttons the engine adds
to every screen (Menu, Talk to a person) and the global commands are drawn once, as entry points.
Node ids are made safe for Mermaid and DOT here; labels are escaped, so staff text can never break a diagram.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.content.flows import Flows, Node

GENERATED_BY = "python -m bot graph --out docs/flows.md"
WARMLINE = "warmline"
_LABEL_MAX = 48

# Where each entry point in flows/bot.yaml is reached from, as staff know it.
_ENTRY_LABELS = {
    "start": "/start or a first message",
    "menu": "{menu_button} button, /menu",
    "talk": "{person_button} button, /talk",
    "help": "/help",
    "forget": "/forget",
    "danger": "danger words, on any screen",
}

# Mermaid shape brackets per kind of node: (open, close).
_MERMAID_SHAPES = {
    "message": ('["', '"]'),
    "question": ('[/"', '"/]'),
    "search": ('[("', '")]'),
    "handoff": ('{{"', '"}}'),
    "goto": ('(("', '"))'),
    "end": ('(["', '"])'),
    "do": ('[["', '"]]'),
    "entry": ('>"', '"]'),
    "outcome": ('(["', '"])'),
    "stub": ('["', '"]'),
}
_DOT_SHAPES = {
    "message": "box",
    "question": "parallelogram",
    "search": "cylinder",
    "handoff": "hexagon",
    "goto": "circle",
    "end": "oval",
    "do": "component",
    "entry": "cds",
    "outcome": "note",
    "stub": "box",
}
_OUTCOMES = (("results", "up to 3 services, More ▸"), ("no match", "no service fits:\n211, a person offered"))
_MERMAID_CODES = (("&", "#38;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"), ("|", "#124;"))


@dataclass(frozen=True, slots=True)
class Box:
    """One drawn node: its safe id, its label, its shape kind and the flow it sits in ("" for outside)."""

    id: str
    label: str
    kind: str
    flow: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    """One drawn transition; `source` and `target` are Box ids; dotted for jumps and outcomes."""

    source: str
    target: str
    label: str
    dotted: bool = False


@dataclass(frozen=True, slots=True)
class Diagram:
    """What to draw, independent of the syntax: boxes grouped by flow, and edges."""

    flows: tuple[str, ...]
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    ids: Mapping[str, str]  # flow node id ("work.passport") -> its Box id


class Ids:
    """Node id -> a Mermaid- and DOT-safe id (letters, digits, underscores; never a keyword like `end`)."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, name: str, prefix: str = "n") -> str:
        key = f"{prefix}:{name}"
        if key not in self._ids:
            base = f"{prefix}_" + re.sub(r"[^A-Za-z0-9_]", "_", name.replace(".", "__"))
            safe, n = base, 1
            while safe in self._taken:  # two names that differ only in unsafe characters
                n += 1
                safe = f"{base}_{n}"
            self._ids[key] = safe
            self._taken.add(safe)
        return self._ids[key]


def _entry_words(flows: Flows, name: str) -> str:
    return _ENTRY_LABELS.get(name, name).format(
        menu_button=flows.text("menu_button", "en") or "Menu",
        person_button=flows.text("person_button", "en") or "Talk to a person",
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1].rstrip() + "…"


def _describe(node: Node) -> str:
    """The node's name and what it does, in a few words."""
    if node.kind == "search" and node.search is not None:
        what = ", ".join(node.search.categories) or "any service"
        return f"{node.name}\nsearch: {what}" + (
            f"\nfilters: {', '.join(node.search.filters)}" if node.search.filters else ""
        )
    if node.kind == "question":
        return f"{node.name}\nasks, saves {node.save}"
    if node.kind == "handoff":
        return f"{node.name}\nhandoff: {node.topic}"
    if node.kind == "do":
        return f"{node.name}\ndo: {node.do}"
    if node.kind == "goto":
        return node.name
    say = node.say.get("en")
    return f"{node.name}\n{_short(say)}" if say else node.name


def build(flows: Flows, only: str | None = None) -> Diagram:
    """The diagram of every flow, or of flow `only` (targets in other flows drawn as stubs)."""
    ids = Ids()
    names = [f for f in flows.flow_names if only in (None, f)]
    nodes = [n for n in flows.nodes.values() if n.flow in names]
    drawn = {n.id for n in nodes}
    boxes: list[Box] = [Box(ids(n.id), _describe(n), n.kind, n.flow) for n in nodes]
    edges: list[Edge] = []
    stubs: dict[str, Box] = {}
    warmline = False

    def target(node_id: str) -> str:
        if node_id not in drawn and node_id not in stubs:
            stubs[node_id] = Box(ids(node_id), f"{node_id} ↗", "stub")
        return ids(node_id)

    for node in nodes:
        here = ids(node.id)
        if node.kind == "search":
            for outcome, words in _OUTCOMES:
                box = Box(ids(f"{node.id}.{outcome}", "o"), words, "outcome", node.flow)
                boxes.append(box)
                edges.append(Edge(here, box.id, outcome, dotted=True))
        if node.kind == "handoff":
            warmline = True
            edges.append(Edge(here, ids(WARMLINE, "w"), "to a person"))
        for option in node.options:
            edges.append(Edge(here, target(option.go), _short(option.label.get("en")) or option.id))
        if node.next:
            edges.append(Edge(here, target(node.next), "answer" if node.kind == "question" else "next"))
        if node.goto:
            edges.append(Edge(here, target(node.goto), "goto", dotted=True))
        if node.kind == "do" and node.do == "language" and flows.entry("menu"):
            edges.append(Edge(here, target(flows.entry("menu")), "language chosen"))
    outside: list[Box] = []
    for name, node_id in flows.config.entries.items():
        if node_id in drawn:
            outside.append(Box(ids(name, "e"), _entry_words(flows, name), "entry"))
            edges.append(Edge(ids(name, "e"), ids(node_id), ""))
    if warmline:
        outside.append(Box(ids(WARMLINE, "w"), "peer supporter\n(warm line)", "handoff"))
    return Diagram(tuple(names), (*outside, *boxes, *stubs.values()), tuple(edges), {n.id: ids(n.id) for n in nodes})


# -- Mermaid ---------------------------------------------------------------------------------------------


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid quoted label: quotes and markup as entity codes, line breaks as <br>."""
    out = text.replace("#", "#35;")  # first: the codes below start with '#'
    for char, code in _MERMAID_CODES:
        out = out.replace(char, code)
    return out.replace("\n", "<br>")


def mermaid(flows: Flows, only: str | None = None) -> str:
    """The flows as a Mermaid flowchart (top-down), one subgraph per flow."""
    diagram = build(flows, only)
    lines = ["flowchart TD"]

    def box(b: Box, indent: str) -> str:
        left, right = _MERMAID_SHAPES[b.kind]
        return f"{indent}{b.id}{left}{mermaid_text(b.label)}{right}"

    lines += [box(b, "    ") for b in diagram.boxes if not b.flow]
    for name in diagram.flows:
        lines.append(f'    subgraph {Ids()(name, "f")}["{mermaid_text(name)}"]')
        lines += [box(b, "        ") for b in diagram.boxes if b.flow == name]
        lines.append("    end")
    for e in diagram.edges:
        arrow = "-.->" if e.dotted else "-->"
        label = f'|"{mermaid_text(e.label)}"|' if e.label else ""
        lines.append(f"    {e.source} {arrow}{label} {e.target}")
    lines += _mermaid_classes(diagram.boxes)
    return "\n".join(lines) + "\n"


def _mermaid_classes(boxes: Iterable[Box]) -> list[str]:
    """Soft colours by kind, so the eye finds searches, handoffs and entry points."""
    colours = {
        "entry": "fill:#eef6ff,stroke:#4a90d9",
        "search": "fill:#f1f9ee,stroke:#5a9e4b",
        "handoff": "fill:#fff4e5,stroke:#d98a1c",
        "outcome": "fill:#f7f7f7,stroke:#999,color:#555",
        "stub": "fill:#ffffff,stroke:#bbb,stroke-dasharray:3 3",
    }
    lines = []
    for kind, style in colours.items():
        members = [b.id for b in boxes if b.kind == kind]
        if members:
            lines.append(f"    classDef {kind} {style}")
            lines.append(f"    class {','.join(members)} {kind}")
    return lines


def overview(flows: Flows) -> str:
    """One box per flow and an arrow wherever a node of one flow leads into another: the map before the detail."""
    ids = Ids()
    lines = ["flowchart LR"]
    lines += [f'    {ids(name, "f")}["{mermaid_text(name)}"]' for name in flows.flow_names]
    links: list[tuple[str, str]] = []
    for name, node_id in flows.config.entries.items():
        node = flows.node(node_id)
        if node is not None:
            lines.append(f'    {ids(name, "e")}>"{mermaid_text(_entry_words(flows, name))}"]')
            links.append((ids(name, "e"), ids(node.flow, "f")))
    for node in flows.nodes.values():
        for _, target in node.targets():
            other = flows.node(target)
            if other is not None and other.flow != node.flow:
                links.append((ids(node.flow, "f"), ids(other.flow, "f")))
    lines += [f"    {a} --> {b}" for a, b in dict.fromkeys(links)]
    return "\n".join(lines) + "\n"


def markdown(flows: Flows, only: str | None = None) -> str:
    """docs/flows.md: a legend, a map of the flows, then each flow's diagram, in fences GitHub renders."""
    names = [f for f in flows.flow_names if only in (None, f)]
    sections = "".join(f"## {name}\n\n```mermaid\n{mermaid(flows, name)}```\n\n" for name in names)
    return (
        "# The flows, drawn\n\n"
        f"<!-- Generated from flows/*.yaml by `{GENERATED_BY}`; do not edit by hand. -->\n\n"
        "Each box is a node of `flows/*.yaml`; each arrow is something a person can do there. Shapes:\n"
        "rectangle = message, slanted = question (free-text answer), cylinder = resource search (its two\n"
        "outcomes in grey), hexagon = handoff to a peer supporter, rounded = end, double-sided = action\n"
        "(`do:`), circle = jump (`goto:`), flag = an entry point. The ↩ Menu and 💬 Talk to a person\n"
        "buttons the bot adds under every screen are drawn once, as entry points, not on every node.\n"
        "Each flow is drawn on its own; a dashed box is a node of another flow it leads to.\n\n"
        "To redraw after editing a flow: `" + GENERATED_BY + "`\n\n"
        "## How the flows connect\n\n```mermaid\n" + overview(flows) + "```\n\n" + sections
    ).rstrip("\n") + "\n"


# -- DOT (Graphviz) --------------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Text safe inside a DOT double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def dot(flows: Flows, only: str | None = None) -> str:
    """The same diagram in Graphviz DOT, one cluster per flow (`dot -Tsvg` draws it)."""
    diagram = build(flows, only)
    lines = [
        "digraph flows {",
        '    rankdir=TB; node [fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ]

    def box(b: Box, indent: str) -> str:
        return f'{indent}{b.id} [label="{dot_text(b.label)}", shape={_DOT_SHAPES[b.kind]}];'

    lines += [box(b, "    ") for b in diagram.boxes if not b.flow]
    for name in diagram.flows:
        lines.append(f"    subgraph cluster_{Ids()(name, 'f')} {{")
        lines.append(f'        label="{dot_text(name)}";')
        lines += [box(b, "        ") for b in diagram.boxes if b.flow == name]
        lines.append("    }")
    for e in diagram.edges:
        style = ", style=dashed" if e.dotted else ""
        lines.append(f'    {e.source} -> {e.target} [label="{dot_text(e.label)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"
