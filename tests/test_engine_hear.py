"""The engine's free-text order for what people type that is not a search: danger first, then small talk and the
police question, the screen's own options, other languages, the menu's doors, the search; the answer first; and
no dead end. Over the real flows and resources."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.console import chat
from bot.content.loader import Content
from bot.conversation.engine import MENU, TALK, advance, enter
from bot.core.types import Event, Session, Turn

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("America/Edmonton"))  # a Wednesday: the line is open
NIGHT = datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("America/Edmonton"))
LANGS = ("en", "fr", "es", "tl")
BED = {
    "en": "I need a safe place to sleep tonight",
    "fr": "je cherche un endroit pour dormir ce soir",
    "es": "necesito un lugar para dormir esta noche",
    "tl": "kailangan ko ng matutulugan ngayong gabi",
}
NO_POLICE = {
    "en": "i dont want police",
    "fr": "je veux pas la police",
    "es": "no quiero policia",
    "tl": "ayaw ko ng pulis",
}
REPORT = {
    "en": "report a crime",
    "fr": "signaler un crime a la police",
    "es": "denunciar un delito a la policia",
    "tl": "i-report sa pulis ang krimen",
}


def _on_menu(content: Content, lang: str, **session: object) -> Session:
    return enter(content, Session(language=lang).with_(**session), content.flows.entry("menu"), NOON).session


def _say(content: Content, session: Session, text: str, now: datetime = NOON) -> Turn:
    return advance(content, session, Event("text", text=text), now)


def _datas(turn: Turn) -> set[str]:
    return {b.data for row in turn.replies[-1].buttons for b in row}


def _result_ids(turn: Turn) -> list[str]:
    return [str(i) for i in dict(turn.session.search).get("ids", [])]


def test_danger_words_come_before_small_talk(content: Content) -> None:
    """ "hi i want to die" and "stop he is gonna kill me" are danger, not a greeting or a goodbye."""
    for text in ("hi i want to die", "stop hes gonna kill me"):
        turn = _say(content, _on_menu(content, "en"), text)
        assert any(a.name == "danger" for a in turn.actions), text


@pytest.mark.parametrize("lang", LANGS)
def test_no_police_is_remembered_and_puts_police_lines_last(content: Content, lang: str) -> None:
    """After "I don't want police", the same search lists every police service and reporting line after the rest."""
    before = _say(content, _on_menu(content, lang), REPORT[lang])
    directory = content.directory

    def police(i: str) -> bool:
        resource = directory.get(i)
        return resource is not None and (resource.police or resource.reporting_line)

    assert police(_result_ids(before)[0])  # without it, reporting words put police first
    said = _say(content, _on_menu(content, lang), NO_POLICE[lang])
    assert said.session.no_police
    again = enter(content, said.session, content.flows.entry("menu"), NOON).session
    after = _result_ids(_say(content, again, REPORT[lang]))
    flags = [police(i) for i in after]
    assert not flags[0]  # every police line after every other service
    assert flags == sorted(flags)


def test_no_police_survives_the_store_and_asking_for_police_lifts_it(content: Content) -> None:
    """The choice is kept in the saved session; "I want to call the police" later is the person's own choice."""
    session = _say(content, _on_menu(content, "en"), "no cops pls").session
    assert Session.from_dict(session.to_dict()).no_police
    lifted = _say(
        content, enter(content, session, content.flows.entry("menu"), NOON).session, "i want to call the police"
    ).session
    assert not lifted.no_police


@pytest.mark.parametrize("lang", LANGS)
def test_a_typed_need_gets_a_service_with_its_number_before_the_question(content: Content, lang: str) -> None:
    """ "I need a safe place to sleep tonight": first a service with a phone number, then "Who is the bed for?"."""
    turn = _say(content, _on_menu(content, lang), BED[lang])
    assert len(turn.replies) >= 2
    assert "📞" in turn.replies[0].text
    assert not turn.replies[0].buttons
    question = content.flows.nodes["tonight.start"].say.get(lang)
    assert turn.replies[-1].text == question
    assert turn.replies[-1].buttons


