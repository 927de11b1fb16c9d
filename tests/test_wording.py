"""bot/content/wording.py: the words the bot avoids, found whole-word in what it says, with the kinder alternative."""

from __future__ import annotations

from pathlib import Path

from bot.content.flows import read_flows
from bot.content.validation import check_flows
from bot.content.wording import Avoided, check_wording, load_avoid_list

BOT = """languages: [en, fr]
start: main.menu
menu: main.menu
strings:
  error: {en: "Sorry, the Victim line failed.", fr: "Désolé."}
"""
FLOW = """nodes:
  menu:
    say:
      en: "Help for VICTIMS and for every victim, and victimhood aside."
      fr: "De l'aide pour chaque victime."
    options:
      - label: {en: "Services", fr: "Services"}
        keywords: {en: [victim, prostitute], fr: [victime]}
        go: menu
"""
AVOID = """words:
  en:
    - {word: victim, instead: "someone who was hurt"}
    - {word: you should leave, instead: "you can get help whether you stay or leave"}
  fr:
    - {word: victime, instead: "personne touchée"}
"""


def write(folder: Path, avoid: str | None = AVOID) -> Path:
    (folder / "bot.yaml").write_text(BOT)
    (folder / "main.yaml").write_text(FLOW)
    if avoid is not None:
        (folder / "words-to-avoid.yaml").write_text(avoid)
    return folder


def test_finds_whole_words_in_any_case_with_node_and_alternative(tmp_path: Path) -> None:
    """'victim' is found whatever its capitals, and the problem names the word, the node and the alternative."""
    flows, _ = read_flows(write(tmp_path))
    avoid, _ = load_avoid_list(tmp_path)
    problems = check_wording(flows, avoid)
    said = [str(p) for p in problems]
    assert any("node 'menu'" in s and "'victim'" in s and "someone who was hurt" in s and "(en)" in s for s in said)
    assert any("string 'error'" in s and "'Victim'" in s for s in said)
    assert any("'victime'" in s and "(fr)" in s and "personne touchée" in s for s in said)
    assert all(p.is_error for p in problems)
    assert all(p.path.endswith(".yaml") and p.line > 0 for p in problems)


def test_part_of_a_longer_word_and_what_people_type_are_not_flagged(tmp_path: Path) -> None:
    """'victims' and 'victimhood' are other words, and keywords (the person's words) are never checked."""
    flows, _ = read_flows(write(tmp_path))
    problems = check_wording(flows, {"en": [Avoided("victims", "people who were hurt", "en")]})
    assert len(problems) == 1
    assert "'VICTIMS'" in problems[0].message
    assert check_wording(flows, {"en": [Avoided("prostitute", "sex worker", "en")]}) == []


def test_words_are_checked_in_their_own_language_only(tmp_path: Path) -> None:
    """A French word in the French list is not looked for in English text, and the other way round."""
    flows, _ = read_flows(write(tmp_path))
    problems = check_wording(flows, {"fr": [Avoided("help", "aide", "fr")]})
    assert problems == []


def test_phrases_match_across_spaces(tmp_path: Path) -> None:
    """A phrase is found with any run of spaces or a line break between its words."""
    flows, _ = read_flows(write(tmp_path))
    phrase = Avoided("for every", "for each", "en")
    assert len(check_wording(flows, {"en": [phrase]})) == 1


def test_check_runs_it_when_the_list_sits_beside_bot_yaml(tmp_path: Path) -> None:
    """`check` reports avoided words as errors when words-to-avoid.yaml sits beside bot.yaml, and not without it."""
    flows, _ = read_flows(write(tmp_path))
    assert any("a word we avoid" in p.message for p in check_flows(flows))
    other = tmp_path / "no_list"
    other.mkdir()
    flows, _ = read_flows(write(other, avoid=None))
    assert not any("a word we avoid" in p.message for p in check_flows(flows))


def test_the_list_is_not_read_as_a_flow(tmp_path: Path) -> None:
    """words-to-avoid.yaml is a special file: loading the folder makes no flow of it."""
    flows, problems = read_flows(write(tmp_path))
    assert "words-to-avoid" not in flows.flow_names
    assert not [p for p in problems if "words-to-avoid" in p.path]


def test_an_entry_without_an_alternative_is_reported_at_its_line(tmp_path: Path) -> None:
    """Staff who forget `instead:` are told which entry, on which line, needs it."""
    (tmp_path / "words-to-avoid.yaml").write_text("words:\n  en:\n    - {word: victim}\n")
    avoid, problems = load_avoid_list(tmp_path)
    assert avoid == {"en": ()}
    assert len(problems) == 1
    assert problems[0].line == 3
    assert "instead" in problems[0].message


def test_shipped_list_covers_every_language_and_the_labels_issue_6_names() -> None:
    """The shipped list has every language and the words the community asked us never to use."""
    avoid, problems = load_avoid_list(Path(__file__).resolve().parent.parent / "flows")
    assert problems == []
    english = {a.word for a in avoid["en"]}
    assert {"victim", "prostitute", "illegal", "addict", "you should leave"} <= english
    assert all(avoid[lang] for lang in ("fr", "es", "tl"))


def test_resource_summaries_are_checked_for_avoided_words() -> None:
    """A service summary that says an avoided word is named with the kinder alternative; the shipped ones are clean."""
    import dataclasses

    from bot.content.wording import check_resource_wording, load_avoid_list
    from bot.directory.resources import load_directory
    from bot.settings import ROOT

    avoid, _ = load_avoid_list(ROOT / "flows")
    directory, _ = load_directory(ROOT / "resources")
    assert check_resource_wording(directory, avoid) == []
    first = directory.resources[0]
    bad = dataclasses.replace(first, summary=(("en", "Help for trafficking victims."),))
    found = check_resource_wording(dataclasses.replace(directory, resources=(bad,)), avoid)
    assert len(found) == 1
    assert "'victims'" in str(found[0])
    assert f"resource '{first.id}'" in str(found[0])
