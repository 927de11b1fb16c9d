"""The shipped flows as content: complete in every language, readable, kind in their words, sourced in their numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from statistics import mean

import pytest
import textstat

from bot.content.flows import Flows, read_flows
from bot.content.loader import Content, load_content
from bot.content.wording import check_wording, load_avoid_list
from bot.conversation.safety import is_danger

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"
RESOURCES = ROOT / "resources"
MAX_ENGLISH_GRADE = 7.0
MIN_WORDS = 5  # a grade formula says nothing about a phrase shorter than this ("about {minutes} minutes")
# Phone-number-like: 403-266-4357, 1-833-900-1010, 310-1818, the short lines, and Kids Help Phone's text number.
PHONE = re.compile(
    r"(?<![\d-])(?:1-)?\d{3}-\d{3}-\d{4}(?![\d-])|(?<![\d-])\d{3}-\d{4}(?![\d-])"
    r"|(?<![\d-])(?:911|988|211|811|686868)(?![\d-])"
)
SOURCE_WORDS = ("Source", "Fuente", "Pinagmulan")
# What a readability formula should not count: sources, web addresses, numbers, commands, bullets, emoji.
NOT_PROSE = (
    re.compile(r"\((?:Source|Fuente|Pinagmulan)[^)]*\)"),
    re.compile(r"\S+\.(?:ca|com|org)\S*"),
    re.compile(r"(?:1-)?\d[\d-]{5,}\d"),
    re.compile(r"(?<!\w)/\w+"),
    re.compile(r"[•▸↩💬🚨]"),
    re.compile(r"\{\w+\}"),
)  # a blank the bot fills ({minutes}, {days})


# Every grade test here counts English syllables: conftest builds the CMU dictionary once for the run.
pytestmark = pytest.mark.usefixtures("english_syllables")


@pytest.fixture(scope="module")
def flows() -> Flows:
    loaded, problems = read_flows(FLOWS)
    assert not [p for p in problems if p.is_error], problems
    return loaded


def screens(flows: Flows, lang: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every screen the bot shows in `lang`: node texts and the bot's own words."""
    for node in flows.nodes.values():
        for text in (node.say, node.ask):
            if text.by_lang.get(lang):
                yield node.id, text.by_lang[lang]
    for key, text in flows.config.strings.items():
        if text.by_lang.get(lang) and not key.startswith("console_") and not key.endswith("_button"):
            yield f"bot.yaml strings.{key}", text.by_lang[lang]


def prose(text: str) -> str:
    """The sentences a person reads, without the references a formula would misread as long words."""
    for pattern in NOT_PROSE:
        text = pattern.sub(" ", text)
    return re.sub(r"\s+", " ", text.replace("\n", ". ")).strip(" .")


def test_flows_pass_check_with_no_missing_translation(content: Content) -> None:
    """`check` reports nothing at all about the flows: every text exists in every declared language."""
    _, problems = load_content(FLOWS, RESOURCES)
    about_flows = [str(p) for p in problems if "flows" in Path(p.path).parts or p.path.startswith("flows")]
    assert about_flows == []
    assert set(content.languages) == {"en", "fr", "es", "tl"}


def person_texts(content: Content, lang: str) -> Iterator[tuple[str, str]]:
    """Every person-facing text in flows/ in `lang`: the screens, the warm line's and /privacy's words, and the
    other-languages door (English)."""
    yield from screens(content.flows, lang)
    if content.warmline is not None:
        for key, by_lang in content.warmline.person.items():
            if by_lang.get(lang) and not key.endswith("_button"):
                yield f"warmline.yaml person.{key}", by_lang[lang]
    if content.privacy is not None:
        for key, text in content.privacy.texts.items():
            if text.by_lang.get(lang) and not key.endswith("_button") and key not in ("hour", "hours", "day", "days"):
                yield f"privacy-text.yaml texts.{key}", text.by_lang[lang]
    if content.other_languages is not None and lang in content.other_languages.screens:
        yield f"other-languages.yaml screens.{lang}", content.other_languages.screens[lang]


