"""The engine: (content, session, event, now) -> Turn. Pure and channel-neutral; no I/O, no clock of its own.

A person is always at one node. An event (a command, a tapped option, free text) moves them: options and
commands lead to nodes; free text is matched against the options of the screen, then the danger words, then
the resource directory. Entering a node shows it; `next` and `goto` carry on until a node waits for the person.
Every screen carries a way back to the menu and a way to a person.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.content.flows import Node, Option, Text
from bot.content.loader import Content
from bot.content.warmlinetext import is_open
from bot.conversation import otherlang, smalltalk
from bot.conversation.privacy import TOPIC_BLANKS, brief_reply, duration, wants_brief
from bot.conversation.safety import Heard, hear
from bot.core.numbers import whole_number
from bot.core.text import fold
from bot.core.types import Action, Button, Event, Reply, Session, Turn
from bot.directory import cards, fit
from bot.directory.search import search, word_match

MAX_STEPS = 25  # nodes entered in one turn; validation rejects silent loops, this is the backstop
MAX_PATH = 12  # doors remembered for the supporter's view
PAGE = 3  # cards per screen
RESULTS = 12  # results kept for "more"
FIT_POOL = 60  # a door list's candidates, before rank by fit keeps RESULTS
MENU, TALK, LANGUAGE = "m", "t", "l"
KEYWORD_SCORE = 88
CRISIS_SCREENS = ("danger", "suicide", "suicide_now")  # bot.yaml entries whose lines are never cut short
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
    results: set[int] = field(default_factory=set)  # replies with service cards or crisis lines: never shortened
    line: str = ""  # Event.line: the warm line's state, when the edge knows it
    topics: str = ""  # Event.topics: what happens to a talk's copy in the supporters' group

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
        if "{line_now}" in raw:
            values["line_now"] = self.line_now()
        for blank in TOPIC_BLANKS:
            if f"{{{blank}}}" in raw:
                values[blank] = self.topics_kept(blank)
                if not values[blank]:  # the channel does not say: the sentence goes, and the space before it
                    raw = raw.replace(f" {{{blank}}}", f"{{{blank}}}")
        try:
            return string.Formatter().vformat(raw, (), values)
        except (ValueError, IndexError, KeyError):
            return raw

    def line_now(self) -> str:
        """Whether peer supporters are on the line now and until when, or when they are next, in the person's
        words (flows/warmline.yaml's hours, the service cards' labels); "" when the flows have no warm line."""
        warm = self.content.warmline
        if warm is None or warm.schedule is None:
            return ""
        hours = cards.schedule_line(self.content.directory.labels, warm.schedule, self.lang, self.now)
        hours = hours.replace("🕐", "").strip()
        key = "line_open" if is_open(warm, self.now) else "line_closed"
        if self.line == "off":  # no supporters' group is set up: say so, and the 24/7 lines
            key = "line_off"
        elif self.line == "nobody" and key == "line_open":  # open hours, but nobody on duty right now
            key = "line_nobody"
        return self.words(key).format_map(_Blank(hours=hours))

    def topics_kept(self, blank: str) -> str:
        return topics_words(self.content, self.lang, blank, self.topics)


def topics_words(content: Content, lang: str, blank: str, topics: str) -> str:
    """What happens to the copy of a talk in the supporters' group (flows/bot.yaml `{blank}_deleted` with the
    days, or `{blank}_kept`), as Event.topics says; "" when the edge does not say (no warm line reaches it)."""
    if topics == "keep":
        return content.text(f"{blank}_kept", lang)
    days = whole_number(topics)
    if days is None or content.privacy is None:
        return ""
    return content.text(f"{blank}_deleted", lang).format_map(_Blank(days=duration(content.privacy, lang, days=days)))


def without_topic_blanks(raw: str) -> str:
    """A text as the engine shows it where the channel says nothing of the supporters' group (Event.topics ""):
    its TOPIC_BLANKS gone, with the space before them (the web chat matches screens by their words)."""
    for blank in TOPIC_BLANKS:
        raw = raw.replace(f" {{{blank}}}", "").replace(f"{{{blank}}}", "")
    return raw


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def advance(content: Content, session: Session, event: Event, now: datetime) -> Turn:
    """Decide what one event does: the replies to show, the actions to take and the new session."""
    lang = session.language if session.language in content.languages else language_for(content, event.language_hint)
    turn = _Turn(
        content,
        now,
        session.with_(language=lang, mode="flow" if session.mode == "inactive" else session.mode),
        line=event.line,
        topics=event.topics,
    )
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
        replies = tuple(
            reply if i in turn.results else brief_reply(reply, words, turn.lang) for i, reply in enumerate(replies)
        )
    return Turn(replies, turn.session, tuple(turn.actions))


def enter(content: Content, session: Session, node_id: str, now: datetime) -> Turn:
    """Show `node_id` as if the person had just arrived there (previews, tests, graceful moves)."""
    turn = _Turn(
        content, now, session.with_(version=content.version, language=session.language or content.default_language)
    )
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
    crisis = hear(turn.content.danger, text)
    if crisis is not None:
        _crisis(turn, crisis)
        return
    words = turn.content.privacy
    if words is not None and flows.entry("brief") and wants_brief(words, text, turn.lang):
        _enter(turn, flows.entry("brief"))
        return
    heard = smalltalk.hear(turn.content.smalltalk, text) if turn.content.smalltalk else None
    if heard is not None and (heard.no_police or heard.wants_police):
        # lists put police and reporting lines last from now on, until the person asks for police themselves
        turn.session = turn.session.with_(no_police=heard.no_police)
    if node is not None and node.kind == "question" and node.save and node.next:
        if heard is not None and heard.kind in NAVIGATION:  # "menu", "back", "stop", "help" still move the person
            _heard(turn, heard)
            return
        saved = dict(turn.session.vars) | {node.save: text.strip()[:500]}
        turn.session = turn.session.with_(vars=tuple(saved.items()))
        _enter(turn, node.next)
        return
    if heard is not None and heard.go and heard.kind not in ANSWERS:  # "hi", "help", "is this the police?"
        _heard(turn, heard)
        return
    menu = flows.node(flows.entry("menu"))
    screens = [s for s in (node, menu) if s is not None and s.options and s.kind not in ("end", "handoff", "do")]
    if screens and screens[0] is node:  # this screen's own options next: "yes" answers its question
        option = match_option(node.options, text, turn.lang)
        if option is not None:
            _choose_deep(turn, node, option, text)
            return
    if heard is not None and heard.go:  # "yes", "no", "ok" outside a question
        _heard(turn, heard)
        return
    if _other_language(turn, text):
        return
    if menu is not None and menu in screens:  # then the menu's doors
        option = match_option(menu.options, text, turn.lang)
        if option is not None:
            _choose_deep(turn, menu, option, text)
            return
    _free_search(turn, text)


NAVIGATION = ("menu", "back", "stop", "help")  # heard even while a question waits for the person's own words
ANSWERS = ("yes", "no", "ok")  # heard only when the screen's own options don't take them


def _heard(turn: _Turn, heard: smalltalk.Heard) -> None:
    """Small talk or the police question: go where flows/smalltalk.yaml says, or back, or show this screen again."""
    flows = turn.content.flows
    turn.count(f"heard:{heard.kind}")
    if heard.go == "again":
        node = flows.node(turn.session.node)
        again = node.id if node is not None and node.kind in ("message", "search", "question", "end") else ""
        _enter(turn, again or flows.entry("menu"))
        return
    if heard.go == "back":
        _enter(turn, _back(turn.content, turn.session.node))
        return
    _enter(turn, smalltalk.go_target(flows, heard) or flows.entry("menu"))


def _back(content: Content, node_id: str) -> str:
    """The screen before this one: the menu for a door it opens, else a screen earlier in the same flow with a
    button leading here, else the menu."""
    flows = content.flows
    menu = flows.entry("menu")
    node = flows.node(node_id)
    if node is None or node.id == menu:
        return menu
    parents = [
        n
        for n in flows.nodes.values()
        if any(o.go == node.id for o in n.options) and n.kind in ("message", "search") and n.id != node.id
    ]
    if any(n.id == menu for n in parents):
        return menu
    earlier = [n for n in parents if n.flow == node.flow and n.line < node.line]
    return earlier[0].id if earlier else menu


def _other_language(turn: _Turn, text: str) -> bool:
    """A message in a language the flows don't have: one short screen in that language, and the language buttons."""
    door = turn.content.other_languages
    if door is None:
        return False
    langs = otherlang.detect(text, turn.content.languages)
    if langs is None:
        return False
    turn.count(f"other_language:{langs[0] if langs != ('*',) else 'other'}")
    names = turn.content.flows.config.language_names
    rows = tuple((Button(names.get(lang, lang), f"{LANGUAGE}|{lang}"),) for lang in turn.content.languages)
    turn.results.add(len(turn.replies))  # the numbers are never cut short, even on brief screens
    turn.say(door.screen(langs), (*rows, _footer(turn, None)))
    return True


