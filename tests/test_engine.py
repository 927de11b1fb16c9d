"""Engine: pure turns over the shipped flows: every node shows well, commands, options, free text, stale input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content.loader import Content, load_content
from bot.content.validation import MAX_CALLBACK, MAX_TEXT
from bot.conversation.engine import MENU, TALK, advance, enter, match_option, option_data
from bot.core.types import Event, Reply, Session, Turn
from bot.settings import ROOT

NOW = datetime(2026, 11, 28, 14, 30, tzinfo=ZoneInfo("America/Edmonton"))
LOADED, _PROBLEMS = load_content(ROOT / "flows", ROOT / "resources")
assert LOADED is not None, "\n".join(map(str, _PROBLEMS))
CONTENT: Content = LOADED
NODES = sorted(CONTENT.flows.nodes)
LANGS = CONTENT.languages


def _buttons(turn: Turn) -> list[tuple[str, str]]:
    return [(b.label, b.data) for r in turn.replies for row in r.buttons for b in row]


def _text(turn: Turn) -> str:
    return "\n".join(r.text for r in turn.replies)


def _start(lang: str = "en") -> Turn:
    return advance(CONTENT, Session(), Event("start", language_hint=lang), NOW)


def _tap(turn: Turn, label_part: str) -> Turn:
    data = next(d for label, d in _buttons(turn) if label_part.casefold() in label.casefold())
    return advance(CONTENT, turn.session, Event("option", data=data), NOW)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("node_id", NODES)
def test_every_node_shows_within_telegram_limits(node_id: str, lang: str) -> None:
    """Entering any node gives texts under 4,096 characters and buttons whose data fits 64 bytes."""
    turn = enter(CONTENT, Session(language=lang), node_id, NOW)
    for reply in turn.replies:
        assert len(reply.text) <= MAX_TEXT
        for row in reply.buttons:
            for button in row:
                assert button.label
                assert len(button.data.encode()) <= MAX_CALLBACK


@pytest.mark.parametrize("node_id", NODES)
def test_every_waiting_screen_offers_menu_and_a_person(node_id: str) -> None:
    """Every screen that waits for the person offers one way back to the menu (the ↩ button, or an option that
    leads there) and a way to a person."""
    turn = enter(CONTENT, Session(language="en"), node_id, NOW)
    if not turn.replies or any(a.name == "erase" for a in turn.actions):
        return
    last = turn.replies[-1]
    datas = {b.data for row in last.buttons for b in row}
    node = CONTENT.flows.nodes[turn.session.node]
    talk = CONTENT.flows.entry("talk")
    menu = CONTENT.flows.entry("menu")
    to_menu = [o for o in node.options if o.go == menu]
    assert (MENU in datas) != bool(to_menu) or turn.session.node == menu
    assert TALK in datas or node.kind == "handoff" or node.id == talk or any(o.go == talk for o in node.options)


def test_a_new_person_gets_the_welcome_in_their_language() -> None:
    """A first message, with Telegram's language code, starts the welcome in that language when the flows have it."""
    turn = _start("fr-CA")
    assert turn.session.language == "fr"
    assert turn.session.node == CONTENT.flows.entry("start") or turn.replies
    assert ("count", (("name", "conversation_started"),)) in [(a.name, a.args) for a in turn.actions]


def test_unknown_language_falls_back_to_default() -> None:
    """A language the flows do not have falls back to the default language."""
    assert _start("de").session.language == CONTENT.default_language


@pytest.mark.parametrize("command", ["menu", "talk", "help", "forget", "language"])
def test_global_commands_work_from_any_node(command: str) -> None:
    """/menu, /talk, /help, /forget and /language answer from any node, even mid-question."""
    questions = [n for n in NODES if CONTENT.flows.nodes[n].kind == "question"] or NODES
    session = _start().session.with_(node=questions[0])
    turn = advance(CONTENT, session, Event("command", text=command), NOW)
    assert turn.replies
    assert "/" not in turn.session.node


def test_menu_option_is_counted_as_a_door() -> None:
    """Choosing a door on the menu counts it anonymously and remembers the door id, not any words."""
    menu = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW)
    _, data = _buttons(menu)[1]
    turn = advance(CONTENT, menu.session, Event("option", data=data), NOW)
    assert any(a.name == "count" and str(a.get("name")).startswith("door:") for a in turn.actions)
    assert turn.session.path


def test_stale_button_gets_a_calm_answer() -> None:
    """A button from older flows (another version) gets a calm note and the current screen, never an error."""
    turn = _start()
    stale = option_data("ffffff", CONTENT.flows.entry("menu"), 0)
    after = advance(CONTENT, turn.session, Event("option", data=stale), NOW)
    assert CONTENT.text("stale_button", "en") in _text(after)
    assert _buttons(after)


