"""The engine: (content, session, event, now) -> Turn. Pure and channel-neutral; no I/O, no clock of its own.

A person is always at one node. An event (a command, a tapped option, free text) moves them: options and
commands lead to nodes; free text is matched against the options of the screen, then the danger words, then
the resource directory. Entering a node shows it; `next` and `goto` carry on until a node waits for the person.
Every screen carries a way back to the menu and a way to a person.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from bot.content.flows import Node, Option, Text
from bot.content.loader import Content
from bot.conversation.privacy import brief_reply, wants_brief
from bot.conversation.safety import fold, is_danger
from bot.core.numbers import whole_number
from bot.core.types import Action, Button, Event, Reply, Session, Turn
from bot.directory import cards, fit
from bot.directory.search import search

MAX_STEPS = 25            # nodes entered in one turn; validation rejects silent loops, this is the backstop
MAX_PATH = 12             # doors remembered for the supporter's view
PAGE = 3                  # cards per screen
RESULTS = 12              # results kept for "more"
FIT_POOL = 60             # a door list's candidates, before rank by fit keeps RESULTS
MENU, TALK, LANGUAGE = "m", "t", "l"
KEYWORD_SCORE = 88
LANGUAGE_ALIASES = {"fil": "tl"}  # Telegram may report Filipino (fil) for people who read our Tagalog


def option_data(version: str, node_id: str, index: int | str) -> str:
    """Compact callback data: the flows version, the node and the option number (<= 64 bytes, checked)."""
    return f"{version[:6]}|{node_id}|{index}"


def language_for(content: Content, hint: str | None) -> str:
    """Telegram's language_code ("fr-CA") -> a language the flows have, else the default language."""
    base = (hint or "").replace("_", "-").split("-")[0].lower()
    base = LANGUAGE_ALIASES.get(base, base)
    return base if base in content.languages else content.default_language


@dataclass
class _Turn:
    """The turn being built: replies and actions so far, and the session as it moves."""

    content: Content
    now: datetime
    session: Session
    replies: list[Reply] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    results: set[int] = field(default_factory=set)   # replies with service cards or crisis lines: never shortened

    @property
    def lang(self) -> str:
        return self.session.language

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        if text or buttons:
            self.replies.append(Reply(text, buttons))

    def words(self, key: str) -> str:
        return self.content.text(key, self.lang)

    def act(self, action: str, **args: Any) -> None:
        self.actions.append(Action(action, tuple(args.items())))

    def count(self, name: str) -> None:
        self.act("count", name=name)

    def local(self, text: Text) -> str:
        raw = text.get(self.lang, self.content.default_language)
        values = _Blank(dict(self.session.vars))
        try:
            return string.Formatter().vformat(raw, (), values)
        except (ValueError, IndexError, KeyError):
            return raw


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def advance(content: Content, session: Session, event: Event, now: datetime) -> Turn:
    """Decide what one event does: the replies to show, the actions to take and the new session."""
    lang = session.language if session.language in content.languages else language_for(content,
                                                                                        event.language_hint)
    turn = _Turn(content, now, session.with_(language=lang, mode="flow" if session.mode == "inactive"
                                             else session.mode))
    moved = bool(session.node) and session.node not in content.flows.nodes
    turn.session = turn.session.with_(version=content.version)
    if not session.node or event.kind == "start":
        if not session.node:
            turn.count("conversation_started")
        _enter(turn, content.flows.entry("start"))
    elif event.kind == "command":
        _command(turn, event.text)
    elif moved:
        turn.say(turn.words("moved"))
        _enter(turn, content.flows.entry("menu"))
    elif event.kind == "option":
        _option(turn, event.data)
    elif event.kind == "text":
        _text(turn, event.text)
    else:
        _reshow(turn, turn.words("unsupported"))
    return _finish(turn)


def _finish(turn: _Turn) -> Turn:
    """The turn as built; screens made short while the person said they cannot talk freely."""
    replies = tuple(turn.replies)
    words = turn.content.privacy
    if turn.session.brief and words is not None:
        replies = tuple(reply if i in turn.results else brief_reply(reply, words, turn.lang)
                        for i, reply in enumerate(replies))
    return Turn(replies, turn.session, tuple(turn.actions))


