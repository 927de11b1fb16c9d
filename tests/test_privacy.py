"""bot.conversation.privacy, the pure parts: the /privacy words and what they say, quiet-erase choices, retention, and
"can't talk now"; plus the store methods they rely on, on a real SQLite file."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.content.loader import Content
from bot.content.privacywords import TEXT_KEYS, WORDS_FILE, PrivacyWords, load_privacy_words
from bot.conversation.engine import advance
from bot.conversation.privacy import (
    MESSAGE_ID_HOURS,
    QUIET_CHOICES,
    brief_reply,
    delete_topics,
    duration,
    kept_text,
    privacy_screen,
    quiet_choice,
    quiet_confirmation,
    quiet_data,
    wants_brief,
)
from bot.core.languages import read_languages
from bot.core.types import Button, Event, Reply, Session
from bot.runtime.forget import WarmLineHooks, purge_expired
from bot.settings import Settings
from bot.store.database import DB_FILE, Store

FLOWS = Settings().flows_dir
LANGUAGES = read_languages(FLOWS)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
USER_ID = 7012345678


@pytest.fixture(scope="module")
def words() -> PrivacyWords:
    loaded, problems = load_privacy_words(FLOWS)
    assert loaded is not None, [str(p) for p in problems]
    return loaded


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path) as opened:
        yield opened


# -- the words file -------------------------------------------------------------------------------------------


def test_the_shipped_words_load_without_problems() -> None:
    """flows/privacy-text.yaml has every text in en, fr, es and tl, with only the blanks each may use."""
    loaded, problems = load_privacy_words(FLOWS)
    assert loaded is not None
    assert [str(p) for p in problems] == []
    assert set(loaded.texts) == set(TEXT_KEYS)


def write_words(folder: Path, body: str) -> None:
    (folder / WORDS_FILE).write_text(textwrap.dedent(body), encoding="utf-8")


def shipped_with(folder: Path, old: str, new: str) -> None:
    text = (FLOWS / WORDS_FILE).read_text(encoding="utf-8")
    assert old in text
    (folder / WORDS_FILE).write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_missing_translation_is_named_with_file_line_and_language(tmp_path: Path) -> None:
    """A text without one of its languages is an error at that text's line, naming the language."""
    shipped_with(tmp_path, '    tl: "Ang itinatago ng bot na ito tungkol sa iyo, at gaano katagal:"\n', "")
    loaded, problems = load_privacy_words(tmp_path)
    assert loaded is None
    assert [p.message for p in problems] == ["has no 'tl' text: add `tl: ...`"]
    assert problems[0].line == 8
    assert str(problems[0]).endswith(":8:3: text 'title': has no 'tl' text: add `tl: ...`")


def test_a_wrong_blank_is_an_error_naming_the_blanks_allowed(tmp_path: Path) -> None:
    """A {blank} the code does not fill would show raw to a person, so it is refused with what is allowed."""
    shipped_with(tmp_path, "delete them after {days} with no", "delete them after {weeks} with no")
    loaded, problems = load_privacy_words(tmp_path)
    assert loaded is None
    assert [p.message for p in problems] == ["uses {weeks}, but this text may use only {days}"]
    assert problems[0].node == "session"


def test_an_unknown_text_is_a_warning_and_broken_yaml_an_error(tmp_path: Path) -> None:
    """An extra text only warns; a file that is not YAML, or has no texts, cannot be used."""
    shipped_with(tmp_path, "texts:\n", "texts:\n  greeting: {en: hi}\n")
    loaded, problems = load_privacy_words(tmp_path)
    assert loaded is not None
    assert [(p.severity, p.node) for p in problems] == [("warning", "greeting")]
    write_words(tmp_path, "texts: [unclosed\n")
    assert load_privacy_words(tmp_path)[0] is None
    write_words(tmp_path, "brief_words: {}\n")
    loaded, problems = load_privacy_words(tmp_path)
    assert loaded is None
    assert "needs a `texts:` mapping" in problems[0].message


