"""bot.warmline.leaving: when a person has finished a message left in parts, and how the parts become posts."""

from __future__ import annotations

import pytest
from running import FLOWS

from bot.warmline.leaving import QUIET_SECONDS, Part, is_done, posts, quiet
from bot.warmline.rules import LANGUAGES, TEXT_MAX, load_warmline

TEXT, _ = load_warmline(FLOWS / "warmline.yaml")
assert TEXT is not None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_languages_done_words_say_done_whatever_the_case_or_punctuation(lang: str) -> None:
    """Every one of the language's done words, alone, in capitals or with a full stop, says the message is done."""
    assert TEXT is not None
    words = [w.strip() for w in TEXT.say("done_words", lang).split(",") if w.strip()]
    assert words
    for word in words:
        assert is_done(word, TEXT.say("done_words", lang))
        assert is_done(f"{word.upper()}!", TEXT.say("done_words", lang))


@pytest.mark.parametrize("text", ["I am done with my boss", "not done", "", "   ", "donee"])
def test_words_that_only_contain_a_done_word_are_part_of_the_message(text: str) -> None:
    """A sentence that merely contains "done" is a part of the message, not the end of it."""
    assert TEXT is not None
    assert not is_done(text, TEXT.say("done_words", "en"))


def test_a_quiet_minute_is_counted_from_the_last_part() -> None:
    """The message goes as it is only once QUIET_SECONDS have passed since the last part (none: never)."""
    assert not quiet(None, 10_000)
    assert not quiet(1_000, 1_000 + QUIET_SECONDS - 1)
    assert quiet(1_000, 1_000 + QUIET_SECONDS)


def test_texts_are_joined_in_order_and_the_rest_is_copied_after() -> None:
    """Texts become one post, in order, wherever a photo came between them; the photo's row is copied."""
    parts = [Part(1, "first"), Part(2, None), Part(3, "third")]
    assert posts(parts) == (("first\n\nthird",), (2,))


def test_long_parts_are_cut_into_posts_telegram_takes() -> None:
    """No post is longer than Telegram allows: a long part is cut, and joining stops where the limit is."""
    texts, media = posts([Part(1, "a" * (TEXT_MAX + 10)), Part(2, "b" * 100)])
    assert media == ()
    assert all(len(t) <= TEXT_MAX for t in texts)
    assert "".join(t.replace("\n\n", "") for t in texts) == "a" * (TEXT_MAX + 10) + "b" * 100
