"""Small talk, the police question and other languages, heard through the real engine and content.

The labelled phrases (tests/hear_phrases.yaml) were written before the code; the held-out quarter is never tuned
on, and its figures are printed separately (tests/bench/bench_hear.py prints the whole table).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hearing import NOW, Phrase, figures, heard, phrases

from bot.content.loader import Content, load_content
from bot.conversation import otherlang, smalltalk
from bot.conversation.engine import advance, enter
from bot.core.types import Event, Session

ALL = phrases()
TUNED = [p for p in ALL if not p.held_out]
HELD_OUT = [p for p in ALL if p.held_out]
# Tuned phrases the bot does not hear as labelled, and why (kept visible rather than dropped from the set).
KNOWN_MISSES = {
    "xin chào": "plain Latin letters French shares: the door waits for a letter only Vietnamese uses (ơ, ư, đ, ạ)",
}
HELD_OUT_AT_LEAST = 0.9


def _id(phrase: Phrase) -> str:
    return f"{phrase.lang}:{phrase.text}"


def test_the_labelled_set_is_big_enough_and_a_quarter_is_held_out() -> None:
    """Every kind is labelled in all four languages, and between a quarter and a third is held out."""
    for lang in ("en", "fr", "es", "tl"):
        kinds = {p.intent for p in ALL if p.lang == lang}
        assert kinds >= {
            "greeting",
            "thanks",
            "help",
            "ok",
            "yes",
            "no",
            "stop",
            "menu",
            "back",
            "again",
            "police_question",
            "no_police",
            "none",
        }, lang
    assert 0.24 <= len(HELD_OUT) / len(ALL) <= 0.34


@pytest.mark.parametrize("phrase", TUNED, ids=_id)
def test_every_tuned_phrase_is_heard_as_labelled(content: Content, phrase: Phrase) -> None:
    """Each phrase the words were written from is heard as its label, sent on the main menu."""
    if phrase.text in KNOWN_MISSES:
        pytest.xfail(KNOWN_MISSES[phrase.text])
    assert heard(content, phrase) == phrase.intent


@pytest.mark.parametrize("phrase", [p for p in ALL if p.intent == "none"], ids=_id)
def test_no_request_is_taken_for_small_talk(content: Content, phrase: Phrase) -> None:
    """A need ("hi i need a bed", "how do i report to the police"), held out or not, goes to the doors or search."""
    assert heard(content, phrase) == "none"


def test_held_out_phrases_are_mostly_heard(content: Content) -> None:
    """The held-out quarter, never tuned on, is heard as labelled at least 90% of the time (figures printed)."""
    table = figures(content, HELD_OUT)
    right = sum(r for r, _ in table.values())
    total = sum(t for _, t in table.values())
    per_lang: dict[str, list[int]] = {}
    for (lang, _), (r, t) in table.items():
        cell = per_lang.setdefault(lang, [0, 0])
        cell[0] += r
        cell[1] += t
    print(
        f"\nheld out: {right}/{total} ({right / total:.0%}); "
        + ", ".join(f"{lang} {r}/{t}" for lang, (r, t) in sorted(per_lang.items()))
    )
    assert right / total >= HELD_OUT_AT_LEAST


# -- the words, unit by unit -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def talk(content: Content) -> smalltalk.SmallTalk:
    assert content.smalltalk is not None
    return content.smalltalk


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("heyyy", "greeting"),
        ("helo", "greeting"),
        ("hlep", "help"),
        ("thankyou", "thanks"),
        ("hello po", "greeting"),
        ("tulungan nyo po ako", "help"),
        ("ok thanks", "thanks"),
        ("?", "help"),
        ("¿?", "help"),
        ("bakc", "back"),
    ],
)
def test_typos_fillers_and_repeated_letters_are_forgiven(talk: smalltalk.SmallTalk, text: str, kind: str) -> None:
    """Small typos, swapped letters, repeats, fillers and a phrase typed as one word are still heard."""
    found = smalltalk.hear(talk, text)
    assert found is not None
    assert found.kind == kind


@pytest.mark.parametrize(
    "text", ["hi i need a bed", "help me find a shelter", "bank", "stop my boss hitting me", "please", "", "!!!"]
)
def test_a_request_or_nothing_is_not_small_talk(talk: smalltalk.SmallTalk, text: str) -> None:
    """Every word must be small talk: a need, a near word of four letters ("bank"), or fillers alone are not."""
    assert smalltalk.hear(talk, text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("is this the police?", "police_question"),
        ("police?", "police_question"),
        ("pulis ba kayo", "police_question"),
        ("no cops pls", "no_police"),
        ("je veux pas la police", "no_police"),
        ("wag pulis", "no_police"),
    ],
)
def test_the_police_question_is_heard_asking_or_refusing(talk: smalltalk.SmallTalk, text: str, kind: str) -> None:
    """A police word with a question or a refusal is the police question; refusing is remembered."""
    found = smalltalk.hear(talk, text)
    assert found is not None
    assert found.kind == kind
    assert found.no_police == (kind == "no_police")


@pytest.mark.parametrize(
    "text", ["how do i report to the police", "quiero denunciar a la policia", "police", "the police took my phone"]
)
def test_wanting_police_is_a_request(talk: smalltalk.SmallTalk, text: str) -> None:
    """Wanting to reach the police, or a police word with no cue, goes on to the search as any request."""
    found = smalltalk.hear(talk, text)
    assert found is None or (found.go == "" and found.wants_police and not found.no_police)


def test_a_long_message_refusing_police_is_remembered_and_still_searched(talk: smalltalk.SmallTalk) -> None:
    """ "He hits me ... but I don't want police" keeps the need: no screen of its own, the refusal remembered."""
    found = smalltalk.hear(talk, "my boyfriend hits me and takes my money every week but i dont want the police")
    assert found is not None
    assert found.no_police
    assert found.go == ""


def _shipped(tmp_path: Path, old: str, new: str) -> Path:
    import shutil

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "flows", tmp_path / "flows")
    path = tmp_path / "flows" / smalltalk.FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path / "flows"


def test_check_names_a_go_that_leads_nowhere(tmp_path: Path) -> None:
    """`check` says when small talk leads to a node that does not exist, naming the key."""
    flows = _shipped(tmp_path, "go: hello.thanks", "go: hello.thank")
    root = Path(__file__).resolve().parent.parent
    loaded, problems = load_content(flows, root / "resources")
    assert loaded is None
    assert any("intents.thanks" in str(p) and "hello.thank'" in str(p) for p in problems)


def test_check_names_a_phrase_under_two_intents(tmp_path: Path) -> None:
    """A phrase written under two intents is an error naming both, at the intent's line."""
    flows = _shipped(tmp_path, "en: [menu, main menu,", "en: [thanks, menu, main menu,")
    talk, problems = smalltalk.load_smalltalk(flows)
    assert talk is None
    assert any("'thanks' is also under" in p.message and p.line > 1 for p in problems)