def enter(content: Content, session: Session, node_id: str, now: datetime) -> Turn:
    """Show `node_id` as if the person had just arrived there (previews, tests, graceful moves)."""
    turn = _Turn(content, now, session.with_(version=content.version,
                                             language=session.language or content.default_language))
    _enter(turn, node_id)
    return _finish(turn)


def _command(turn: _Turn, name: str) -> None:
    name = name.lstrip("/").split("@")[0].lower()
    if name == "language":
        _language_screen(turn)
        return
    entry = {"start": "start", "menu": "menu", "talk": "talk", "forget": "forget", "help": "help"}.get(name)
    if entry and turn.content.flows.entry(entry):
        _enter(turn, turn.content.flows.entry(entry))
    else:
        _reshow(turn, turn.words("unknown_command"))


def _option(turn: _Turn, data: str) -> None:
    flows, version = turn.content.flows, turn.content.version
    if data == MENU:
        _enter(turn, flows.entry("menu"))
        return
    if data == TALK:
        _enter(turn, flows.entry("talk") or flows.entry("menu"))
        return
    parts = data.split("|")
    if len(parts) == 2 and parts[0] == LANGUAGE and parts[1] in turn.content.languages:
        turn.session = turn.session.with_(language=parts[1])
        turn.say(turn.words("language_set"))
        _enter(turn, flows.entry("menu"))
        return
    if len(parts) == 3 and parts[0] == version[:6] and parts[1] in flows.nodes:
        node = flows.nodes[parts[1]]
        if parts[2] == "more":
            _more(turn, node)
            return
        chosen = whole_number(parts[2])
        if chosen is not None and chosen < len(node.options):
            _choose(turn, node, node.options[chosen])
            return
    turn.say(turn.words("stale_button"))
    _reshow(turn, "")


def _choose(turn: _Turn, node: Node, option: Option) -> None:
    path = (*turn.session.path, option.id)[-MAX_PATH:]
    turn.session = turn.session.with_(path=path)
    if node.id == turn.content.flows.entry("menu"):
        turn.count(f"door:{option.id}")
    _enter(turn, option.go)


def _text(turn: _Turn, text: str) -> None:
    flows = turn.content.flows
    node = flows.node(turn.session.node)
    if is_danger(flows.danger_words, text, turn.lang):
        turn.count("danger_words")
        turn.act("danger")
        _enter(turn, flows.entry("danger") or flows.entry("menu"))
        return
    words = turn.content.privacy
    if words is not None and flows.entry("brief") and wants_brief(words, text, turn.lang):
        _enter(turn, flows.entry("brief"))
        return
    if node is not None and node.kind == "question" and node.save and node.next:
        saved = dict(turn.session.vars) | {node.save: text.strip()[:500]}
        turn.session = turn.session.with_(vars=tuple(saved.items()))
        _enter(turn, node.next)
        return
    menu = flows.node(flows.entry("menu"))
    screens = [s for s in (node, menu) if s is not None and s.options and s.kind not in ("end", "handoff", "do")]
    for screen in {s.id: s for s in screens}.values():  # this screen's options first, then the menu's doors
        option = match_option(screen.options, text, turn.lang)
        if option is not None:
            _choose_deep(turn, screen, option, text)
            return
    _free_search(turn, text)


def _choose_deep(turn: _Turn, screen: Node, option: Option, text: str) -> None:
    """Take `option`; when the words also name a door on the next screen ("boss took my passport" -> work ->
    passport), go straight through instead of asking again."""
    target = turn.content.flows.node(option.go)
    deeper = None
    if target is not None and target.kind == "message" and whole_number(fold(text)) is None:
        deeper = match_option(target.options, text, turn.lang)
        landing = turn.content.flows.node(deeper.go) if deeper else None
        if landing is None or landing.kind in ("do", "handoff"):  # a confirmation screen is never skipped
            deeper = None
    if deeper is None or target is None:
        _choose(turn, screen, option)
        return
    turn.session = turn.session.with_(path=(*turn.session.path, option.id)[-MAX_PATH:])
    if screen.id == turn.content.flows.entry("menu"):
        turn.count(f"door:{option.id}")
    _choose(turn, target, deeper)


