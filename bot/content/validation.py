"""Meaning checks over loaded flows: targets, reachability, dead ends, translations, Telegram's limits.

Each check is a small pure function from `Flows` to problems; `check_flows` runs them all. Shape checks (the
JSON Schema) happen while reading, in bot.content.flows.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator

from bot.content.flows import ENTRY_POINTS, Flows, Node, Text
from bot.content.wording import check_avoided_words
from bot.core.channels import tightest_callback, tightest_text
from bot.core.problems import Problem
from bot.core.text import did_you_mean
from bot.core.vocabulary import CATEGORIES, FILTERS

MAX_TEXT = tightest_text().text_chars  # the shortest message any channel shows (Telegram's)
MAX_CALLBACK = tightest_callback().callback_bytes  # the least button data any channel keeps (Telegram's)
VERSION_WIDTH = 6  # the flows version carried in every button (see engine.option_data)
KIND_KEYS = ("ask", "search", "handoff", "goto", "end", "do")
REQUIRED_STRINGS = (
    "menu_button",
    "person_button",
    "stale_button",
    "unsupported",
    "moved",
    "search_none",
    "search_more",
    "choose_language",
    "language_set",
    "slow_down",
    "error",
    "unknown_command",
)
Check = Callable[[Flows], Iterator[Problem]]


def _problem(
    flows: Flows, node: Node, keys: tuple[str | int, ...], message: str, *, warning: bool = False, on_key: bool = False
) -> Problem:
    pos = flows.positions.get(node.flow)
    if pos is None:
        return Problem(node.path, node.line, node.col, node.name, message, "warning" if warning else "error")
    return pos.problem(("nodes", node.name, *keys), node.name, message, warning=warning, on_key=on_key)


def _shown(node_id: str, node: Node) -> str:
    return node_id.split(".", 1)[1] if node_id.startswith(node.flow + ".") else node_id


def check_targets(flows: Flows) -> Iterator[Problem]:
    """Every option, `next` and `goto` leads to a node that exists."""
    for node in flows.nodes.values():
        keyed: list[tuple[tuple[str | int, ...], str]] = [
            (("options", i, "go"), o.go) for i, o in enumerate(node.options)
        ]
        keyed += [(("next",), node.next)] if node.next else []
        keyed += [(("goto",), node.goto)] if node.goto else []
        for keys, target in keyed:
            if target in flows.nodes:
                continue
            same_flow = [n.split(".", 1)[1] for n in flows.nodes if n.startswith(node.flow + ".")]
            shown = _shown(target, node)
            hint = did_you_mean(shown, [*same_flow, *flows.nodes, *flows.flow_names])
            yield _problem(
                flows,
                node,
                keys,
                f"goes to '{shown}', which does not exist{hint}: "
                "use the id of a node in this flow, or flow.node for another flow",
            )


def check_kinds(flows: Flows) -> Iterator[Problem]:
    """A node is one kind: it has at most one of ask, search, handoff, goto, end, do."""
    for node in flows.nodes.values():
        pos = flows.positions.get(node.flow)
        raw_keys = [k for k in KIND_KEYS if pos and ("nodes", node.name, k) in pos.marks]
        if len(raw_keys) > 1:
            yield _problem(
                flows,
                node,
                (raw_keys[1],),
                f"mixes {' and '.join(raw_keys)}: a node does one thing; split it into two nodes joined by `next`",
                on_key=True,
            )
        if node.kind == "question" and not node.save:
            yield _problem(
                flows,
                node,
                ("ask",),
                "asks a question but has no `save`: add `save: a_name` so the answer can be used",
                on_key=True,
            )
        if node.kind == "question" and not node.next:
            yield _problem(
                flows,
                node,
                ("ask",),
                "asks a question but has no `next`: say where to go after the answer",
                on_key=True,
            )
        if node.kind in ("message", "search") and not node.say:
            yield _problem(flows, node, (), "shows nothing: add `say` with the text of this screen", on_key=True)


def check_dead_ends(flows: Flows) -> Iterator[Problem]:
    """A message screen leads somewhere: options, `next` or `end: true` (the menu buttons alone are a warning)."""
    for node in flows.nodes.values():
        if node.kind == "message" and not node.options and not node.next:
            yield _problem(
                flows,
                node,
                ("say",),
                "is a dead end (only the menu and talk buttons lead on): add "
                "`options`, a `next`, or make it an end with `end: true`",
                warning=True,
                on_key=True,
            )


def _silent_loop(flows: Flows, start: str) -> bool:
    seen: set[str] = set()
    here: str | None = start
    while here is not None and here in flows.nodes:
        if here in seen:
            return True
        seen.add(here)
        node = flows.nodes[here]
        here = (
            node.goto
            if node.kind == "goto"
            else node.next
            if node.kind in ("message", "do") and not node.options
            else None
        )
    return False


def check_loops(flows: Flows) -> Iterator[Problem]:
    """`goto` and `next` chains end at a node that waits for the person, instead of going round forever."""
    for node_id, node in flows.nodes.items():
        if node.kind in ("goto", "message", "do") and _silent_loop(flows, node_id):
            yield _problem(
                flows,
                node,
                (),
                "is part of a loop of `goto`/`next` that never waits for the "
                "person: give one node in the loop `options`",
                on_key=True,
            )


def reachable(flows: Flows, roots: tuple[str, ...] = ()) -> set[str]:
    """Node ids a person can reach from the entry points in bot.yaml (and `roots`, e.g. small talk's targets)."""
    todo = [flows.entry(e) for e in ENTRY_POINTS if flows.entry(e)] + list(roots)
    seen: set[str] = set()
    while todo:
        here = todo.pop()
        if here in seen or here not in flows.nodes:
            continue
        seen.add(here)
        todo += [target for _, target in flows.nodes[here].targets()]
    return seen


def check_reachable(flows: Flows) -> Iterator[Problem]:
    """Every node can be reached from /start, the menu or another entry point."""
    if not flows.entry("start"):
        return
    seen = reachable(flows)
    for node_id, node in flows.nodes.items():
        if node_id not in seen:
            yield _problem(
                flows,
                node,
                (),
                "cannot be reached from the start, the menu or any command: link "
                "to it from an option, `next` or `goto`, or remove it",
                warning=True,
                on_key=True,
            )


def _texts(node: Node) -> Iterator[tuple[tuple[str | int, ...], Text]]:
    if node.say:
        yield ("say",), node.say
    if node.ask:
        yield ("ask",), node.ask
    for i, option in enumerate(node.options):
        yield ("options", i, "label"), option.label
    if node.search and node.search.query:
        yield ("search", "query"), node.search.query


def check_translations(flows: Flows) -> Iterator[Problem]:
    """Every text exists in every declared language and no undeclared one; none is over any channel's limit."""
    languages = flows.config.languages
    for node in flows.nodes.values():
        for keys, text in _texts(node):
            missing = [lang for lang in languages if not text.by_lang.get(lang)]
            where = (
                str(keys[0])
                if len(keys) == 1
                else f"option {int(keys[1]) + 1} label"
                if keys[0] == "options"
                else "search query"
            )
            if missing:
                yield _problem(
                    flows,
                    node,
                    keys,
                    f"{where} has no {', '.join(missing)} translation: add {', '.join(m + ': ...' for m in missing)}",
                )
            for lang in sorted(set(text.by_lang) - set(languages)):
                yield _problem(
                    flows,
                    node,
                    (*keys, lang),
                    f"{where} has text in '{lang}', which bot.yaml does "
                    f"not declare: add '{lang}' to languages or remove it",
                    warning=True,
                )
            for lang, value in text.by_lang.items():
                if len(value) > MAX_TEXT:
                    yield _problem(
                        flows,
                        node,
                        (*keys, lang),
                        f"{where} ({lang}) is {len(value)} characters; "
                        f"{tightest_text().name} shows at most {MAX_TEXT}: split it into two nodes "
                        "joined by `next`",
                    )


def check_config_strings(flows: Flows) -> Iterator[Problem]:
    """bot.yaml has every word the bot needs, in every language, and its entry points exist."""
    pos = flows.positions.get("bot.yaml")
    if pos is None:
        return
    for key in REQUIRED_STRINGS:
        text = flows.config.strings.get(key)
        missing = [lang for lang in flows.config.languages if not text or not text.by_lang.get(lang)]
        if missing:
            yield pos.problem(
                ("strings", key) if text else ("strings",),
                key,
                f"has no {', '.join(missing)} text: add it under strings",
                subject="string",
            )
    for entry in ENTRY_POINTS:
        target = flows.config.entries.get(entry)
        if target and target not in flows.nodes:
            yield pos.problem(
                (entry,),
                entry,
                f"leads to '{target}', which does not exist"
                f"{did_you_mean(target, flows.nodes)}: name a node as flow.node",
                subject="entry",
            )
    if flows.config.default_language not in flows.config.languages:
        yield pos.problem(
            ("default_language",),
            "default_language",
            "is not one of the declared languages: add it to languages",
            subject="setting",
        )


def check_buttons(flows: Flows) -> Iterator[Problem]:
    """Each option's callback data (version, node id, option number) fits every channel's button data."""
    for node_id, node in flows.nodes.items():
        for i, _ in enumerate(node.options):
            size = len(f"{'0' * VERSION_WIDTH}|{node_id}|{i}".encode())
            if size > MAX_CALLBACK:
                yield _problem(
                    flows,
                    node,
                    ("options", i),
                    f"option {i + 1}'s button data is {size} bytes "
                    f"({tightest_callback().name} keeps {MAX_CALLBACK}): shorten the flow or node id",
                    on_key=True,
                )
        if node.kind in ("message", "search") and len(node.options) > 12:
            yield _problem(
                flows,
                node,
                ("options",),
                f"has {len(node.options)} options; more than 12 buttons "
                "are hard to read on a phone: split them over two screens",
                warning=True,
                on_key=True,
            )


def check_search(flows: Flows) -> Iterator[Problem]:
    """Search nodes use the categories and filters of DESIGN.md's vocabulary."""
    for node in flows.nodes.values():
        if not node.search:
            continue
        for i, category in enumerate(node.search.categories):
            if category not in CATEGORIES:
                yield _problem(
                    flows,
                    node,
                    ("search", "categories", i),
                    f"searches the unknown category "
                    f"'{category}'{did_you_mean(category, CATEGORIES)}: use one of DESIGN.md's "
                    "categories",
                )
        for i, name in enumerate(node.search.filters):
            if name not in FILTERS:
                yield _problem(
                    flows,
                    node,
                    ("search", "filters", i),
                    f"uses the unknown filter '{name}'{did_you_mean(name, FILTERS)}: use one of {', '.join(FILTERS)}",
                )


_FIELD = re.compile(r"\{([^{}]*)\}")


# filled by bot/conversation/engine.py: whether supporters are on the line; what happens to a talk's copy in the
# supporters' group (bot.conversation.privacy.TOPIC_BLANKS)
BOT_BLANKS = frozenset({"line_now", "topics_kept", "topics_forget"})


def check_variables(flows: Flows) -> Iterator[Problem]:
    """A `{name}` in a text names an answer some question saves, or a blank the bot fills (BOT_BLANKS)."""
    saved = {n.save for n in flows.nodes.values() if n.save} | BOT_BLANKS
    for node in flows.nodes.values():
        for keys, text in _texts(node):
            reported: set[str] = set()
            for value in text.by_lang.values():
                try:
                    names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
                except ValueError:
                    yield _problem(flows, node, keys, "has an unmatched { or }: write {{ or }} for a literal brace")
                    break
                for name in sorted(names - saved - reported):
                    reported.add(name)
                    yield _problem(
                        flows,
                        node,
                        keys,
                        f"uses {{{name}}}, but no question saves '{name}'"
                        f"{did_you_mean(name, saved)}: add `save: {name}` to a question or remove it",
                        warning=True,
                    )


def check_options(flows: Flows) -> Iterator[Problem]:
    """Option ids are unique within a node (they name the door in stats and in the supporter's view)."""
    for node in flows.nodes.values():
        seen: set[str] = set()
        for i, option in enumerate(node.options):
            if option.id in seen:
                yield _problem(
                    flows,
                    node,
                    ("options", i),
                    f"has two options called '{option.id}': give one of them a different `id`",
                    on_key=True,
                )
            seen.add(option.id)


CHECKS: tuple[Check, ...] = (
    check_config_strings,
    check_kinds,
    check_targets,
    check_loops,
    check_dead_ends,
    check_reachable,
    check_translations,
    check_buttons,
    check_search,
    check_variables,
    check_options,
    check_avoided_words,
)


def check_flows(flows: Flows) -> list[Problem]:
    """All meaning checks, in a stable order."""
    return [problem for check in CHECKS for problem in check(flows)]
