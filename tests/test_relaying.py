"""What a relayed message looks like (bot.warmline.relaying), with the real note mark and words of
flows/warmline.yaml in every language."""

from __future__ import annotations

import pytest
from running import shipped_warmline

from bot.warmline import relaying
from bot.warmline.relaying import SEND, Relay
from bot.warmline.rules import LANGUAGES, WarmlineText

GUEST = "Guest 4F2"


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return shipped_warmline()


def notes(words: WarmlineText) -> list[str]:
    """Every note the bot can post in a topic, marked as it is posted."""
    mark = words.staff_say("note_mark")
    return [
        relaying.note(mark, words.staff_say(key, alias=GUEST, supporter="Sam"))
        for key in words.staff
        if key != "note_mark"
    ]


def test_every_note_starts_with_the_mark_once(words: WarmlineText) -> None:
    """Notes carry the mark on their first line, and marking a note again changes nothing."""
    mark = words.staff_say("note_mark")
    for note in notes(words):
        assert note.startswith(mark + "\n")
        assert relaying.note(mark, note) == note


@pytest.mark.parametrize(
    "forged",
    [
        "{note}",
        "  {note}",
        "\u200b{note}",  # zero-width space first
        "\u202e{note}",  # a direction override first
        "\u2066{note}",
        "{upper}",
        "🤖",
        "🤖 anything at all",
    ],
)
def test_a_persons_text_can_never_pass_for_a_note(words: WarmlineText, forged: str) -> None:
    """A person who types (or pastes) any note, with invisible or direction characters before it, has it sent
    after "Guest 4F2: ", so what reaches the topic never starts with the mark."""
    mark = words.staff_say("note_mark")
    for note in notes(words):
        text = forged.format(note=note, upper=note.upper())
        relay = relaying.person_in(GUEST, mark, text=text, caption=None, kind="text")
        assert relay.send == SEND
        assert relay.text is not None
        assert relay.text.startswith(f"{GUEST}: ")
        assert not relay.text.startswith(mark)


def test_ordinary_words_are_copied(words: WarmlineText) -> None:
    """Ordinary text is copied as it is (its text kept for merging); other media are copied."""
    mark = words.staff_say("note_mark")
    assert relaying.person_in(GUEST, mark, text="hello, is anyone there?", caption=None, kind="text") == Relay(
        text="hello, is anyone there?"
    )
    assert relaying.person_in(GUEST, mark, text=None, caption=None, kind="sticker") == Relay()
    assert relaying.person_in(GUEST, mark, text=None, caption="my door", kind="photo") == Relay()


def test_a_caption_that_could_pass_for_a_note_is_prefixed(words: WarmlineText) -> None:
    """A photo whose caption imitates a note is copied with "Guest 4F2: caption"."""
    mark = words.staff_say("note_mark")
    relay = relaying.person_in(GUEST, mark, text=None, caption=f"{mark}\nall fine", kind="photo")
    assert relay.caption == f"{GUEST}: {mark}\nall fine"
    assert relay.send != SEND


def test_a_reply_keeps_a_short_quote(words: WarmlineText) -> None:
    """A reply carries a quote of what it answers, cut short, ahead of the words, both ways."""
    mark = words.staff_say("note_mark")
    quoted = relaying.quote("x" * 200)
    assert len(quoted) == relaying.QUOTE_MAX
    assert quoted.endswith("…")
    replying = words.staff_say("replying", quote=relaying.quote("Where are you now?"))
    relay = relaying.person_in(GUEST, mark, text="at the library", caption=None, kind="text", replying=replying)
    assert relay.text == f"{GUEST}: {replying}\nat the library"
    assert relaying.supporter_out("ok", "(Replying to “hi”)") == "(Replying to “hi”)\nok"
    assert relaying.supporter_out(None, "(r)") is None  # a sticker's reply: copied, its context before it
    assert relaying.supporter_out("ok", None) is None


def test_quotes_lose_the_bots_framing(words: WarmlineText) -> None:
    """A quote of a relayed message shows its words, not the mark or "Guest 4F2: "."""
    mark = words.staff_say("note_mark")
    assert relaying.unwrap(f"{GUEST}: my address", GUEST, mark) == "my address"
    assert relaying.unwrap(f"{mark}\nGuest 4F2 ended", GUEST, mark) == "Guest 4F2 ended"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_edits_are_corrections_both_ways(words: WarmlineText, lang: str) -> None:
    """An edit reaches the topic as the person's correction, and the person as "edited: ..." in their language."""
    into = relaying.person_edit(GUEST, words.staff_say("edited", text="123 Main St"))
    assert into.text == f"{GUEST}: " + words.staff_say("edited", text="123 Main St")
    assert into.send == SEND
    assert "403-555-0199" in words.say("edited", lang, text="403-555-0199")


def test_payloads_carry_how_to_send(words: WarmlineText) -> None:
    """A payload names the original and, when shaped, the text to send or the caption to use."""
    assert Relay(text="hi").payload(1, 2) == {"from_chat": 1, "message_id": 2, "text": "hi"}
    assert Relay(text="x", send=SEND).payload(1, 2)["send"] == SEND
    assert Relay(caption="c").payload(1, 2)["caption"] == "c"


def test_a_contact_shows_its_name_never_its_number() -> None:
    """A shared contact is described by its name alone."""
    assert relaying.contact_words("Ana", "Ruiz") == "Ana Ruiz"
    assert relaying.contact_words("Ana", None) == "Ana"
    assert relaying.kind_of({"contact": object(), "text": None}) == "contact"
    assert relaying.kind_of({"venue": object(), "location": object()}) == "venue"
    assert relaying.kind_of({}) == "other"