@pytest.mark.parametrize("data", ["", "garbage", "x|y|z", "|||", f"{'0' * 6}|main.menu|99", "l|zz", "🙂" * 10])
def test_tampered_button_data_is_harmless(data: str) -> None:
    """Tampered or malformed callback data is answered calmly with the current screen."""
    turn = advance(CONTENT, _start().session, Event("option", data=data), NOW)
    assert turn.replies
    assert turn.session.node in CONTENT.flows.nodes


def test_session_at_a_removed_node_is_moved_to_the_menu() -> None:
    """When staff remove the node a person waits at, the person is told gently and shown the menu."""
    session = Session(version="old", node="gone.node", language="en")
    turn = advance(CONTENT, session, Event("text", text="hello"), NOW)
    assert CONTENT.text("moved", "en") in _text(turn)
    assert turn.session.node == CONTENT.flows.entry("menu")
    assert turn.session.version == CONTENT.version


@pytest.mark.parametrize("lang", LANGS)
def test_danger_words_are_heard_from_any_node(lang: str) -> None:
    """Danger words in the person's language lead to the danger screen from any node, typos forgiven."""
    words = CONTENT.danger.of("danger", lang) or CONTENT.danger.of("danger", "en")
    for node_id in NODES[:: max(1, len(NODES) // 8)]:
        session = Session(version=CONTENT.version, node=node_id, language=lang)
        turn = advance(CONTENT, session, Event("text", text=f"please {words[0]}"), NOW)
        assert turn.session.node == CONTENT.flows.entry("danger"), node_id
        assert any(a.name == "danger" for a in turn.actions)


def test_free_text_matches_an_option_by_number_and_label() -> None:
    """Typing an option's number or label chooses it."""
    menu = CONTENT.flows.nodes[CONTENT.flows.entry("menu")]
    first = menu.options[0]
    assert match_option(menu.options, "1", "en") == first
    assert match_option(menu.options, first.label.get("en").upper(), "en") == first
    assert match_option(menu.options, "99", "en") is None


def test_question_saves_the_answer_and_moves_on() -> None:
    """A question saves the person's words to its variable and goes to its next node."""
    questions = [CONTENT.flows.nodes[n] for n in NODES if CONTENT.flows.nodes[n].kind == "question"]
    if not questions:
        pytest.skip("the shipped flows ask no free-text question")
    node = questions[0]
    session = Session(version=CONTENT.version, node=node.id, language="en")
    turn = advance(CONTENT, session, Event("text", text="my own words"), NOW)
    assert dict(turn.session.vars)[node.save or ""] == "my own words"
    assert turn.session.node != node.id


def test_unsupported_input_gets_a_kind_reply_and_keeps_the_place() -> None:
    """A photo or sticker gets the 'I can only read text' reply, with the buttons of the current screen."""
    start = _start()
    turn = advance(CONTENT, start.session, Event("unsupported"), NOW)
    assert _text(turn) == CONTENT.text("unsupported", "en")
    assert turn.session.node == start.session.node
    assert _buttons(turn)


def test_language_switch() -> None:
    """/language offers every declared language and choosing one switches every following screen."""
    turn = advance(CONTENT, _start().session, Event("command", text="language"), NOW)
    datas = [d for _, d in _buttons(turn)]
    assert all(f"l|{lang}" in datas for lang in LANGS)
    other = next(lang for lang in LANGS if lang != "en")
    after = advance(CONTENT, turn.session, Event("option", data=f"l|{other}"), NOW)
    assert after.session.language == other
    assert CONTENT.text("language_set", other) in _text(after)


def test_free_text_search_finds_services_or_says_so_honestly() -> None:
    """Free text that is no option searches the directory; gibberish gets the honest 'nothing close' reply."""
    session = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW).session
    found = advance(CONTENT, session, Event("text", text="food bank near me"), NOW)
    assert len(found.replies) == 1
    assert len(found.replies[0].text) > 40
    nothing = advance(CONTENT, session, Event("text", text="zzqx vbnm"), NOW)
    assert _text(nothing) == CONTENT.text("search_none", "en")


def test_more_pages_through_results_without_storing_words() -> None:
    """'More' shows the next results; the session keeps result ids, never the person's words."""
    session = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW).session
    found = advance(CONTENT, session, Event("text", text="help shelter food housing"), NOW)
    assert "shelter" not in repr(found.session.search) or "ids" in dict(found.session.search)
    assert "food" not in repr(found.session)
    more = [d for _, d in _buttons(found) if d.endswith("|more")]
    if more:
        after = advance(CONTENT, found.session, Event("option", data=more[0]), NOW)
        assert after.replies
        assert _text(after) != _text(found)