# -- what is kept ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_what_is_kept_comes_from_the_real_settings(words: PrivacyWords, lang: str) -> None:
    """The retention periods shown are the settings' own, written out in the person's language."""
    settings = Settings(session_days=12, handoff_days=3, warmline_chat_ids=(-100123,))
    text = kept_text(words, settings, lang)
    assert duration(words, lang, days=12) in text
    assert duration(words, lang, days=3) in text
    assert duration(words, lang, hours=MESSAGE_ID_HOURS) in text
    assert "{" not in text
    assert words.text("words", lang) in text
    assert words.text("counts", lang) in text


def test_one_day_is_singular_and_handoffs_are_mentioned_only_with_a_warm_line(words: PrivacyWords) -> None:
    """ "1 day", not "1 days"; without WARMLINE_CHAT_ID nothing is said about handoff records."""
    without = kept_text(words, Settings(session_days=1), "en")
    assert "after 1 day with no" in without
    assert "peer supporter" not in without
    with_line = kept_text(words, Settings(session_days=1, handoff_days=1, warmline_chat_ids=(-1,)), "en")
    assert "delete it 1 day after your last talk ends" in with_line  # the supporters' group's copy (issue 13)


def test_the_privacy_screen_offers_the_other_choices_and_a_way_off(words: PrivacyWords) -> None:
    """Off: every choice; on (6 h): the state, the other choices and "don't erase"; all data fits Telegram."""
    off = privacy_screen(words, Settings(), "en", None)
    assert off.text.endswith(words.text("quiet_off", "en"))
    assert [b.data for row in off.buttons for b in row] == [quiet_data(h) for h in QUIET_CHOICES]
    on = privacy_screen(words, Settings(), "fr", 6)
    assert "6 heures" in on.text
    data = [b.data for row in on.buttons for b in row]
    assert data == [quiet_data(1), quiet_data(24), quiet_data(0)]
    assert all(len(d.encode()) <= 64 for d in data)
    assert "/forget" in on.text


@pytest.mark.parametrize("hours", [*QUIET_CHOICES, 0])
def test_quiet_choices_round_trip(words: PrivacyWords, hours: int) -> None:
    """Each button's data reads back as its hours, and its confirmation names them (or says off)."""
    assert quiet_choice(quiet_data(hours)) == hours
    said = quiet_confirmation(words, "en", hours)
    assert (duration(words, "en", hours=hours) in said) if hours else said == words.text("quiet_cleared", "en")


@pytest.mark.parametrize("data", ["pv|q|5", "pv|q|x", "pv|z|1", "abc123|main.menu|0", "m", ""])
def test_other_callback_data_is_not_a_quiet_choice(data: str) -> None:
    """Only the offered hours are accepted; the engine's own data is left alone."""
    assert quiet_choice(data) is None


# -- retention ------------------------------------------------------------------------------------------------


async def test_purge_expired_keeps_only_what_is_within_its_time(store: Store) -> None:
    """Idle sessions, old message and relayed update ids, orphaned quiet-erase choices and the warm line's
    closed handoffs go; counts and recent data stay; the total is returned."""
    old, fresh = store.person_key(1), store.person_key(2)
    await store.save_turn(old, {"node": "main.menu"}, now=NOW - timedelta(days=31))
    await store.save_turn(fresh, {"node": "main.menu"}, now=NOW - timedelta(days=29))
    await store.set_quiet_erase(old, 6)
    await store.set_quiet_erase(fresh, 1)
    await store.remember_sent(fresh, 10, NOW - timedelta(hours=49))
    await store.remember_sent(fresh, 11, NOW - timedelta(hours=1))
    await store.count("door:work", now=NOW - timedelta(days=400))
    relayed = await store.relay_add(1, fresh, "in", {"text": "x"}, update_id=99, now=NOW - timedelta(days=3))
    await store.relay_done(relayed or 0)  # delivered; its update id is kept to refuse a redelivery, for 2 days
    calls: list[tuple[datetime, int]] = []

    async def purge_closed(now: datetime, days: int) -> int:
        calls.append((now, days))
        return 5

    settings = Settings(session_days=30, handoff_days=7)
    gone = await purge_expired(store, settings, NOW, WarmLineHooks(purge_closed=purge_closed))
    assert gone == 1 + 1 + 1 + 1 + 5  # old session, message 10, old's quiet erase, update 99, the warm line's
    assert calls == [(NOW, 7)]
    assert await store.load_session(old) is None
    assert await store.load_session(fresh) is not None
    assert await store.quiet_erase() == [(fresh, 1)]
    assert await store.sent_messages(fresh, NOW - timedelta(days=9)) == [11]
    assert await store.counts() == [((NOW - timedelta(days=400)).date().isoformat(), "door:work", 1)]