def _crisis(turn: _Turn, heard: Heard) -> None:
    """Crisis heard, from any screen: its own answer (suicide, suicide happening now, or danger), counted by
    kind; the `danger` action marks a live warm-line request urgent."""
    screen = "danger" if heard.kind == "danger" else "suicide_now" if heard.now else "suicide"
    turn.count(f"danger_words:{screen}")
    turn.act("danger", kind=heard.kind, now=heard.now)
    flows = turn.content.flows
    _enter(turn, flows.entry(screen) or flows.entry("danger") or flows.entry("menu"))


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
    else:
        turn.session = turn.session.with_(path=(*turn.session.path, option.id)[-MAX_PATH:])
        if screen.id == turn.content.flows.entry("menu"):
            turn.count(f"door:{option.id}")
        _choose(turn, target, deeper)
    _answer_first(turn, text)


def _answer_first(turn: _Turn, text: str) -> None:
    """Typed words that land on a narrowing question ("Who is the bed for?") get one fitting service with its
    number first: the question comes after the answer, never instead of it."""
    flows = turn.content.flows
    landing = flows.node(turn.session.node)
    if turn.results or not turn.replies or landing is None or landing.kind != "message" or not landing.options:
        return
    categories = _reachable_categories(turn.content, landing)
    if not categories:
        return
    hits = search(turn.content.directory, text, lang=turn.lang, categories=categories, now=turn.now, limit=RESULTS)
    hits = hits or search(
        turn.content.directory, "", lang=turn.lang, categories=categories, now=turn.now, limit=RESULTS
    )
    ids = [h.resource.id for h in hits]
    if turn.session.no_police:
        ids = smalltalk.police_last(ids, lambda i: _is_police(turn.content, i))
    found = [r for r in (turn.content.directory.get(i) for i in ids) if r is not None]
    found.sort(key=lambda r: categories[0] not in r.categories)  # the first door's kind first (a bed: shelter)
    first = next((r for r in found if any(c.kind == "phone" for c in r.contacts)), None)  # one with a number
    if first is None:
        return
    turn.count("answer_first")
    body = cards.card(turn.content.directory, first, turn.lang, turn.now)
    at = len(turn.replies) - 1  # just before the narrowing question, which keeps its buttons
    turn.replies.insert(at, Reply(f"{turn.words('answer_first')}\n\n{body}"))
    turn.results.add(at)


