"""Staff-edited YAML read once, with the line and column of every value kept for error messages.

`read_yaml(path)` gives the data, a `Positions` map from a key path (("nodes", "start", "say")) to (line, col),
and problems for what YAML itself refuses (syntax, duplicate keys), each naming the file, line and fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.problems import Problem

KeyPath = tuple[str | int, ...]
_BOOL, _TIMESTAMP = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml when present
    """libyaml's parser when the machine has it (10x faster on large flows), with YAML 1.2's plain scalars:
    only true/false are booleans, so Spanish "No", a keyword "on" or "yes" stay words; dates stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True, slots=True)
class Positions:
    """Where each value of a YAML document starts (1-based line and column)."""

    path: str
    marks: Mapping[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def at(self, *keys: str | int) -> tuple[int, int]:
        """The position of `keys`, or of its nearest ancestor that has one (the document start at worst)."""
        probe: KeyPath = tuple(keys)
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))

    def key_at(self, *keys: str | int) -> tuple[int, int]:
        """The position of the mapping key naming `keys` (where staff read the node's name)."""
        return self.marks.get(("key", *keys), self.at(*keys))

    def problem(
        self,
        keys: KeyPath,
        name: str,
        message: str,
        *,
        warning: bool = False,
        subject: str = "node",
        on_key: bool = False,
    ) -> Problem:
        line, col = self.key_at(*keys) if on_key else self.at(*keys)
        return Problem(self.path, line, col, name, message, "warning" if warning else "error", subject)


_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:bool": lambda v: v.lower() == "true",
    "tag:yaml.org,2002:null": lambda v: None,
}


# A staff file holds ~1,500 values at most today. Aliases (*name) repeat an anchored value (&name) without
# copying it in the text, so nested ones multiply: nine levels of nine make 387 million values (gigabytes) from a
# few hundred bytes. Reading stops, with an error at the anchor, once a file would hold more than this.
MAX_VALUES = 100_000


class _TooManyValues(Exception):
    """Raised by _walk when a file would hold more than MAX_VALUES values; names the node it stopped at."""

    def __init__(self, node: yaml.Node, repeated: bool) -> None:
        super().__init__()
        self.node, self.repeated = node, repeated


@dataclass
class _Walk:
    """What one read has walked so far: the values counted, and the collections seen (to tell aliases)."""

    marks: dict[KeyPath, tuple[int, int]]
    duplicates: list[tuple[KeyPath, int, int]]
    loader: Any
    values: int = 0
    seen: set[int] = field(default_factory=set)

    expanding: list[yaml.Node] = field(default_factory=list)  # collections being walked again (aliases)

    def count(self, node: yaml.Node) -> bool:
        """One more value; True when node is a collection walked before (an alias repeating it). Past
        MAX_VALUES, stop at the outermost alias being expanded (or at this node)."""
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooManyValues(self.expanding[0] if self.expanding else node, bool(self.expanding))
        if not isinstance(node, yaml.CollectionNode):
            return False
        repeated = id(node) in self.seen
        self.seen.add(id(node))
        return repeated


def _walk(node: yaml.Node, here: KeyPath, walk: _Walk, marks: dict[KeyPath, tuple[int, int]] | None = None) -> Any:
    """The node's value, recording where every value and key starts; one pass instead of PyYAML's constructor
    plus a second walk for positions (loading a large flow twice as fast)."""
    if walk.count(node):
        walk.expanding.append(node)
        try:
            return _walk_node(node, here, walk, marks)
        finally:
            walk.expanding.pop()
    return _walk_node(node, here, walk, marks)


def _walk_node(node: yaml.Node, here: KeyPath, walk: _Walk, marks: dict[KeyPath, tuple[int, int]] | None) -> Any:
    marks = walk.marks if marks is None else marks
    marks[here] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                _walk(key_node, ("key?", *here), walk, {})
                if not isinstance(key_node, yaml.ScalarNode)
                else key_node.value
            )
            key = str(key)
            if key in out:
                walk.duplicates.append(((*here, key), key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            marks[("key", *here, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _walk(value_node, (*here, key), walk, marks)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*here, index), walk, marks) for index, item in enumerate(node.value)]
    loader = walk.loader
    convert = _SCALARS.get(node.tag)
    return convert(node.value) if convert else loader.construct_object(node, deep=True)


def _plain(problem: str) -> str:
    """YAML's parser words -> what staff can act on."""
    if "block" in problem:
        return "this line is not indented like the lines around it (use spaces, two per level)"
    if "found character '\\t'" in problem:
        return "a tab is used for indentation; use spaces"
    if "mapping values are not allowed" in problem:
        return "text containing ': ' needs quotes around it"
    if "'?'" in problem or "','" in problem:
        return "text inside { } or [ ] containing ? , or : needs quotes around it"
    return "this line could not be read"


def read_yaml(path: Path, display: str | None = None) -> tuple[Any, Positions, list[Problem]]:
    """Parse one YAML file; on a syntax error return (None, positions, [the problem]) rather than raising."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return (
            None,
            Positions(shown),
            [Problem(shown, 1, 1, "", f"is not UTF-8 text ({exc.reason}): save the file as UTF-8", subject="file")],
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Positions(shown), []
        walk = _Walk({}, [], loader)
        data = _walk(node, (), walk)
        marks, duplicates = walk.marks, walk.duplicates
    except _TooManyValues as exc:
        line, col = exc.node.start_mark.line + 1, exc.node.start_mark.column + 1
        why = (
            "the value anchored here (&) is repeated through aliases (*) so often, nested inside each other, "
            "that the file would hold"
            if exc.repeated
            else "the file holds"
        )
        message = (
            f"{why} more than {MAX_VALUES:,} values, more than any flow or service list needs: write the "
            "repeated part out once where it is needed, or split the file"
        )
        return None, Positions(shown), [Problem(shown, line, col, "", message, subject="file")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = (exc.problem or "could not be read").strip()
        context = f" {exc.context}" if exc.context else ""
        message = (
            f"YAML syntax: {_plain(what + context)} ({what}{context}); check the indentation and quotes on this line"
        )
        return None, Positions(shown), [Problem(shown, line, col, "", message, subject="file")]
    finally:
        loader.dispose()
    problems = [
        Problem(
            shown,
            line,
            col,
            str(keys[-1]),
            "appears twice in the same place; the second one would silently replace the first: rename or merge them",
            subject="key",
        )
        for keys, line, col in duplicates
    ]
    return data, Positions(shown, marks), problems
