"""Search meets its aims on the labelled set (tests/search_labelled.yaml) over the real resources: the right
category and service in the top 3 and an honest "nothing close", on the tuned part and, with a lower stated
floor, on the held-out part; door words on the menu match whole words only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from labelled import Outcome, load_queries, misses, rates, score

from bot.content.loader import load_content
from bot.conversation.engine import match_option
from bot.directory.resources import load_directory
from bot.directory.search import search, word_match

ROOT = Path(__file__).resolve().parent.parent
_menu = load_content(ROOT / "flows", ROOT / "resources")[0].flows
MENU = _menu.nodes[_menu.entry("menu")]
DIRECTORY, _ = load_directory(ROOT / "resources", today=date(2026, 11, 28))
QUERIES = load_queries()
OUTCOMES = score(DIRECTORY, QUERIES)
TUNED = [o for o in OUTCOMES if not o.query.held_out]
HELD_OUT = [o for o in OUTCOMES if o.query.held_out]

# The aims (issue 14) on the part search was tuned on; the held-out part was never looked at while tuning, so
# it is held to a floor below them (what it measured when tuning stopped, less a margin), not to the aims.
AIMS = {"category": 0.95, "service": 0.90, "nothing": 0.90}
HELD_OUT_FLOOR = {"category": 0.85, "service": 0.75, "nothing": 0.75}


def test_the_set_is_large_and_balanced() -> None:
    """At least 280 queries, 50 per language, 40 out of scope, and about a quarter held out."""
    assert len(QUERIES) >= 280
    for lang in ("en", "fr", "es", "tl"):
        assert sum(q.lang == lang and not q.out_of_scope for q in QUERIES) >= 50, lang
    assert sum(q.out_of_scope for q in QUERIES) >= 40
    assert 0.2 <= sum(q.held_out for q in QUERIES) / len(QUERIES) <= 0.35


def test_expected_services_exist() -> None:
    """Every expected service id is a service in resources/ (a renamed id fails here, not as a silent miss)."""
    ids = {r.id for r in DIRECTORY.resources}
    assert sorted({s for q in QUERIES for s in q.expect_service} - ids) == []


@pytest.mark.parametrize(("part", "outcomes", "aims"), [("tuned", TUNED, AIMS), ("held out", HELD_OUT, HELD_OUT_FLOOR)])
def test_aims(part: str, outcomes: list[Outcome], aims: dict[str, float]) -> None:
    """Right category in the top 3, right service in the top 3, and nothing for out-of-scope words."""
    measured = rates(outcomes)
    got = {"category": measured.category, "service": measured.service, "nothing": measured.nothing}
    print(f"\n{part}: {got}")
    short = {aim: value for aim, value in got.items() if value is None or value < aims[aim]}
    assert short == {}, "\n".join(misses(outcomes))


@pytest.mark.parametrize(
    ("text", "lang", "door"),
    [
        ("trabajo horas extras y no me pagan", "es", "work"),
        ("je dors dans mon auto", "fr", "tonight"),
        ("i need a shleter", "en", "tonight"),
        ("my boss took my passport", "en", "work"),
    ],
)
def test_menu_door_words_match_whole_words(text: str, lang: str, door: str) -> None:
    """A door word counts as a whole word, in any of its forms ("dors" is "dormir"; a long word may carry a typo)."""
    option = match_option(MENU.options, text, lang)
    assert option is not None
    assert option.id == door


@pytest.mark.parametrize(
    ("text", "lang", "wrong"),
    [
        ("horas extras", "es", "groups"),
        ("je dors dans mon auto", "fr", "indigenous"),
        ("extra hours", "en", "groups"),
        ("autobus", "fr", "indigenous"),
    ],
)
def test_menu_door_words_are_not_inside_other_words(text: str, lang: str, wrong: str) -> None:
    """ "extras" does not contain the door word "trans", nor "auto" "autochtone"."""
    option = match_option(MENU.options, text, lang)
    assert option is None or option.id != wrong


def test_word_match_is_whole_words_in_order() -> None:
    """A phrase is found as consecutive whole words, not inside other words."""
    assert word_match("horas extras", "trans") == 0
    assert word_match("je dors dans mon auto", "autochtone") == 0
    assert word_match("i am trans", "trans") > 100
    assert word_match("a safe place to stay tonight", "place to stay") > word_match("tonight", "tonight")
    assert word_match("to stay place", "place to stay") == 0
    assert word_match("je dors ici", "dormir", "fr") > 100


@pytest.mark.parametrize(
    ("text", "lang", "not_category"),
    [
        ("ou je peux coucher ce soir", "fr", "none"),  # coucher is French for sleeping, not an English couch
        ("mon manager garde mon passeport", "fr", "basic_needs"),  # manager is not manger (to eat)
        ("what time does the mall close", "en", "health"),  # mall is not Spanish/French mal
        ("j'ai besoin de pain", "fr", "health"),  # French pain is bread, not English pain
    ],
)
def test_false_friends_stay_in_their_language(text: str, lang: str, not_category: str) -> None:
    """A word of the person's language is read in that language (and English), never as another's."""
    hits = search(DIRECTORY, text, lang=lang, limit=3)
    assert not any(not_category in h.resource.categories for h in hits)


def test_non_latin_scripts_are_words() -> None:
    """Words of any script are kept as words (the old tokenizer dropped them), so they can be matched."""
    from bot.directory.search import words

    assert words("Пицца рядом, 911!") == ["пицца", "рядом", "911"]
    assert words("नमस्ते") == ["नमस्ते"]
    assert words("Hébergement") == ["hebergement"]