@pytest.mark.parametrize(
    ("environ", "deletes"),
    [
        ({}, True),
        ({"WARMLINE_DELETE_TOPICS": "1"}, True),  # obsolete: deleting is the default now
        ({"WARMLINE_DELETE_TOPICS": "0"}, True),
        ({"WARMLINE_KEEP_TOPICS": "1"}, False),
        ({"WARMLINE_KEEP_TOPICS": "yes", "WARMLINE_DELETE_TOPICS": "1"}, False),
        ({"WARMLINE_KEEP_TOPICS": "0"}, True),
    ],
)
def test_topics_are_deleted_unless_staff_keep_them(environ: dict[str, str], deletes: bool) -> None:
    """Topics are deleted from the group by default; WARMLINE_KEEP_TOPICS=1 keeps them; WARMLINE_DELETE_TOPICS
    is accepted and changes nothing."""
    assert delete_topics(Settings.from_environ(environ, dotenv=Path("/nonexistent"))) is deletes


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_says_where_a_talk_is_kept_as_the_settings_decide(words: PrivacyWords, lang: str) -> None:
    """With a warm line, /privacy names the supporters' group's copy: deleted after the retention days by
    default, kept (and not removed by /forget) when staff keep topics."""
    deleted = kept_text(words, Settings(handoff_days=5, warmline_chat_ids=(-1,)), lang)
    assert words.text("group", lang, days=duration(words, lang, days=5)) in deleted
    assert words.text("group_kept", lang) not in deleted
    kept = kept_text(words, Settings(handoff_days=5, warmline_chat_ids=(-1,), keep_topics=True), lang)
    assert words.text("group_kept", lang) in kept
    assert words.text("handoff_kept", lang) in kept
    assert "/forget" in words.text("group_kept", lang)


async def test_purge_expired_works_without_a_warm_line(store: Store) -> None:
    """With no hooks registered the store's own purge still runs."""
    await store.save_turn(store.person_key(1), {}, now=NOW - timedelta(days=40))
    assert await purge_expired(store, Settings(), NOW) == 1


# -- store methods for quiet erase and the vanishing line ---------------------------------------------------


async def test_quiet_erase_choices_and_old_message_ids(store: Store) -> None:
    """A choice is set, changed and cleared; ids between two moments are found and can be forgotten; forget()
    removes the choice too."""
    person = store.person_key(USER_ID)
    await store.set_quiet_erase(person, 6)
    await store.set_quiet_erase(person, 24)
    assert await store.quiet_erase(person) == [(person, 24)]
    for message_id, hours_ago in ((1, 50), (2, 30), (3, 7), (4, 1)):
        await store.remember_sent(person, message_id, NOW - timedelta(hours=hours_ago))
    assert await store.sent_messages_before(person, NOW - timedelta(hours=48), NOW - timedelta(hours=6)) == [2, 3]
    assert await store.forget_sent(person, [2, 3]) == 2
    assert await store.sent_messages(person, NOW - timedelta(days=9)) == [1, 4]
    await store.set_quiet_erase(person, None)
    assert await store.quiet_erase() == []
    await store.set_quiet_erase(person, 1)
    await store.forget(person)
    assert await store.quiet_erase() == []


def disk_bytes(folder: Path) -> bytes:
    """The database file and its -wal, as bytes."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob(f"{DB_FILE}*")))


async def test_pending_deletes_keep_the_chat_id_encrypted(store: Store, tmp_path: Path) -> None:
    """A vanishing line's record holds its chat id encrypted, reads back whole, and goes when dropped."""
    row = await store.add_pending_delete(USER_ID, 42, NOW + timedelta(seconds=60))
    assert await store.pending_deletes() == [(row, str(USER_ID), 42, NOW + timedelta(seconds=60))]
    on_disk = disk_bytes(tmp_path)
    assert str(USER_ID).encode() not in on_disk
    assert USER_ID.to_bytes(8, "big") not in on_disk
    await store.drop_pending_delete(row)
    assert await store.pending_deletes() == []