def match_option(options: tuple[Option, ...], text: str, lang: str) -> Option | None:
    """The option free text means: its number, its label, or one of its keywords (typos forgiven)."""
    wanted = fold(text)
    if not wanted:
        return None
    number = whole_number(wanted)
    if number is not None:
        return options[number - 1] if 1 <= number <= len(options) else None
    best, best_score = None, 0.0
    tokens = wanted.split()
    for option in options:
        if fold(option.label.get(lang)) == wanted:
            return option
        for keyword in (*option.keywords.get(lang, ()), *option.keywords.get("en", ())):
            word = fold(keyword)
            if not word:
                continue
            if len(word) < 5 and " " not in word:
                score = 100.0 if word in tokens else 0.0
            else:
                score = fuzz.partial_ratio(word, wanted) if len(wanted) >= len(word) - 1 else 0.0
            if score >= KEYWORD_SCORE and score > best_score:
                best, best_score = option, score
    return best


def _reshow(turn: _Turn, text: str) -> None:
    """Say `text` with the buttons of the screen the person is on (or the menu), without moving them."""
    node = turn.content.flows.node(turn.session.node)
    if node is None or node.kind not in ("message", "search", "question", "end"):
        node = turn.content.flows.node(turn.content.flows.entry("menu"))
    if node is None:
        turn.say(text)
        return
    if text:
        turn.say(text, _buttons(turn, node))
    else:
        _enter(turn, node.id)


def _enter(turn: _Turn, node_id: str) -> None:
    flows = turn.content.flows
    for _ in range(MAX_STEPS):
        node = flows.node(node_id)
        if node is None:
            node = flows.node(flows.entry("menu"))
            if node is None:
                return
        turn.session = turn.session.with_(node=node.id)
        if node.kind == "end" or node.id == flows.entry("menu"):
            turn.session = turn.session.with_(vars=())  # answers in the person's words are kept no longer than needed
        following = _show(turn, node)
        if following is None:
            return
        node_id = following


def _show(turn: _Turn, node: Node) -> str | None:
    """Show one node; return the node to carry on to, or None when it waits for the person."""
    if node.kind == "goto":
        return node.goto
    if node.kind == "question":
        turn.say(turn.local(node.ask), _buttons(turn, node))
        return None
    if node.kind == "search":
        _node_search(turn, node)
        return node.next if node.next and not node.options else None
    if node.kind == "handoff":
        turn.say(turn.local(node.say), _buttons(turn, node))
        turn.count("handoff_requested")
        turn.act("handoff", topic=node.topic or _door(turn) or node.flow, path=turn.session.path, language=turn.lang)
        return None
    if node.kind == "do":
        return _do(turn, node)
    if node.id == turn.content.flows.entry("danger"):
        turn.results.add(len(turn.replies))  # the crisis lines are never cut short, even on brief screens
    if node.kind == "message" and node.next and not node.options:
        turn.say(turn.local(node.say))
        return node.next
    turn.say(turn.local(node.say), _buttons(turn, node))
    return None


def _door(turn: _Turn) -> str | None:
    """The last door the person chose on the menu ("work"), naming their warm-line topic."""
    menu = turn.content.flows.node(turn.content.flows.entry("menu"))
    doors = {o.id for o in menu.options} if menu else set()
    talk = {"talk", "connect", "erase", "danger"}
    return next((p for p in reversed(turn.session.path) if p in doors and p not in talk), None)


def _do(turn: _Turn, node: Node) -> str | None:
    if node.do == "erase":
        turn.act("erase", say=turn.local(node.say))
        turn.session = Session(version=turn.content.version, language=turn.lang, node=node.id)
        return None
    if node.do == "language":
        _language_screen(turn)
        return None
    if node.do in ("brief", "full"):
        turn.session = turn.session.with_(brief=node.do == "brief")
        turn.act("brief", on=turn.session.brief)
    if node.say:
        turn.say(turn.local(node.say), () if node.next else _buttons(turn, node))
    return node.next


def _language_screen(turn: _Turn) -> None:
    names = turn.content.flows.config.language_names
    rows = tuple((Button(names.get(lang, lang), f"{LANGUAGE}|{lang}"),) for lang in turn.content.languages)
    turn.say(turn.words("choose_language"), (*rows, _footer(turn, None)))