def test_every_english_text_is_grade_7_or_below(content: Content) -> None:
    """Every person-facing English text in flows/ reads at Flesch-Kincaid grade 7 or below (the aim is grade 6)."""
    textstat.set_lang("en")
    grades = {
        where: textstat.flesch_kincaid_grade(prose(text))
        for where, text in person_texts(content, "en")
        if len(prose(text).split()) >= MIN_WORDS
    }
    print(
        f"\nen: Flesch-Kincaid grade mean {mean(grades.values()):.1f}, max {max(grades.values()):.1f} "
        f"over {len(grades)} texts"
    )
    too_hard = {where: grade for where, grade in grades.items() if grade > MAX_ENGLISH_GRADE}
    assert too_hard == {}


def test_readability_figures_per_language(flows: Flows) -> None:
    """A readability figure per language where textstat has one (printed for the translation review)."""
    figures: dict[str, str] = {}
    try:
        textstat.set_lang("fr")
        french = " ".join(prose(t) for _, t in screens(flows, "fr"))
        figures["fr"] = f"Flesch reading ease (French constants) {textstat.flesch_reading_ease(french):.0f}"
        textstat.set_lang("es")
        spanish = " ".join(prose(t) for _, t in screens(flows, "es"))
        figures["es"] = (
            f"Fernández Huerta {textstat.fernandez_huerta(spanish):.0f}, "
            f"Szigriszt-Pazos {textstat.szigriszt_pazos(spanish):.0f}"
        )
        textstat.set_lang("en")
        tagalog = [prose(t) for _, t in screens(flows, "tl")]
        words = sum(textstat.lexicon_count(t) for t in tagalog)
        sentences = sum(max(1, textstat.sentence_count(t)) for t in tagalog)
        figures["tl"] = f"no formula in textstat; {words / sentences:.1f} words per sentence"
    finally:
        textstat.set_lang("en")
    english = " ".join(prose(t) for _, t in screens(flows, "en"))
    figures["en"] = f"Flesch reading ease {textstat.flesch_reading_ease(english):.0f}"
    for lang, figure in sorted(figures.items()):
        print(f"\n{lang}: {figure}", end="")
    assert set(figures) == {"en", "fr", "es", "tl"}


def test_no_avoided_word_anywhere(flows: Flows) -> None:
    """No screen, button or bot word uses a word from flows/words-to-avoid.yaml, in any language."""
    avoid, problems = load_avoid_list(FLOWS)
    assert problems == []
    assert set(avoid) >= {"en", "fr", "es", "tl"}
    assert [str(p) for p in check_wording(flows, avoid)] == []


@pytest.mark.parametrize("lang", ["en", "fr", "es", "tl"])
def test_every_number_has_its_source_on_the_same_screen(flows: Flows, lang: str) -> None:
    """A phone number written in a flow names its source on the same screen (facts come from the facts file)."""
    unsourced = [
        where
        for where, text in screens(flows, lang)
        if PHONE.search(text) and not any(word in text for word in SOURCE_WORDS)
    ]
    assert unsourced == []


def test_danger_words_exist_in_every_language(flows: Flows, content: Content) -> None:
    """Every declared language has its own suicide and danger phrases."""
    assert all(content.danger.of(kind, lang) for lang in flows.config.languages for kind in ("suicide", "danger"))


@pytest.mark.parametrize("lang", ["en", "fr", "es", "tl"])
def test_no_button_label_is_mistaken_for_danger(flows: Flows, content: Content, lang: str) -> None:
    """Typing a button's own label does not set off the danger screen, except the buttons about danger."""
    alarming = [
        f"{node.id}: {option.label.get(lang)}"
        for node in flows.nodes.values()
        for option in node.options
        if option.go != flows.entry("danger") and is_danger(content.danger, option.label.get(lang))
    ]
    assert alarming == []


def test_menu_offers_every_door_and_erasing(flows: Flows) -> None:
    """The menu has the doors of issue 6, including erasing this chat one step away."""
    menu = flows.nodes[flows.entry("menu")]
    doors = {option.go for option in menu.options}
    assert {flows.entry("forget"), flows.entry("danger"), flows.entry("talk")} <= doors
    assert {"tonight", "work", "hurt", "sexwork", "youth", "indigenous", "someone", "plan"} <= {
        door.split(".")[0] for door in doors
    }