def test_handoff_node_emits_a_handoff_action_with_the_path() -> None:
    """Reaching a handoff node asks for a person, carrying the doors chosen (never free text)."""
    handoffs = [n for n in NODES if CONTENT.flows.nodes[n].kind == "handoff"]
    turn = enter(CONTENT, Session(language="en", path=("work",)), handoffs[0], NOW)
    action = next(a for a in turn.actions if a.name == "handoff")
    assert action.get("path") == ("work",)
    assert action.get("language") == "en"


def test_erase_resets_the_session() -> None:
    """Confirming erase emits the erase action and leaves no path, answers or results in the session."""
    erases = [n for n in NODES if CONTENT.flows.nodes[n].do == "erase"]
    session = Session(language="en", path=("work",), vars=(("x", "secret words"),))
    turn = enter(CONTENT, session, erases[0], NOW)
    assert any(a.name == "erase" for a in turn.actions)
    assert turn.session.path == ()
    assert turn.session.vars == ()


def test_turns_are_pure() -> None:
    """The same content, session, event and time always give the same turn."""
    a = advance(CONTENT, Session(), Event("start"), NOW)
    b = advance(CONTENT, Session(), Event("start"), NOW)
    assert a == b
    assert isinstance(a.replies[0], Reply)


def test_cant_talk_now_makes_screens_short_but_keeps_service_cards() -> None:
    """Saying "can't talk now" switches to short screens (first sentence, short labels) until turned off;
    service cards stay whole so numbers are never cut."""
    menu = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW)
    brief = advance(CONTENT, menu.session, Event("text", text="I can't talk now"), NOW)
    assert brief.session.brief
    assert any(a.name == "brief" and a.get("on") for a in brief.actions)
    after = advance(CONTENT, brief.session, Event("command", text="menu"), NOW)
    full = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW)
    assert len(_text(after)) <= len(_text(full))
    searches = [n for n in NODES if CONTENT.flows.nodes[n].kind == "search"]
    found = enter(CONTENT, brief.session, searches[0], NOW)
    assert any(r.text.count("\n") >= 2 for r in found.replies)
    back = next(d for _, d in _buttons(brief) if d.endswith("|0"))
    normal = advance(CONTENT, brief.session, Event("option", data=back), NOW)
    assert not normal.session.brief


def test_typed_door_words_work_from_the_welcome_screen() -> None:
    """Words typed on a screen that is not the menu still find the menu's doors (e.g. 'work' on the welcome)."""
    turn = advance(CONTENT, _start().session, Event("text", text="boss kept my passport"), NOW)
    assert turn.session.path


def test_words_that_name_a_door_two_screens_deep_go_straight_there() -> None:
    """'boss took my passport' typed at the menu goes through the work door straight to the passport screen."""
    menu = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW)
    turn = advance(CONTENT, menu.session, Event("text", text="my boss took my passport"), NOW)
    assert len(turn.session.path) == 2
    assert turn.session.path[0] == "work"


def test_handoff_topic_is_named_after_the_door_chosen() -> None:
    """A handoff reached through the work door names its topic 'work' (the supporter sees the door, not words)."""
    menu = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("menu"), NOW)
    work = advance(CONTENT, menu.session, Event("text", text="trouble at work"), NOW)
    talk = advance(CONTENT, work.session, Event("command", text="talk"), NOW)
    connect = _tap(talk, "yes")
    action = next(a for a in connect.actions if a.name == "handoff")
    assert action.get("topic") == "work"


@pytest.mark.parametrize(
    ("hint", "lang"),
    [("es-MX", "es"), ("fr_CA", "fr"), ("fil", "tl"), ("tl", "tl"), ("", "en"), (None, "en"), ("zz", "en")],
)
def test_language_hints(hint: str | None, lang: str) -> None:
    """Telegram's language codes map to the flows' languages (Filipino to Tagalog); others get the default."""
    from bot.conversation.engine import language_for

    assert language_for(CONTENT, hint) == lang


def test_brief_screens_never_cut_the_crisis_lines() -> None:
    """Someone who said they cannot talk still gets every crisis number when danger words are heard."""
    brief = advance(CONTENT, _start().session, Event("text", text="I can't talk now"), NOW).session
    words = CONTENT.danger.of("danger", "en")
    turn = advance(CONTENT, brief, Event("text", text=words[0]), NOW)
    full = enter(CONTENT, Session(language="en"), CONTENT.flows.entry("danger"), NOW)
    assert turn.replies[0].text == full.replies[0].text