# -- "can't talk now" ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("can't talk now", "en"),
        ("Cant talk", "en"),
        ("sorry I can’t talk", "en"),
        ("Je ne peux pas parler", "fr"),
        ("no puedo hablar ahora", "es"),
        ("hindi ako makapagsalita", "tl"),
        ("can't talk", "fr"),  # English is heard in every language, as with danger words
    ],
)
def test_cant_talk_now_is_heard_in_a_short_message(words: PrivacyWords, text: str, lang: str) -> None:
    """A short message saying "I can't talk now", in the person's language or English, asks for brief mode."""
    assert wants_brief(words, text, lang)


@pytest.mark.parametrize(
    "text",
    [
        "I can't talk to my boss about the money he owes me since March",  # a request, to be searched
        "talk",
        "I need a place to sleep",
        "",
        "!!!",
    ],
)
def test_other_messages_do_not_switch_to_brief(words: PrivacyWords, text: str) -> None:
    """A long message that merely contains the phrase, or anything else, is read as usual."""
    assert not wants_brief(words, text, "en")


def test_a_brief_screen_is_one_sentence_with_yes_no_choices(words: PrivacyWords) -> None:
    """A yes/no question keeps its first sentence and shows just "Yes" / "No"; links and long labels go."""
    reply = Reply(
        "Erase this chat? I will delete our messages from your phone (those from the last 48 hours).",
        (
            (Button("Yes, erase it", "v|privacy.forget|0"),),
            (Button("No, keep it", "v|privacy.forget|1"),),
            (Button("↩ Menu", "m"), Button("211 website", "https://ab.211.ca", url="https://ab.211.ca")),
        ),
    )
    short = brief_reply(reply, words, "en")
    assert short.text == "Erase this chat?"
    assert [[(b.label, b.data) for b in row] for row in short.buttons] == [
        [("Yes", "v|privacy.forget|0")],
        [("No", "v|privacy.forget|1")],
        [("↩ Menu", "m")],
    ]
    french = brief_reply(
        Reply("Effacer? Oui.", ((Button("Oui, tout effacer", "a"),), (Button("Non", "b"),))), words, "fr"
    )
    assert [row[0].label for row in french.buttons] == ["Oui", "Non"]


def test_a_brief_screen_shortens_text_and_labels_but_keeps_every_choice(words: PrivacyWords) -> None:
    """Without a yes/no question, each option stays (same data) with a label of a few words."""
    long = "What is going on at work right now, and what would help you most today " * 3
    reply = Reply(long, ((Button("My boss keeps my passport and my papers", "a"),), (Button("Not paid", "b"),)))
    short = brief_reply(reply, words, "en")
    assert len(short.text) <= 91
    assert short.text.endswith("…")
    assert [(row[0].label, row[0].data) for row in short.buttons] == [("My boss keeps…", "a"), ("Not paid", "b")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_consent_and_forget_screens_say_what_happens_to_the_groups_copy(content: Content, lang: str) -> None:
    """The engine fills {topics_kept} (consent before connecting) and {topics_forget} (/forget's question) from
    Event.topics: the retention days, or that the team keeps its copy; nothing when the channel does not say."""
    assert content.privacy is not None
    talk = content.flows.entry("talk")
    forget = content.flows.entry("forget")
    days = duration(content.privacy, lang, days=5)

    def screen(node: str, topics: str) -> str:
        session = Session(language=lang, node="main.menu", version=content.version)
        command = "talk" if node == talk else "forget"
        return advance(content, session, Event("command", text=command, topics=topics), NOW).replies[0].text

    assert content.text("topics_kept_deleted", lang).format(days=days) in screen(talk, "5")
    assert content.text("topics_kept_kept", lang) in screen(talk, "keep")
    assert content.text("topics_forget_deleted", lang) in screen(forget, "5")
    assert content.text("topics_forget_kept", lang) in screen(forget, "keep")
    for node in (talk, forget):
        silent = screen(node, "")
        assert "{" not in silent
        assert " \n" not in silent
        assert not silent.endswith(" ")
