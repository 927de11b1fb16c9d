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

    def problem(self, keys: KeyPath, name: str, message: str, *, warning: bool = False,
                subject: str = "node", on_key: bool = False) -> Problem:
        line, col = self.key_at(*keys) if on_key else self.at(*keys)
        return Problem(self.path, line, col, name, message, "warning" if warning else "error", subject)


_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:bool": lambda v: v.lower() == "true",
    "tag:yaml.org,2002:null": lambda v: None,
}


def _walk(node: yaml.Node, here: KeyPath, marks: dict[KeyPath, tuple[int, int]],
          duplicates: list[tuple[KeyPath, int, int]], loader: Any) -> Any:
    """The node's value, recording where every value and key starts; one pass instead of PyYAML's constructor
    plus a second walk for positions (loading a large flow twice as fast)."""
    marks[here] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _walk(key_node, ("key?", *here), {}, duplicates, loader) if not isinstance(
                key_node, yaml.ScalarNode) else key_node.value
            key = str(key)
            if key in out:
                duplicates.append(((*here, key), key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            marks[("key", *here, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _walk(value_node, (*here, key), marks, duplicates, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*here, index), marks, duplicates, loader) for index, item in enumerate(node.value)]
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
        return None, Positions(shown), [Problem(shown, 1, 1, "", f"is not UTF-8 text ({exc.reason}): "
                                                "save the file as UTF-8", subject="file")]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Positions(shown), []
        marks: dict[KeyPath, tuple[int, int]] = {}
        duplicates: list[tuple[KeyPath, int, int]] = []
        data = _walk(node, (), marks, duplicates, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = (exc.problem or "could not be read").strip()
        context = f" {exc.context}" if exc.context else ""
        message = (f"YAML syntax: {_plain(what + context)} ({what}{context}); "
                   "check the indentation and quotes on this line")
        return None, Positions(shown), [Problem(shown, line, col, "", message, subject="file")]
    finally:
        loader.dispose()
    problems = [
        Problem(shown, line, col, str(keys[-1]),
                "appears twice in the same place; the second one would silently replace the first: "
                "rename or merge them", subject="key")
        for keys, line, col in duplicates
    ]
    return data, Positions(shown, marks), problems
