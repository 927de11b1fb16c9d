"""Flows: the conversation staff write in flows/*.yaml, parsed once into frozen objects.

`load_flows(folder)` reads flows/bot.yaml (languages, where commands lead, the bot's own words),
flows/danger-words.yaml and every other flows/NAME.yaml (a flow named NAME), checks their shape against the
JSON Schemas shipped beside them, and builds `Flows`. Meaning checks live in bot.content.validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import fastjsonschema
import jsonschema

from bot.core.languages import languages_of
from bot.core.problems import Problem
from bot.core.text import did_you_mean
from bot.core.yamlfile import Positions, read_yaml

NodeKind = Literal["message", "question", "search", "handoff", "goto", "end", "do"]
CONFIG_FILE = "bot.yaml"
DANGER_FILE = "danger-words.yaml"
SPECIAL_FILES = frozenset(
    {
        CONFIG_FILE,
        DANGER_FILE,
        "privacy-text.yaml",  # privacy-text: bot/conversation/privacy.py
        "warmline.yaml",  # warmline: bot/warmline/rules.py
        "smalltalk.yaml",  # small talk and the police question: bot/conversation/smalltalk.py
        "crisis-examples.yaml",  # the messages the crisis model learns from: bot/conversation/examples.py
        "other-languages.yaml",  # the door for other languages: bot/conversation/otherlang.py
        "words-to-avoid.yaml",
    }
)  # words-to-avoid: bot/content/wording.py
ENTRY_POINTS = ("start", "menu", "talk", "help", "forget", "danger", "suicide", "suicide_now", "brief")
EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return EMPTY


@dataclass(frozen=True, slots=True)
class Text:
    """One piece of text in every language it was written in."""

    by_lang: Mapping[str, str] = field(default_factory=_empty)

    def get(self, lang: str, fallback: str = "en") -> str:
        return self.by_lang.get(lang) or self.by_lang.get(fallback) or next(iter(self.by_lang.values()), "")

    def __bool__(self) -> bool:
        return bool(self.by_lang)


@dataclass(frozen=True, slots=True)
class Option:
    """A button: its id (for stats and the supporter's view), label, matching words and target node."""

    id: str
    label: Text
    go: str
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class SearchSpec:
    """What a search node looks for: categories, filters and optional words to rank by."""

    categories: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    query: Text = Text()


@dataclass(frozen=True, slots=True)
class Node:
    """One screen or step; `id` is qualified ("work.passport"); `kind` follows from the keys staff wrote."""

    id: str
    kind: NodeKind
    path: str
    line: int
    col: int
    say: Text = Text()
    options: tuple[Option, ...] = ()
    next: str | None = None
    ask: Text = Text()
    save: str | None = None
    search: SearchSpec | None = None
    topic: str | None = None
    goto: str | None = None
    do: str | None = None

    @property
    def flow(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    def targets(self) -> list[tuple[str, str]]:
        """Every (label, node id) this node can lead to, for checks and the graph."""
        out = [(o.id, o.go) for o in self.options]
        if self.next:
            out.append(("next", self.next))
        if self.goto:
            out.append(("goto", self.goto))
        return out


@dataclass(frozen=True, slots=True)
class Config:
    """flows/bot.yaml: languages, where commands lead, and the bot's own words."""

    languages: tuple[str, ...] = ("en",)
    default_language: str = "en"
    language_names: Mapping[str, str] = field(default_factory=_empty)
    entries: Mapping[str, str] = field(default_factory=_empty)  # "start" -> "main.welcome", ...
    strings: Mapping[str, Text] = field(default_factory=_empty)
    commands: Mapping[str, Text] = field(default_factory=_empty)  # command -> description per language
    path: str = CONFIG_FILE


@dataclass(frozen=True, slots=True)
class Flows:
    """Every node of every flow and the config, as loaded (the danger words: bot.conversation.safety)."""

    nodes: Mapping[str, Node]
    config: Config
    flow_names: tuple[str, ...] = ()
    positions: Mapping[str, Positions] = field(default_factory=_empty, compare=False, repr=False)

    def node(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def entry(self, name: str) -> str:
        return self.config.entries.get(name, "")

    def text(self, key: str, lang: str) -> str:
        found = self.config.strings.get(key)
        return found.get(lang, self.config.default_language) if found else ""


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema of the package (bot/content/schemas/: links to the flows/ files editors use, copied into a
    wheel), read once."""
    loaded: dict[str, Any] = json.loads(files("bot.content").joinpath("schemas", name).read_text(encoding="utf-8"))
    return loaded


@cache
def _fast(name: str) -> Callable[[Any], bool]:
    """A compiled yes/no check of the same schema: valid files (nearly all) skip jsonschema's slower walk,
    which then runs only to word the errors of a broken file."""
    compiled = fastjsonschema.compile(schema(name))

    def valid(data: Any) -> bool:
        try:
            compiled(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return valid


_SUGGEST_KEYS = (
    "say",
    "options",
    "next",
    "ask",
    "save",
    "search",
    "handoff",
    "goto",
    "end",
    "do",
    "label",
    "keywords",
    "go",
    "id",
    "categories",
    "filters",
    "query",
    "topic",
    "nodes",
    "title",
)


def schema_problems(data: Any, positions: Positions, schema_name: str) -> list[Problem]:
    """Shape errors from the JSON Schema, each reworded for staff and placed at its line."""
    if _fast(schema_name)(data):
        return []
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        keys = tuple(error.absolute_path)
        node = str(keys[1]) if len(keys) > 1 and keys[0] == "nodes" else ""
        where = ".".join(str(k) for k in keys[2:] if not isinstance(k, int)) if node else ".".join(map(str, keys))
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for key in extra:
                hint = did_you_mean(str(key), _SUGGEST_KEYS)
                problems.append(
                    positions.problem(
                        (*keys, key), node, f"has an unknown key '{key}'{hint or ''}: remove or rename it", on_key=True
                    )
                )
            continue
        if error.validator == "required":
            message = f"{where + ' ' if where else ''}is missing {error.message.split(' is a')[0]}: add it"
        elif error.validator == "type":
            message = f"'{where or 'this'}' should be {_a(error.validator_value)}, not {_a(_json_type(error.instance))}"
        elif error.validator == "enum":
            message = f"'{where}' is {error.instance!r}; use one of {', '.join(map(str, error.validator_value))}"
        elif error.validator == "oneOf" and node:
            message = (
                "is not a known kind of node: give it `say` with `options` or `next`, or one of `ask`, "
                "`search`, `handoff`, `goto`, `end`, `do`"
            )
        else:
            message = f"'{where or 'file'}': {error.message}"
        problems.append(positions.problem(keys, node, message))
    return problems


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer"}.get(type(value), "null")


def _a(kind: Any) -> str:
    names = {
        "object": "a mapping (key: value lines)",
        "array": "a list (lines starting with '- ')",
        "string": "text",
        "boolean": "true or false",
        "integer": "a whole number",
        "null": "empty",
    }
    return names.get(str(kind), str(kind))


def _text(raw: Any) -> Text:
    if isinstance(raw, Mapping):
        return Text(MappingProxyType({str(k): str(v) for k, v in raw.items() if v is not None}))
    return Text()


def qualify(flow: str, target: str) -> str:
    """`passport` inside flow `work` -> `work.passport`; `main.menu` stays; a bare flow name stays bare."""
    return target if "." in target else f"{flow}.{target}"


def _node(flow: str, name: str, raw: Mapping[str, Any], positions: Positions) -> Node:
    line, col = positions.key_at("nodes", name)
    common: dict[str, Any] = {
        "id": f"{flow}.{name}",
        "path": positions.path,
        "line": line,
        "col": col,
        "say": _text(raw.get("say")),
    }
    options = tuple(
        Option(
            id=str(o.get("id") or str(o.get("go", "")).split(".")[-1] or f"option{i + 1}"),
            label=_text(o.get("label")),
            go=qualify(flow, str(o.get("go", ""))),
            keywords=MappingProxyType(
                {str(k): tuple(str(w) for w in (v or ())) for k, v in (o.get("keywords") or {}).items()}
            ),
        )
        for i, o in enumerate(raw.get("options") or ())
        if isinstance(o, Mapping)
    )
    nxt = qualify(flow, str(raw["next"])) if raw.get("next") else None
    if "ask" in raw:
        return Node(kind="question", ask=_text(raw["ask"]), save=str(raw.get("save") or ""), next=nxt, **common)
    if "search" in raw:
        spec = raw.get("search") or {}
        search = SearchSpec(
            tuple(map(str, spec.get("categories") or ())),
            tuple(map(str, spec.get("filters") or ())),
            _text(spec.get("query")),
        )
        return Node(kind="search", search=search, options=options, next=nxt, **common)
    if "handoff" in raw:
        topic = (raw.get("handoff") or {}).get("topic") if isinstance(raw.get("handoff"), Mapping) else None
        return Node(kind="handoff", topic=str(topic) if topic else None, **common)
    if "goto" in raw:
        return Node(kind="goto", goto=qualify(flow, str(raw["goto"])), **common)
    if raw.get("end"):
        return Node(kind="end", **common)
    if "do" in raw:
        return Node(kind="do", do=str(raw["do"]), options=options, next=nxt, **common)
    return Node(kind="message", options=options, next=nxt, **common)


def _config(data: Any, path: str) -> Config:
    data = data if isinstance(data, Mapping) else {}
    languages = languages_of(data)
    return Config(
        languages=languages,
        default_language=str(data.get("default_language") or languages[0]),
        language_names=MappingProxyType({str(k): str(v) for k, v in (data.get("language_names") or {}).items()}),
        entries=MappingProxyType({k: str(data[k]) for k in ENTRY_POINTS if data.get(k)}),
        strings=MappingProxyType({str(k): _text(v) for k, v in (data.get("strings") or {}).items()}),
        commands=MappingProxyType({str(k): _text(v) for k, v in (data.get("commands") or {}).items()}),
        path=path,
    )


def display_path(path: Path) -> str:
    """The path as staff see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_flows(folder: Path) -> tuple[Flows, list[Problem]]:
    """Read and shape-check every YAML file in `folder`; build what can be built, report the rest."""
    problems: list[Problem] = []
    config_path = folder / CONFIG_FILE
    positions: dict[str, Positions] = {}
    if config_path.is_file():
        data, pos, found = read_yaml(config_path, display_path(config_path))
        problems += found or (schema_problems(data, pos, "bot.schema.json") if data is not None else [])
        config = _config(data, pos.path)
        positions[CONFIG_FILE] = pos
    else:
        problems.append(
            Problem(
                display_path(config_path),
                1,
                1,
                "",
                "is missing: every flows folder needs a bot.yaml naming its languages and the start and menu nodes",
                subject="file",
            )
        )
        config = Config()
    nodes: dict[str, Node] = {}
    names: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        flow = path.stem
        data, pos, found = read_yaml(path, display_path(path))
        positions[flow] = pos
        names.append(flow)
        problems += found
        if found or data is None:
            if data is None and not found:
                problems.append(pos.problem((), "", "is empty: add `nodes:` with at least one node", subject="flow"))
            continue
        shape = schema_problems(data, pos, "schema.json")
        problems += shape
        bad_nodes = {p.node for p in shape}
        for name, raw in (data.get("nodes") or {}).items() if isinstance(data, Mapping) else ():
            if isinstance(raw, Mapping) and str(name) not in bad_nodes:
                nodes[f"{flow}.{name}"] = _node(flow, str(name), raw, pos)
            elif isinstance(raw, Mapping):  # keep a shape-broken node as a placeholder so targets resolve
                nodes[f"{flow}.{name}"] = Node(
                    id=f"{flow}.{name}",
                    kind="end",
                    path=pos.path,
                    line=pos.key_at("nodes", name)[0],
                    col=pos.key_at("nodes", name)[1],
                )
    flows = Flows(MappingProxyType(nodes), config, tuple(names), MappingProxyType(positions))
    return _resolved(flows), problems


def _resolved(flows: Flows) -> Flows:
    """Point every target at a real node id where it can be found (`work` -> `work.start`), once, at load."""
    from dataclasses import replace

    def fix(target: str | None) -> str | None:
        return resolve(flows, target) or target if target else target

    nodes = {
        node_id: replace(
            node,
            next=fix(node.next),
            goto=fix(node.goto),
            options=tuple(replace(o, go=fix(o.go) or o.go) for o in node.options),
        )
        for node_id, node in flows.nodes.items()
    }
    entries = {k: fix(v) or v for k, v in flows.config.entries.items()}
    config = replace(flows.config, entries=MappingProxyType(entries))
    return replace(flows, nodes=MappingProxyType(nodes), config=config)


def first_node(flows: Flows, flow: str) -> str | None:
    """A flow's entry: its first node."""
    prefix = f"{flow}."
    return next((n for n in flows.nodes if n.startswith(prefix)), None)


def resolve(flows: Flows, target: str) -> str | None:
    """A target as written (`work`, `work.passport`) -> the node id it leads to, or None."""
    if target in flows.nodes:
        return target
    if "." not in target or target.endswith("."):
        return first_node(flows, target.rstrip("."))
    flow, _, name = target.partition(".")
    if name == "" or flow not in flows.flow_names:
        return None
    # `other` written inside flow `x` was qualified to `x.other`; it may name a whole flow.
    return first_node(flows, name) if name in flows.flow_names and target not in flows.nodes else None