def _reachable_categories(content: Content, node: Node, depth: int = 2) -> tuple[str, ...]:
    """The categories of the searches a narrowing screen's buttons lead to (in its own flow, `depth` steps)."""
    found: dict[str, None] = {}
    seen = {node.id}
    frontier = [node]
    for _ in range(depth):
        following = []
        for current in frontier:
            for option in current.options:
                target = content.flows.node(option.go)
                if target is None or target.id in seen or target.flow != node.flow:
                    continue
                seen.add(target.id)
                if target.kind == "search" and target.search is not None:
                    found.update(dict.fromkeys(target.search.categories))
                following.append(target)
        frontier = following
    return tuple(found)


def match_option(options: tuple[Option, ...], text: str, lang: str) -> Option | None:
    """The option free text means: its number, its label, or one of its keywords (typos forgiven)."""
    wanted = fold(text)
    if not wanted:
        return None
    number = whole_number(wanted)
    if number is not None:
        return options[number - 1] if 1 <= number <= len(options) else None
    best, best_score, best_length = None, 0.0, 0
    for option in options:
        if fold(option.label.get(lang)) == wanted:
            return option
        for keyword in (*option.keywords.get(lang, ()), *option.keywords.get("en", ())):
            word = fold(keyword)
            if not word:
                continue
            score = word_match(wanted, word, lang)  # whole words only: "horas extras" is not "trans"
            longer = score == best_score and len(word) > best_length  # "sex work" over "work"
            if score >= KEYWORD_SCORE and (score > best_score or longer):
                best, best_score, best_length = option, score, len(word)
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
    if node.id in {turn.content.flows.entry(e) for e in CRISIS_SCREENS}:
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
    menu = flows.entry("menu")
    if node is None or (node.id != menu and not any(o.go == menu for o in node.options)):  # one way to the menu
        row.append(Button(turn.words("menu_button"), MENU))
    talk = flows.entry("talk")
    offers_talk = node is not None and (
        node.kind == "handoff" or node.id == talk or any(o.go == talk for o in node.options)
    )
    if not offers_talk:
        row.append(Button(turn.words("person_button"), TALK))
    return tuple(row)


