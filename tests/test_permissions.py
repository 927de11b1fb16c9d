"""Who may do what on the warm line (bot.warmline.permissions)."""

from __future__ import annotations

import pytest

from bot.warmline import permissions as allow
from bot.warmline.permissions import Holding

SAM, RIO, GROUP, OTHER, CARD = 501, 502, -100500, -100600, 7
TAKEN = Holding("taken", SAM, GROUP, CARD)


@pytest.mark.parametrize(
    ("holding", "user", "admin", "expected"),
    [
        (TAKEN, SAM, False, True),
        (TAKEN, RIO, False, False),
        (TAKEN, RIO, True, True),
        (Holding("queued", None, GROUP, CARD), SAM, False, False),
        (Holding("queued", None, GROUP, CARD), SAM, True, True),
    ],
)
def test_only_the_holder_or_an_admin_manages(holding: Holding, user: int, admin: bool, expected: bool) -> None:
    """End, release and mute belong to the supporter holding the conversation, or a group admin."""
    assert allow.may_manage(holding, user, admin=admin) is expected
    assert allow.needs_admin(holding, user) is (holding.holder != user)


def test_a_left_message_may_be_ended_by_anyone() -> None:
    """A message left out of hours has no holder: anyone who answers it may end it."""
    assert allow.may_end_left(Holding("left", None, GROUP, CARD))
    assert not allow.may_end_left(TAKEN)


@pytest.mark.parametrize(
    ("holding", "verb", "chat", "message", "expected"),
    [
        (Holding("queued", None, GROUP, CARD), "take", GROUP, CARD, True),
        (Holding("queued", None, GROUP, CARD), "take", OTHER, CARD, False),  # another group's handoff
        (Holding("queued", None, GROUP, CARD), "take", GROUP, CARD + 1, False),  # crafted data on another card
        (Holding("queued", None, None, None), "take", GROUP, CARD, False),
        (TAKEN, "take", GROUP, CARD, False),
        (TAKEN, "release", GROUP, CARD, True),
        (TAKEN, "close", GROUP, CARD, True),
        (Holding("queued", None, GROUP, CARD), "release", GROUP, CARD, False),
        (TAKEN, "delete", GROUP, CARD, False),
    ],
)
def test_a_card_button_counts_only_on_its_own_card(
    holding: Holding, verb: str, chat: int, message: int, expected: bool
) -> None:
    """Take counts only on the conversation's own card in its own group while queued; Release/End while taken."""
    assert allow.card_button_counts(holding, verb, chat, message) is expected


@pytest.mark.parametrize(
    ("verb", "status", "expected"),
    [
        ("cancel", "queued", "ok"),
        ("cancel", "taken", "stale"),  # a Cancel left from the wait never ends the conversation
        ("cancel", None, "earlier"),
        ("end", "taken", "ok"),
        ("end", None, "earlier"),
        ("end", "left", "stale"),
        ("wait", None, "earlier"),
        ("lines", None, "ok"),
    ],
)
def test_old_person_buttons_answer_truthfully(verb: str, status: str | None, expected: str) -> None:
    """A button from an earlier conversation, or one that no longer fits, is named so and does nothing."""
    assert allow.person_button(verb, status) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("work", "work"), ("talk", "talk"), ("", "talk"), ("Calgary Police Service is here", "talk"), ("x" * 30, "talk")],
)
def test_a_topic_from_a_button_is_a_short_word(value: str, expected: str) -> None:
    """A topic named in callback data is a short plain word, never free text for a topic's name."""
    assert allow.safe_topic(value) == expected
    assert allow.safe_topic("work", known=("talk",)) == "talk"


def test_only_the_bots_commands_are_commands() -> None:
    """A supporter's "/shrug" is words for the person; "/end" is a command."""
    assert allow.is_bot_command("end", {"end", "mute"})
    assert not allow.is_bot_command("shrug", {"end", "mute"})
    assert not allow.is_bot_command("", {"end"})


@pytest.mark.parametrize(
    ("status", "handoff", "offered_for", "expected"),
    [("queued", 3, None, True), ("taken", 3, 3, True), ("taken", 3, None, False), ("taken", 3, 2, False)],
)
def test_leave_a_message_ends_only_what_it_was_offered_for(
    status: str, handoff: int, offered_for: int | None, expected: bool
) -> None:
    """The silence offer's "leave a message" ends that conversation; an older offer ends no live one."""
    assert allow.leave_closes(status, handoff, offered_for) is expected


@pytest.mark.parametrize(("thread", "expected"), [(100, True), (101, False), (None, False)])
def test_a_card_not_yet_recorded_counts_only_in_its_own_topic(thread: int | None, expected: bool) -> None:
    """Just after the card is posted (its id not yet recorded) a tap counts only inside the conversation's topic."""
    holding = Holding("queued", None, GROUP, None, 100)
    assert allow.card_button_counts(holding, "take", GROUP, 55, thread) is expected
    assert not allow.card_button_counts(holding, "take", OTHER, 55, 100)
