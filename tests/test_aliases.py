"""/alias checks (bot.warmline.aliases) over the real refused words (flows/warmline.yaml) and the real agencies
(every service in resources/, by name)."""

from __future__ import annotations

import pytest
from running import shipped_warmline

from bot.content.loader import Content
from bot.warmline import aliases
from bot.warmline.rules import WarmlineText


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return shipped_warmline()


@pytest.fixture(scope="module")
def agencies(content: Content) -> tuple[str, ...]:
    return aliases.agency_names(r.name for r in content.directory.resources)


def check(name: str, words: WarmlineText, agencies: tuple[str, ...]) -> str:
    return aliases.check_alias(name, words.refused_aliases, agencies)


@pytest.mark.parametrize(
    "name", ["Sam", "Mary-Ann", "O'Neil", "José", "Nguyễn Thị", "Мария", "فاطمة", "李华", "Ana Lucía", "  Sam  "]
)
def test_plain_first_names_in_any_script_are_accepted(
    name: str, words: WarmlineText, agencies: tuple[str, ...]
) -> None:
    """A plain name in any script (with accents, a hyphen, an apostrophe) may be an alias."""
    assert check(name, words, agencies) == ""


@pytest.mark.parametrize(
    "name",
    [
        "https://t.me/x",
        "t.me/joinchat",
        "@sam_real",
        "Sam 403 555 0101",
        "Sam2",
        "Sam\u202e",  # right-to-left override
        "\u200fSam",  # right-to-left mark
        "Sa\u200bm",  # zero-width space
        "Sam\x07",  # a control character
        "Sam 🙂",
        "Sam!",
        "Sam--x",
        "-Sam",
        "Pοlice",  # a Greek omicron among Latin letters
    ],
)
def test_links_handles_digits_control_and_direction_characters_are_refused(
    name: str, words: WarmlineText, agencies: tuple[str, ...]
) -> None:
    """Links, @handles, digits, emoji, control, invisible and direction characters and mixed scripts are refused."""
    assert check(name, words, agencies) == "alias_plain"


def test_too_long_and_empty(words: WarmlineText, agencies: tuple[str, ...]) -> None:
    """More than ALIAS_MAX characters is too long; nothing is the usage line."""
    assert check("A" * (aliases.ALIAS_MAX + 1), words, agencies) == "alias_too_long"
    assert check("A" * aliases.ALIAS_MAX, words, agencies) == ""
    assert check("   ", words, agencies) == "alias_usage"


def test_every_refused_word_is_refused_in_any_case(words: WarmlineText, agencies: tuple[str, ...]) -> None:
    """Each word of refused_aliases (flows/warmline.yaml) is refused alone, in capitals and inside a name."""
    assert {"police", "RCMP", "CBSA", "officer", "detective", "immigration"} <= set(words.refused_aliases)
    for word in words.refused_aliases:
        assert check(word, words, agencies) == "alias_agency", word
        assert check(word.upper(), words, agencies) == "alias_agency", word
        if len(word) < 12:
            assert check(f"Sam {word}", words, agencies) == "alias_agency", word
    assert check("Políce", words, agencies) == "alias_agency"  # accents do not hide it


def test_the_agencies_in_resources_are_refused_by_name(
    content: Content, words: WarmlineText, agencies: tuple[str, ...]
) -> None:
    """Every service in resources/ whose name fits an alias is refused by it, and by its acronym."""
    names = [r.name for r in content.directory.resources]
    assert "Calgary Police Service" in names
    tried = 0
    for name in names:
        if aliases.plain(aliases.tidy(name)) and len(name) <= aliases.ALIAS_MAX:
            assert check(name, words, agencies) == "alias_agency", name
            tried += 1
    assert tried >= 5
    for acronym in ("RCMP", "CCIS", "IRCC", "AFCC"):
        assert check(acronym, words, agencies) == "alias_agency"
    assert check("Calgary Police", words, agencies) == "alias_agency"
