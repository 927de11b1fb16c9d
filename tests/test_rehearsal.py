"""bot/staff/rehearsal.py: conversation files staff write, played against the real engine, failing in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content.loader import Content
from bot.staff.rehearsal import conversation_files, default_paths, read_conversation, run_file

ROOT = Path(__file__).resolve().parent.parent
GOOD = """language: en
steps:
  - send: /start
    expect: [private, POLICE]
  - tap: "Show me the options"
    expect_button: [erase this chat, Talk to a person]
  - tap: 2
    expect: "Who is the bed for"
  - send: "he is going to kil me"
    expect_action: danger
    expect: "911"
    expect_not: victim
"""


def conversation(folder: Path, text: str, name: str = "talk.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_conversation_that_goes_as_written_has_no_failures(content: Content, tmp_path: Path) -> None:
    """Sends, taps by label and by number, expectations, buttons, actions and absent words all pass."""
    assert run_file(content, conversation(tmp_path, GOOD)) == []


def test_a_failure_names_the_file_step_expectation_and_what_was_said(content: Content, tmp_path: Path) -> None:
    """A wrong expectation says which file and step, what was expected and what the bot said instead."""
    path = conversation(tmp_path, "language: en\nsteps:\n  - send: /start\n    expect: giraffe\n")
    failures = run_file(content, path, "tests/conversations/talk.yaml")
    assert len(failures) == 1
    text = str(failures[0])
    assert text.startswith('tests/conversations/talk.yaml:3: step 1 (line 3: send "/start")')
    assert 'expected the reply to contain "giraffe", but the bot said:' in text
    assert "private chat" in text
    assert "[1] Show me the options" in text


def test_tapping_a_button_that_is_not_there_lists_the_buttons_and_stops(content: Content, tmp_path: Path) -> None:
    """A tap that cannot happen lists the buttons that were there, and the steps after it are not played."""
    path = conversation(
        tmp_path, "language: en\nsteps:\n  - send: /start\n  - tap: Dance\n  - send: hello\n    expect: never checked\n"
    )
    failures = run_file(content, path)
    assert len(failures) == 1
    assert 'no button containing "Dance"' in failures[0].message
    assert "Show me the options" in failures[0].message
    assert "not played" in failures[0].message


def test_expect_not_and_expect_action_fail_plainly(content: Content, tmp_path: Path) -> None:
    """A word that must be absent, and an action that did not happen, are each one failure."""
    path = conversation(
        tmp_path,
        "language: en\nsteps:\n  - send: /start\n    expect_not: police\n"
        "    expect_action: erase\n    expect_button: Nope\n",
    )
    messages = [f.message for f in run_file(content, path)]
    assert len(messages) == 3
    assert any('NOT to contain "police"' in m for m in messages)
    assert any("expected the bot to erase" in m for m in messages)
    assert any('a button containing "Nope"' in m for m in messages)


def test_mistakes_in_the_file_are_reported_with_a_hint(tmp_path: Path) -> None:
    """An unknown key gets a did-you-mean, a step without send/tap and a missing language are named."""
    path = conversation(tmp_path, "steps:\n  - send: hi\n    expext: x\n  - expect: y\n")
    found, failures = read_conversation(path)
    assert found is None
    messages = " | ".join(f.message for f in failures)
    assert "unknown key 'expext' (did you mean 'expect'?)" in messages
    assert "step 2 needs exactly one of `send:` or `tap:`" in messages
    assert "needs `language:`" in messages


def test_a_language_the_bot_does_not_have_is_a_failure(content: Content, tmp_path: Path) -> None:
    """A file in a language missing from flows/bot.yaml fails with the languages the bot has."""
    failures = run_file(content, conversation(tmp_path, "language: xx\nsteps:\n  - send: /start\n"))
    assert "not one of the bot's languages (en, fr, es, tl)" in failures[0].message


def test_folders_give_their_yaml_files_in_order(tmp_path: Path) -> None:
    """A folder stands for every .yaml file in it, sorted; files named twice are played once."""
    b = conversation(tmp_path, GOOD, "b.yaml")
    a = conversation(tmp_path, GOOD, "a.yaml")
    (tmp_path / "notes.txt").write_text("not a conversation")
    assert conversation_files([tmp_path, a]) == [a, b]


def test_default_paths_include_staff_tests_in_flows(tmp_path: Path) -> None:
    """Conversations live in tests/conversations/ beside flows/, and staff may add flows/tests/."""
    (tmp_path / "flows" / "tests").mkdir(parents=True)
    (tmp_path / "tests" / "conversations").mkdir(parents=True)
    assert default_paths(tmp_path / "flows") == [tmp_path / "tests" / "conversations", tmp_path / "flows" / "tests"]


def test_cli_test_exits_0_when_all_pass_and_1_on_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bot test FILES` prints ok or FAIL per file and a summary, exiting 1 when any failed."""
    good = conversation(tmp_path, GOOD, "good.yaml")
    assert main(["test", str(good)]) == 0
    assert "1 conversations, 0 failed: all passed" in capsys.readouterr().out
    bad = conversation(tmp_path, "language: en\nsteps:\n  - send: /start\n    expect: giraffe\n", "bad.yaml")
    assert main(["test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert str(bad.name) in out
    assert "2 conversations, 1 failed" in out
