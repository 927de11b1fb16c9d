"""The crisis model learned from staff's examples (bot/conversation/learned.py, flows/crisis-examples.yaml): what it
hears, what it leaves to the phrases, and how `check` reads the examples file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.content.loader import Content, load_content
from bot.conversation.learned import MIN_WORDS, Example, learn
from bot.conversation.safety import hear

ROOT = Path(__file__).resolve().parent.parent
TOY = (
    Example("i swallowed a whole bottle of sleeping pills", "en", "suicide_now"),
    Example("i want to end my life tonight", "en", "suicide"),
    Example("nobody would notice if i was gone for good", "en", "suicide"),
    Example("he has a gun and says he will shoot me", "en", "danger"),
    Example("my pimp is coming for me tonight with his friends", "en", "danger"),
    Example("where can i get a bed tonight", "en", "calm"),
    Example("free food bank near downtown", "en", "calm"),
    Example("my boss owes me two weeks of wages", "en", "calm"),
    Example("this heat is killing me lol", "en", "calm"),
)


def test_a_new_wording_of_an_example_is_heard_as_its_kind_and_named_by_the_nearest() -> None:
    """A message close to a suicide example ("swallowed the whole bottle of pills") is heard as suicide happening
    now, and the example it is nearest to is named for staff."""
    model = learn(TOY, threshold=0.5)
    guess = model.guess("just swallowed the whole bottle of my pills")
    assert guess is not None
    assert (guess.kind, guess.now) == ("suicide", True)
    assert guess.nearest == "i swallowed a whole bottle of sleeping pills"
    danger = model.guess("he says he will shoot me, he has a gun")
    assert danger is not None
    assert danger.kind == "danger"


def test_an_ordinary_request_stays_calm() -> None:
    """A request like the calm examples raises no alarm."""
    assert learn(TOY, threshold=0.5).guess("where is a food bank near downtown") is None


def test_short_messages_are_left_to_the_phrases() -> None:
    """Fewer than MIN_WORDS words are never guessed at: one or two words share letters with too much."""
    model = learn(TOY, threshold=0.5)
    assert model.guess(" ".join(["pills"] * (MIN_WORDS - 1))) is None


def test_nothing_is_learned_without_both_a_crisis_and_a_calm_example() -> None:
    """With only calm examples there is no model, and nothing alarms."""
    calm = tuple(e for e in TOY if e.kind == "calm")
    assert learn(calm).guess("i swallowed a whole bottle of sleeping pills") is None


def test_the_shipped_model_hears_held_out_phrases_no_phrase_covers(content: Content) -> None:
    """Of the held-out crisis phrases (tests/crisis_phrases.yaml, never taught), at least ten are heard by the
    model alone, no phrase or net covering them, and nearly all of those as their own kind."""
    held = yaml.safe_load((ROOT / "tests" / "crisis_phrases.yaml").read_text(encoding="utf-8"))["phrases"]
    alone = [
        (p["kind"], heard.kind)
        for p in held
        if p["kind"] != "calm" and content.danger.hear_phrases(p["text"]) is None
        for heard in [hear(content.danger, p["text"])]
        if heard is not None and heard.learned
    ]
    assert len(alone) >= 10, alone
    assert sum(want == got for want, got in alone) >= 0.9 * len(alone), alone


def copy_project(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    return tmp_path / "flows", tmp_path / "resources"


def test_a_mislabelled_example_is_a_warning_at_its_line(tmp_path: Path) -> None:
    """An example the bot hears otherwise than labelled ("i want to kill myself" as calm) is named with its
    file:line and the fix, and the bot still loads."""
    flows, resources = copy_project(tmp_path)
    path = flows / "crisis-examples.yaml"
    text = path.read_text(encoding="utf-8") + '  - {text: "i want to kill myself", lang: en, kind: calm}\n'
    path.write_text(text, encoding="utf-8")
    content, problems = load_content(flows, resources)
    assert content is not None
    line = len(text.splitlines())
    found = [p for p in problems if p.path.endswith("crisis-examples.yaml") and p.line == line]
    assert found
    assert "labelled calm but is heard as suicide" in found[0].message
    assert "danger-words.yaml" in found[0].message


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('  - {text: "hi", lang: en, kind: sad}\n', "kind"),
        ('  - {text: "hola", lang: pt, kind: calm}\n', "not a language of flows/bot.yaml"),
    ],
)
def test_a_broken_example_is_an_error_at_its_line(tmp_path: Path, line: str, says: str) -> None:
    """A kind that does not exist or a language the flows lack stops the load, at the example's line."""
    flows, resources = copy_project(tmp_path)
    path = flows / "crisis-examples.yaml"
    text = path.read_text(encoding="utf-8") + line
    path.write_text(text, encoding="utf-8")
    content, problems = load_content(flows, resources)
    assert content is None
    errors = [p for p in problems if p.severity == "error" and p.path.endswith("crisis-examples.yaml")]
    assert errors
    assert errors[0].line == len(text.splitlines())
    assert says in errors[0].message