def _buttons(turn: _Turn, node: Node, extra: tuple[Button, ...] = ()) -> tuple[tuple[Button, ...], ...]:
    version = turn.content.version
    rows = tuple((Button(turn.local(o.label), option_data(version, node.id, i)),) for i, o in enumerate(node.options))
    return (*rows, *((extra,) if extra else ()), _footer(turn, node))


def _footer(turn: _Turn, node: Node | None) -> tuple[Button, ...]:
    flows = turn.content.flows
    row = []
    if node is None or node.id != flows.entry("menu"):
        row.append(Button(turn.words("menu_button"), MENU))
    talk = flows.entry("talk")
    offers_talk = node is not None and (node.kind == "handoff" or node.id == talk or
                                        any(o.go == talk for o in node.options))
    if not offers_talk:
        row.append(Button(turn.words("person_button"), TALK))
    return tuple(row)


def _node_search(turn: _Turn, node: Node) -> None:
    spec = node.search
    assert spec is not None
    query = turn.local(spec.query) if spec.query else ""
    hits = search(turn.content.directory, query, lang=turn.lang, categories=spec.categories,
                  filters=spec.filters, now=turn.now, limit=FIT_POOL)
    ranked = fit.order([h.resource for h in hits], fit.Person.from_filters(spec.filters), turn.now,
                       spec.categories)[:RESULTS]
    if not ranked:
        turn.count(f"search_no_match:{(spec.categories or ('any',))[0]}")
    _results(turn, node, turn.local(node.say), [r.id for r in ranked], 0,
             wait=not (node.next and not node.options))


def _free_search(turn: _Turn, text: str) -> None:
    hits = search(turn.content.directory, text, lang=turn.lang, now=turn.now, limit=RESULTS)
    node = turn.content.flows.node(turn.session.node) or turn.content.flows.node(turn.content.flows.entry("menu"))
    assert node is not None
    if not hits:
        turn.count("search_no_match:words")
        turn.say(turn.words("search_none"), _buttons(turn, node) if node.kind in ("message", "search")
                 else (_footer(turn, node),))
        return
    turn.count("search_words")
    report = fit.asks_to_report(text, turn.content.directory.report_words)
    ranked = fit.reorder_found([(h.resource, h.score) for h in hits], turn.now, report=report)
    _results(turn, node, turn.words("search_found"), [r.id for r in ranked], 0, wait=True, free=True)


def _results(turn: _Turn, node: Node, intro: str, ids: list[str], offset: int, *, wait: bool,
             free: bool = False) -> None:
    """Show up to PAGE cards from `ids` at `offset`, remembering the ids (never the words) for "more"."""
    turn.session = turn.session.with_(search=(("ids", ids), ("offset", offset + PAGE), ("free", free)))
    page = [r for r in (turn.content.directory.get(i) for i in ids[offset:offset + PAGE]) if r is not None]
    if not page and not intro:
        return
    body = "\n\n".join(cards.card(turn.content.directory, r, turn.lang, turn.now) for r in page)
    if not page:
        body = turn.words("search_none")
    text = f"{intro}\n\n{body}" if intro else body
    turn.results.add(len(turn.replies))  # the next reply carries the cards
    more = (Button(turn.words("more_button"), option_data(turn.content.version, node.id, "more")),) \
        if len(ids) > offset + PAGE else ()
    if not wait and not more:
        turn.say(text)
        return
    if free or node.kind != "search":
        turn.say(text, (*((more,) if more else ()), _footer(turn, node)))
    else:
        turn.say(text, _buttons(turn, node, more))


def _more(turn: _Turn, node: Node) -> None:
    saved: Mapping[str, Any] = dict(turn.session.search)
    ids = [str(i) for i in saved.get("ids", [])]
    offset = int(saved.get("offset", 0))
    if offset >= len(ids):
        _reshow(turn, turn.words("stale_button"))
        return
    turn.session = turn.session.with_(node=node.id)
    _results(turn, node, turn.words("search_more"), ids, offset, wait=True, free=bool(saved.get("free")))