def _is_police(content: Content, resource_id: str) -> bool:
    """A police service or a reporting line (resources/ marks them), which a person who said no police sees last."""
    resource = content.directory.get(resource_id)
    return resource is not None and (resource.police or resource.reporting_line)


def _node_search(turn: _Turn, node: Node) -> None:
    spec = node.search
    assert spec is not None
    query = turn.local(spec.query) if spec.query else ""
    hits = search(
        turn.content.directory,
        query,
        lang=turn.lang,
        categories=spec.categories,
        filters=spec.filters,
        now=turn.now,
        limit=FIT_POOL,
    )
    person = fit.Person.from_filters(spec.filters)
    if turn.session.no_police:  # the person said so (flows/smalltalk.yaml): door lists leave police out
        person = replace(person, no_police=True)
    ranked = fit.order([h.resource for h in hits], person, turn.now, spec.categories)[:RESULTS]
    if not ranked:
        turn.count(f"search_no_match:{(spec.categories or ('any',))[0]}")
    _results(turn, node, turn.local(node.say), [r.id for r in ranked], 0, wait=not (node.next and not node.options))


def _free_search(turn: _Turn, text: str) -> None:
    hits = search(turn.content.directory, text, lang=turn.lang, now=turn.now, limit=RESULTS)
    node = turn.content.flows.node(turn.session.node) or turn.content.flows.node(turn.content.flows.entry("menu"))
    assert node is not None
    if not hits:
        turn.count("search_no_match:words")
        turn.say(
            turn.words("search_none"),
            _buttons(turn, node) if node.kind in ("message", "search") else (_footer(turn, None),),
        )
        return
    turn.count("search_words")
    if turn.session.no_police and all(_is_police(turn.content, h.resource.id) for h in hits):
        # The person said no police, and their words found only police and reporting lines: the services of
        # the same kinds that are neither come first (_results still lists the police ones after them).
        kinds = tuple(dict.fromkeys(c for h in hits for c in h.resource.categories))
        wider = search(turn.content.directory, "", lang=turn.lang, categories=kinds, now=turn.now, limit=RESULTS)
        seen = {h.resource.id for h in hits}
        hits = [*(h for h in wider if h.resource.id not in seen), *hits]
    report = fit.asks_to_report(text, turn.content.directory.report_words)
    ranked = fit.reorder_found([(h.resource, h.score) for h in hits], turn.now, report=report)
    _results(turn, node, turn.words("search_found"), [r.id for r in ranked], 0, wait=True, free=True)


def _results(
    turn: _Turn, node: Node, intro: str, ids: list[str], offset: int, *, wait: bool, free: bool = False
) -> None:
    """Show up to PAGE cards from `ids` at `offset`, remembering the ids (never the words) for "more"."""
    if turn.session.no_police and offset == 0:
        ids = smalltalk.police_last(ids, lambda i: _is_police(turn.content, i))
    turn.session = turn.session.with_(search=(("ids", ids), ("offset", offset + PAGE), ("free", free)))
    page = [r for r in (turn.content.directory.get(i) for i in ids[offset : offset + PAGE]) if r is not None]
    if not page and not intro:
        return
    body = "\n\n".join(cards.card(turn.content.directory, r, turn.lang, turn.now) for r in page)
    if not page:
        body = turn.words("search_none")
    text = f"{intro}\n\n{body}" if intro else body
    turn.results.add(len(turn.replies))  # the next reply carries the cards
    more = (
        (Button(turn.words("more_button"), option_data(turn.content.version, node.id, "more")),)
        if len(ids) > offset + PAGE
        else ()
    )
    if not wait and not more:
        turn.say(text)
        return
    if free:  # words typed anywhere, the menu too: a way on (more, a person) and a way back (the menu)
        turn.say(text, (*((more,) if more else ()), _footer(turn, None)))
    elif node.kind != "search":
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