def test_a_tapped_door_still_asks_first(content: Content) -> None:
    """Tapping "A safe place tonight" is a choice already made: the question comes alone, as before."""
    menu = content.flows.nodes[content.flows.entry("menu")]
    index = next(i for i, o in enumerate(menu.options) if o.id == "tonight")
    session = _on_menu(content, "en")
    turn = advance(content, session, Event("option", data=f"{content.version[:6]}|{menu.id}|{index}"), NOON)
    assert len(turn.replies) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_talk_says_who_is_on_the_line_before_connecting(content: Content, lang: str) -> None:
    """/talk says, in the person's language, whether supporters are on now (and until when) or when they are back."""
    open_now = advance(content, _on_menu(content, lang), Event("command", text="talk"), NOON).replies[-1].text
    closed = advance(content, _on_menu(content, lang), Event("command", text="talk"), NIGHT).replies[-1].text
    assert content.text("line_open", lang).split("{")[0] in open_now
    assert content.text("line_closed", lang).split(".")[0] in closed
    assert "1-833-900-1010" in closed
    assert "{" not in open_now + closed
    assert "18" in open_now  # what a supporter must report, for people under 18


def test_a_search_from_the_menu_has_a_way_on_and_a_way_back(content: Content) -> None:
    """Words typed on the main menu get results with the menu button and a person: never a dead end."""
    turn = _say(content, _on_menu(content, "en"), "food bank near me")
    assert {MENU, TALK} <= _datas(turn)


def test_the_first_screen_has_one_way_to_the_menu(content: Content) -> None:
    """The welcome offers "Show me the options", and no second ↩ Menu button beside it."""
    turn = advance(content, Session(language="en"), Event("start"), NOON)
    labels = [b.label for row in turn.replies[-1].buttons for b in row]
    assert MENU not in _datas(turn)
    assert "Show me the options" in labels


def test_back_and_again_move_as_the_person_means(content: Content) -> None:
    """ "back" on a door's first screen is the menu; "again" shows the same screen once more."""
    door = _say(content, _on_menu(content, "en"), "bed tonight")
    assert door.session.node == "tonight.start"
    assert _say(content, door.session, "again").session.node == "tonight.start"
    assert _say(content, door.session, "back").session.node == content.flows.entry("menu")


def test_a_question_keeps_the_persons_words_but_menu_still_moves(content: Content) -> None:
    """On a free-text question, "hi" is an answer like any other, but "menu" goes to the menu."""
    asked = enter(content, Session(language="en"), "work.describe", NOON).session
    assert _say(content, asked, "menu").session.node == content.flows.entry("menu")
    assert _say(content, asked, "hi").session.node != content.flows.entry("menu")


def test_yes_on_a_screen_that_asks_takes_its_option(content: Content) -> None:
    """ "yes" on the talk screen connects (the screen's own option), not the small-talk "okay"."""
    talk = enter(content, Session(language="en"), content.flows.entry("talk"), NOON).session
    assert any(a.name == "handoff" for a in _say(content, talk, "yes").actions)


def test_console_privacy_shows_what_is_kept(content: Content) -> None:
    """/privacy in the console shows what Telegram's /privacy shows, and a choice is confirmed."""
    assert content.privacy is not None
    out = io.StringIO()
    chat(content, ["/privacy", "2"], out, language="en", clock=lambda: NOON)
    shown = out.getvalue()
    assert content.privacy.text("title", "en") in shown
    assert content.text("unknown_command", "en") not in shown
    assert "6" in shown.split(content.privacy.text("title", "en"))[-1]


@pytest.mark.parametrize("lang", LANGS)
def test_talk_says_nobody_is_free_or_not_set_up_when_the_edge_knows(content: Content, lang: str) -> None:
    """When the edge passes the warm line's state, /talk says nobody is free now, or that it is not set up."""
    session = _on_menu(content, lang)
    nobody = advance(content, session, Event("command", text="talk", line="nobody"), NOON).replies[-1].text
    off = advance(content, session, Event("command", text="talk", line="off"), NOON).replies[-1].text
    assert content.text("line_nobody", lang).split("{")[0].split(",")[0] in nobody
    assert content.text("line_off", lang).split(".")[0] in off
    assert "1-833-900-1010" in nobody
    assert "1-833-900-1010" in off