# -- other languages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "langs"),
    [
        ("ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ", ("pa",)),
        ("도와주세요", ("ko",)),
        ("我需要帮助", ("zh",)),
        ("ሓገዝ የድልየኒ", ("am", "ti")),
        ("مجھے مدد چاہیے", ("ur",)),
        ("به کمک نیاز دارم", ("fa",)),
        ("أحتاج مساعدة", ("ar",)),
        ("мені потрібна допомога", ("uk",)),
        ("tôi cần giúp đỡ", ("vi",)),
        ("สวัสดี", ("*",)),
        ("need a bed tonite", None),
        ("je suis enfermée", None),
        ("ayúdame", None),
        ("salamat po", None),
        ("🙏", None),
    ],
)
def test_the_language_is_told_by_its_script_then_lingua(text: str, langs: tuple[str, ...] | None) -> None:
    """A script of one language decides; a shared one asks lingua; the bot's own languages are never a door."""
    assert otherlang.detect(text, ("en", "fr", "es", "tl")) == langs


def test_each_other_language_gets_its_screen_with_sourced_numbers(content: Content) -> None:
    """Punjabi gets the Punjabi screen: the hotline's and 211's numbers from resources/, 911, and language buttons."""
    session = enter(content, Session(language="en"), content.flows.entry("menu"), NOW).session
    turn = advance(content, session, Event("text", text="ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ"), NOW)
    text = turn.replies[-1].text
    hotline = content.directory.get("human-trafficking-hotline")
    assert hotline is not None
    assert hotline.contacts[0].value in text
    assert "211" in text
    assert "911" in text
    assert "ਭਾਸ਼ਾ" in text
    labels = {b.label for row in turn.replies[-1].buttons for b in row}
    assert {"English", "Français", "Español", "Tagalog"} <= labels
    assert turn.session.language == "en"  # the person chooses; nothing is switched for them


def test_every_other_language_screen_has_the_three_numbers(content: Content) -> None:
    """No screen misses a number, and none keeps an unfilled {blank}."""
    door = content.other_languages
    assert door is not None
    assert {"pa", "zh", "ar", "ur", "vi", "uk", "ko", "ti", "am", "fa"} <= set(door.screens)
    for lang, text in door.screens.items():
        assert "1-833-900-1010" in text
        assert "211" in text
        assert "911" in text
        assert "{" not in text, lang


def test_other_language_screens_are_listed_for_review() -> None:
    """docs/translation-review.md lists every other-language screen as not yet reviewed by native speakers."""
    root = Path(__file__).resolve().parent.parent
    review = (root / "docs" / "translation-review.md").read_text(encoding="utf-8")
    assert "not yet reviewed by native speakers" in review
    for name in (
        "Punjabi",
        "Chinese",
        "Arabic",
        "Urdu",
        "Vietnamese",
        "Ukrainian",
        "Korean",
        "Tigrinya",
        "Amharic",
        "Farsi",
        "Russian",
    ):
        assert name in review, name
