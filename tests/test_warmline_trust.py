"""What each side of the warm line sees is true, and who may do what: the real Application against the stand-in
Bot API server, with people in private chats and supporters in a forum group (issue 13, items 3 and 5).

Helpers (people, asking, cards, waiting for texts) are tests/test_warmline.py's; every test checks anonymity
over every call (assert_anonymous) as those do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiServer
from botapi import messages as more
from running import FRIDAY_AFTERNOON, shipped_warmline, ticking_from
from test_warmline import (
    FAST,
    FLOWS,
    GROUP,
    GROUP2,
    RESOURCES,
    RIO,
    SAM,
    Bot,
    admins,
    always_open,
    ask,
    assert_anonymous,
    buttons,
    card_for,
    copies_to,
    counted,
    on_duty,
    person,
    taken,
    talk,
    texts,
    wait_text,
)

from bot.channels.telegram.edge import Edge
from bot.channels.telegram.serving import serve
from bot.channels.telegram.warmline import Warmline
from bot.content.loader import Content
from bot.settings import Settings
from bot.store.database import Store
from bot.warmline import aliases
from bot.warmline.rules import WarmlineText

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture(scope="module")
def words() -> WarmlineText:
    return shipped_warmline()


async def start(
    server: BotApiServer, tmp_path: Path, content: Content, text: WarmlineText, *, groups: tuple[int, ...] = (GROUP,)
) -> Bot:
    """The bot with the warm line, its clock started on a Friday afternoon."""
    settings = Settings(
        token=server.token,
        base_url=server.base_url,
        data_dir=tmp_path / "data",
        rate_limit=0,
        flows_dir=FLOWS,
        resources_dir=RESOURCES,
        warmline_chat_ids=groups,
    )
    warm = Warmline(text, per_minute=0, tick=0)
    edge = Edge(settings, content, warm, policy=FAST, clock=ticking_from(FRIDAY_AFTERNOON))
    stop = asyncio.Event()
    before = len(server.calls_to("setMyCommands"))
    task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, read_timeout=2.0, edge=edge))
    await server.wait_for_call("setMyCommands", before + 1 + len(content.languages))
    return Bot(server, edge, warm, task, stop)


@pytest.fixture
async def bot(botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText) -> AsyncIterator[Bot]:
    running = await start(botapi, tmp_path, content, always_open(words))
    yield running
    await running.halt()
    assert_anonymous(botapi)


def mark(words: WarmlineText) -> str:
    return words.staff_say("note_mark")


def into_topic(server: BotApiServer, thread: int = 100) -> list[dict[str, Any]]:
    """What the bot sent into a topic (sendMessage and copyMessage), in order."""
    return [
        c.params
        for c in server.calls
        if c.status == 200
        and c.method in ("sendMessage", "copyMessage")
        and c.params.get("chat_id") == GROUP
        and c.params.get("message_thread_id") == thread
    ]


def sent_to(server: BotApiServer, chat: int) -> list[str]:
    """The texts the bot sent a person with sendMessage, in order."""
    return [c.params["text"] for c in server.calls_to("sendMessage") if c.params["chat_id"] == chat]


def take_card(server: BotApiServer, thread: int = 100) -> dict[str, Any] | None:
    """The latest card in a topic that still offers Take (a topic may hold older cards, or a wrap-up)."""
    found = [
        m
        for m in server.messages(GROUP)
        if m.get("message_thread_id") == thread and any(d.startswith("w|take|") for _, d in buttons(m))
    ]
    return found[-1] if found else None


def leave_offer(server: BotApiServer, chat: int) -> dict[str, Any] | None:
    """The warm line's offer to leave a message (nobody on duty, out of hours), once it is shown."""
    return next((m for m in server.messages(chat) if any(d.startswith("w|leave|") for _, d in buttons(m))), None)


async def answered(server: BotApiServer, text: str) -> None:
    await server.wait_for(lambda: any(c.params.get("text") == text for c in server.calls_to("answerCallbackQuery")))


# -- 3. what each side sees is true -----------------------------------------------------------------------------


async def test_the_place_in_line_is_cleared_on_take_and_a_stale_cancel_ends_nothing(
    bot: Bot, words: WarmlineText
) -> None:
    """After Take the "number 1 in line" message says the wait is over and loses Cancel; a Cancel tapped from it
    anyway says it is out of date and the conversation goes on."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    waiting = await ask(server, alice, words)
    cancel = buttons(waiting)[0][1]
    card = card_for(server, 100)
    server.group(GROUP).tap(buttons(card)[0][1], card["message_id"], from_user=SAM)
    await wait_text(server, alice.id, "is here with you")
    shown = server.message(alice.id, waiting["message_id"]) or {}
    assert shown["text"] == words.say("waiting_taken", "en")
    assert not buttons(shown)
    alice.tap(cancel, waiting["message_id"])
    await wait_text(server, alice.id, words.say("stale", "en"))
    alice.tap("w|leave|talk")  # "leave a message" from an old long-wait offer
    await server.wait_for(lambda: texts(server, alice.id).count(words.say("stale", "en")) == 2)
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["taken"]
    alice.send("still here")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)


async def test_cancel_clears_the_message_and_everyone_behind_moves_up_at_once(bot: Bot, words: WarmlineText) -> None:
    """Cancel leaves a final line without buttons, and the person behind sees number 1 straight away (no tick)."""
    server = bot.server
    await on_duty(server, SAM)
    alice, bern = person(server, 1001), person(server, 1002)
    first = await ask(server, alice, words)
    second = await ask(server, bern, words)
    assert "number 2" in second["text"]
    assert "number 1" in (server.message(alice.id, first["message_id"]) or {})["text"]
    alice.tap(buttons(first)[0][1], first["message_id"])
    await wait_text(server, alice.id, words.say("cancelled", "en"))
    await server.wait_for(lambda: "number 1" in (server.message(bern.id, second["message_id"]) or {})["text"])
    cleared = server.message(alice.id, first["message_id"]) or {}
    assert cleared["text"] == words.say("waiting_closed", "en")
    assert not buttons(cleared)
    assert len([t for t in texts(server, bern.id) if "in line" in t]) == 1  # one message, edited


async def test_buttons_from_an_earlier_conversation_never_touch_the_live_one(bot: Bot, words: WarmlineText) -> None:
    """The End button of a conversation that is over says so; the person's new conversation goes on."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    connected = next(m for m in server.messages(alice.id) if "is here with you" in m.get("text", ""))
    old_end = buttons(connected)[0][1]
    server.group(GROUP).send("/end", from_user=SAM, thread_id=100)
    await wait_text(server, alice.id, words.say("helped", "en"))
    await ask(server, alice, words)  # the same topic again (one person, one topic), with a new card
    await server.wait_for(lambda: take_card(server) is not None)
    card = take_card(server)
    assert card is not None
    server.group(GROUP).tap(next(d for _, d in buttons(card) if "take" in d), card["message_id"], from_user=SAM)
    await server.wait_for(lambda: len([t for t in texts(server, alice.id) if "is here with you" in t]) == 2)
    alice.tap(old_end, connected["message_id"])
    await wait_text(server, alice.id, words.say("earlier", "en"))
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["taken"]


async def test_a_restart_keeps_one_place_in_line_message(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """After a restart the waiting person's one message is brought up to date in place, never sent again."""
    running = await start(botapi, tmp_path, content, always_open(words))
    await on_duty(botapi, SAM)
    alice = person(botapi, 1001)
    waiting = await ask(botapi, alice, words)
    await running.halt()
    edits = len(botapi.calls_to("editMessageText"))
    running = await start(botapi, tmp_path, content, always_open(words))
    try:
        await botapi.wait_for(lambda: len(botapi.calls_to("editMessageText")) > edits)
        edit = botapi.calls_to("editMessageText")[-1].params
        assert (edit["chat_id"], edit["message_id"]) == (alice.id, waiting["message_id"])
        assert len([t for t in sent_to(botapi, alice.id) if "in line" in t]) == 1
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_edits_travel_both_ways_as_corrections(bot: Bot, words: WarmlineText) -> None:
    """A person's edited message reaches the topic as "Guest ...: edited: ..."; the holder's edit reaches the
    person as "edited: ..."; another supporter's edit reaches nobody."""
    server = bot.server
    await on_duty(server, SAM, RIO)
    alice = person(server, 1001, "es")
    await taken(server, alice, words)
    group = server.group(GROUP)
    said = alice.send("estoy en 12 Main St")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    more.edit(alice, said["message_id"], "estoy en 14 Main St")
    await server.wait_for(lambda: any("14 Main St" in p.get("text", "") for p in into_topic(server)))
    fixed = next(p["text"] for p in into_topic(server) if "14 Main St" in p.get("text", ""))
    assert fixed.startswith("Guest ")
    assert fixed.endswith(words.staff_say("edited", text="estoy en 14 Main St"))
    written = group.send("Call 403-555-0100", from_user=SAM, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 1)
    more.edit(group, written["message_id"], "Call 403-555-0199", from_user=SAM, thread_id=100)
    await wait_text(server, alice.id, words.say("edited", "es", text="Call 403-555-0199"))
    command = group.send("/mute 5", from_user=SAM, thread_id=100)
    more.edit(group, command["message_id"], "/mute 10", from_user=SAM, thread_id=100)  # a command, not words
    other = group.send("a note among us", from_user=RIO, thread_id=100)
    more.edit(group, other["message_id"], "a note among us, edited", from_user=RIO, thread_id=100)
    await asyncio.sleep(0.4)
    assert not [t for t in sent_to(server, alice.id) if "among us" in t or "/mute" in t]


async def test_replies_keep_a_short_quote_of_what_they_answer(bot: Bot, words: WarmlineText) -> None:
    """A supporter's reply reaches the person with a quote of the message it answers, and the person's reply
    reaches the topic with a quote of the supporter's words."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    group = server.group(GROUP)
    alice.send("I am at the library on 7th")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    relayed = [m for m in server.messages(GROUP) if m.get("text") == "I am at the library on 7th"][-1]
    more.reply(group, "Stay there, it is safe", to=relayed, from_user=SAM, thread_id=100)
    quote = words.say("replying", "en", quote="I am at the library on 7th")
    got = await wait_text(server, alice.id, "Stay there, it is safe")
    assert got["text"] == f"{quote}\nStay there, it is safe"
    more.reply(alice, "ok I will", to=got)
    await server.wait_for(lambda: any("ok I will" in p.get("text", "") for p in into_topic(server)))
    back = next(p["text"] for p in into_topic(server) if "ok I will" in p.get("text", ""))
    assert back.startswith("Guest ")
    assert "Stay there, it is safe" in back
    assert mark(words) not in back
    into, out = len(copies_to(server, GROUP)), len(copies_to(server, alice.id))
    earlier = alice.send("my name is Alicia, I typed this before")
    more.reply(alice, "about that", to=earlier)  # their own words: copied as they are, never quoted
    note = next(m for m in server.messages(GROUP) if m.get("text", "").startswith(mark(words)))
    more.reply(group, "one more thing", to=note, from_user=SAM, thread_id=100)  # a bot note: not for the person
    await server.wait_for(
        lambda: len(copies_to(server, GROUP)) == into + 2 and len(copies_to(server, alice.id)) == out + 1
    )
    assert not [p for p in into_topic(server) if "typed this before" in p.get("text", "")]
    assert not [t for t in sent_to(server, alice.id) if "one more thing" in t]


async def test_a_supporters_slash_words_are_relayed_but_commands_are_not(bot: Bot, words: WarmlineText) -> None:
    """ "/shrug" from the holder reaches the person; the bot's own commands (/mute) do not."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    group = server.group(GROUP)
    group.send("/shrug I am not sure either", from_user=SAM, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 1)
    group.send("/mute 5", from_user=SAM, thread_id=100)
    await wait_text(server, GROUP, "muted until")
    await asyncio.sleep(0.3)
    assert len(copies_to(server, alice.id)) == 1


async def test_danger_words_in_a_caption_mark_the_topic(bot: Bot, words: WarmlineText, content: Content) -> None:
    """A photo whose caption holds danger words is relayed, marks the topic ⚠ with a note, and the person gets the
    crisis answer; an edit that says danger is relayed as a correction and answered the same way."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    more.photo(alice, f"look {content.danger.of('danger', 'en')[0]}")
    await server.wait_for_call("editForumTopic")
    assert server.calls_to("editForumTopic")[0].params["name"].startswith("⚠")
    await wait_text(server, GROUP, words.staff_say("urgent_note", alias="X").split("X", 1)[1][:20])
    assert copies_to(server, GROUP)
    await server.wait_for(lambda: any("911" in t for t in texts(server, alice.id)))  # the crisis answer too
    crisis = len([t for t in texts(server, alice.id) if "911" in t])
    said = alice.send("all fine now")
    more.edit(alice, said["message_id"], f"not fine {content.danger.of('danger', 'en')[0]}")  # an edit, the same
    await server.wait_for(lambda: len([t for t in texts(server, alice.id) if "911" in t]) > crisis)
    await server.wait_for(lambda: any("not fine" in p.get("text", "") for p in into_topic(server)))


async def test_writing_in_a_closed_topic_says_it_reaches_no_one(bot: Bot, words: WarmlineText) -> None:
    """After End, a supporter writing in the topic is told nobody reads it; so is one writing in an older warm-line
    topic (known by its name); a staff topic of the team's own is left alone."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    group = server.group(GROUP)
    group.send("/end", from_user=SAM, thread_id=100)
    await wait_text(server, alice.id, words.say("helped", "en"))
    group.send("one more thing", from_user=SAM, thread_id=100)
    gone = await wait_text(server, GROUP, words.staff_say("gone"))
    assert gone["message_thread_id"] == 100
    more.in_topic(group, "hello?", from_user=SAM, thread_id=77, name="Guest 9AB · fr · work")
    await server.wait_for(
        lambda: any(
            m.get("message_thread_id") == 77 and words.staff_say("gone") in m["text"] for m in server.messages(GROUP)
        )
    )
    more.in_topic(group, "team lunch at noon", from_user=SAM, thread_id=78, name="Team chat")
    await asyncio.sleep(0.4)
    assert not [m for m in server.messages(GROUP) if m.get("message_thread_id") == 78]


async def test_the_silence_offer_has_the_buttons_its_words_name(bot: Bot, words: WarmlineText) -> None:
    """The silence offer says wait, someone else, or leave a message, and has exactly those three buttons;
    leaving a message from it works while the supporter still holds the conversation."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    alice.send("are you there?")
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 1)
    await bot.warm.tick(bot.edge.clock() + timedelta(minutes=words.silence_minutes + 1))
    offer = await wait_text(server, alice.id, words.say("silence", "en"))
    assert [label for label, _ in buttons(offer)] == [
        words.say(k, "en") for k in ("wait_button", "reconnect_button", "leave_button")
    ]
    alice.tap(buttons(offer)[2][1], offer["message_id"])
    await wait_text(server, alice.id, words.say("leave_prompt", "en"))
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["leaving"]


async def test_a_persons_text_can_never_look_like_a_bot_note(bot: Bot, words: WarmlineText) -> None:
    """Every bot note in a topic starts with the note mark; a person who types a note's words has them sent after
    "Guest ...: ", never copied, so nothing of theirs starts with the mark."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    forged = "\u200b" + mark(words) + "\n" + words.staff_say("person_left", alias="Guest 000")
    alice.send(forged)
    alice.send("a plain message")
    await server.wait_for(lambda: len(into_topic(server)) >= 3)
    card, first, second = into_topic(server)[:3]
    assert card["text"].startswith(mark(words) + "\n")
    assert first["text"].startswith("Guest ")
    assert first["text"].endswith(forged)
    assert second.get("text") is None  # copied as it is: the copy holds the person's text
    assert not [p for p in into_topic(server) if forged in p.get("text", "") and p["text"].startswith(mark(words))]


# -- 5. who may do what -------------------------------------------------------------------------------------------


async def test_only_the_holder_or_an_admin_ends_releases_or_mutes(bot: Bot, words: WarmlineText) -> None:
    """Another supporter's /end, /mute and Release are refused (told so); a group admin may do them."""
    server = bot.server
    await on_duty(server, SAM, RIO)
    admins(server)  # nobody is an admin yet
    alice = person(server, 1001)
    await taken(server, alice, words)
    group = server.group(GROUP)
    group.send("/end", from_user=RIO, thread_id=100)
    await wait_text(server, GROUP, words.staff_say("holder_only"))
    group.send("/mute", from_user=RIO, thread_id=100)
    await server.wait_for(lambda: texts(server, GROUP).count(f"{mark(words)}\n{words.staff_say('holder_only')}") == 2)
    card = server.message(GROUP, card_for(server, 100)["message_id"]) or {}
    group.tap(buttons(card)[1][1], card["message_id"], from_user=RIO)  # End on the card
    await answered(server, words.staff_say("holder_only"))
    assert [r["status"] for r in await bot.edge.store.handoffs()] == ["taken"]
    assert not [m for m in server.messages(GROUP) if "muted until" in m.get("text", "")]
    admins(server, RIO)
    bot.warm.admins._known.clear()  # who is an admin is remembered for a minute
    group.send("/alias Rio", from_user=RIO)
    group.send("/mute 10", from_user=RIO, thread_id=100)
    await wait_text(server, GROUP, "muted until")
    group.tap(buttons(card)[0][1], card["message_id"], from_user=RIO)  # Release, by an admin
    await wait_text(server, GROUP, words.staff_say("released_note", supporter="Rio"))
    await wait_text(server, alice.id, words.say("released", "en"))
    group.send("/end", from_user=RIO, thread_id=100)
    await server.wait_for_call("closeForumTopic")
    assert await bot.edge.store.handoffs() == []


async def test_a_take_counts_only_on_its_own_card_in_its_own_group(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """Crafted Take data, tapped in another group or on another message, takes nothing; the real card does."""
    running = await start(botapi, tmp_path, content, always_open(words), groups=(GROUP, GROUP2))
    try:
        await on_duty(botapi, RIO, group=GROUP2)
        await on_duty(botapi, SAM)
        await botapi.wait_for(lambda: len(botapi.messages(GROUP)) >= 1)
        bern = person(botapi, 1002)
        await ask(botapi, bern, words)
        await botapi.wait_for_call("createForumTopic")
        [row] = await running.edge.store.handoffs()
        there = row["group_chat"]
        elsewhere = GROUP if there == GROUP2 else GROUP2
        stranger = SAM if elsewhere == GROUP else RIO
        botapi.group(elsewhere).tap(f"w|take|{row['id']}", 1, from_user=stranger)
        botapi.group(there).tap(f"w|take|{row['id']}", row["card"] + 50, from_user=RIO)
        await botapi.wait_for(lambda: len(botapi.calls_to("answerCallbackQuery")) >= 2)
        await asyncio.sleep(0.2)
        assert [r["status"] for r in await running.edge.store.handoffs()] == ["queued"]
        assert not [t for t in texts(botapi, bern.id) if "is here with you" in t]
        holder = RIO if there == GROUP2 else SAM
        botapi.group(there).tap(f"w|take|{row['id']}", row["card"], from_user=holder)
        await wait_text(botapi, bern.id, "is here with you")
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_did_this_help_counts_once_per_conversation(bot: Bot, words: WarmlineText) -> None:
    """The answer counts once; the same tap again, or crafted data without the conversation's token, counts
    nothing and says the button is from an earlier conversation."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    server.group(GROUP).send("/end", from_user=SAM, thread_id=100)
    helped = await wait_text(server, alice.id, words.say("helped", "en"))
    yes = buttons(helped)[0][1]
    for _ in range(3):
        alice.tap(yes, helped["message_id"])
    alice.tap("w|yes|", helped["message_id"])
    alice.tap("w|yes|abcdefghijkl", helped["message_id"])
    await server.wait_for(lambda: texts(server, alice.id).count(words.say("earlier", "en")) == 4)
    assert texts(server, alice.id).count(words.say("thanks", "en")) == 1
    assert (await counted(bot))["warmline_helped:yes"] == 1


async def test_alias_is_short_plain_never_an_agency_and_each_supporters_own(
    bot: Bot, words: WarmlineText, content: Content
) -> None:
    """/alias refuses agencies (from flows and resources/), links, @handles, digits and direction characters,
    and names that are too long; a good one is that supporter's alone."""
    server = bot.server
    group = server.group(GROUP)
    refused = {
        "Calgary Police Service": "alias_agency",
        "Officer Dan": "alias_agency",
        "RCMP": "alias_agency",
        "https://t.me/x": "alias_plain",
        "@sam_real_name": "alias_plain",
        "Sam 4035550100": "alias_plain",
        "Sam\u202e": "alias_plain",
        "Bartholomew Alexander": "alias_too_long",
    }
    for n, (name, key) in enumerate(refused.items(), start=1):
        group.send(f"/alias {name}", from_user=SAM)
        await server.wait_for(lambda n=n: len(server.messages(GROUP)) >= n)
        said = server.messages(GROUP)[-1]["text"]
        assert said == f"{mark(words)}\n{words.staff_say(key, max=aliases.ALIAS_MAX)}", (name, said)
    group.send("/alias Ana Lucía", from_user=SAM)
    await wait_text(server, GROUP, words.staff_say("alias_set", supporter="Ana Lucía"))
    await on_duty(server, SAM, RIO)
    alice, bern = person(server, 1001), person(server, 1002)
    await taken(server, alice, words, supporter=SAM)
    await taken(server, bern, words, supporter=RIO, thread=101)
    assert any("Ana Lucía is here" in t for t in texts(server, alice.id))
    assert any(words.staff_say("default_alias") in t for t in texts(server, bern.id))
    assert not any("Police" in t for t in texts(server, alice.id) + texts(server, bern.id))


async def test_a_crafted_topic_never_names_a_forum_topic(bot: Bot, words: WarmlineText) -> None:
    """Free text in a "leave a message" button's data never reaches a topic's name."""
    server = bot.server
    alice = person(server, 1001)
    await talk(server, alice)
    offer = await wait_text(server, alice.id, "1-833-900-1010")
    alice.tap("w|leave|Calgary Police Service is here", offer["message_id"])
    await wait_text(server, alice.id, words.say("leave_prompt", "en"))
    alice.send("please call me back")
    saved = await wait_text(server, alice.id, words.say("part_saved", "en"))
    alice.tap(buttons(saved)[0][1], saved["message_id"])  # Done, send it
    await server.wait_for_call("createForumTopic")
    assert server.calls_to("createForumTopic")[0].params["name"].endswith(" · en · talk")


async def test_a_contact_or_place_waits_for_the_persons_yes(bot: Bot, words: WarmlineText) -> None:
    """A shared contact is not relayed until the person confirms; then the topic gets its name, never its phone
    number. A place the person declines to share never reaches the topic."""
    server = bot.server
    await on_duty(server, SAM)
    alice = person(server, 1001, "fr")
    await taken(server, alice, words)
    more.contact(alice, "Ana", "Ruiz", "+14035550123")
    asked = await wait_text(server, alice.id, words.say("share_contact", "fr", name="Ana Ruiz"))
    assert "+1403" not in asked["text"]
    assert [label for label, _ in buttons(asked)] == [
        words.say(k, "fr") for k in ("share_yes_button", "share_no_button")
    ]
    await asyncio.sleep(0.2)
    assert not [p for p in into_topic(server) if "Ana" in p.get("text", "")]
    yes = buttons(asked)[0][1]
    alice.tap(yes, asked["message_id"])
    await wait_text(server, alice.id, words.say("shared", "fr"))
    await server.wait_for(lambda: any("Ana Ruiz" in p.get("text", "") for p in into_topic(server)))
    alice.tap(yes, asked["message_id"])  # the same yes again: nothing more
    alice.location()
    place = await wait_text(server, alice.id, words.say("share_location", "fr"))
    alice.tap(buttons(place)[1][1], place["message_id"])
    await wait_text(server, alice.id, words.say("not_shared", "fr"))
    await asyncio.sleep(0.3)
    assert not copies_to(server, GROUP)
    assert len([p for p in into_topic(server) if "Ana Ruiz" in p.get("text", "")]) == 1
    assert not [c for c in server.calls if c.params.get("chat_id") == GROUP and "5550123" in repr(c.params)]


async def test_a_closed_topic_still_says_so_after_a_restart(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """The person's topic is on record, so after a restart writing in it after End still says it reaches no one."""
    running = await start(botapi, tmp_path, content, always_open(words))
    await on_duty(botapi, SAM)
    alice = person(botapi, 1001)
    await taken(botapi, alice, words)
    botapi.group(GROUP).send("/end", from_user=SAM, thread_id=100)
    await wait_text(botapi, alice.id, words.say("helped", "en"))
    await running.halt()
    running = await start(botapi, tmp_path, content, always_open(words))
    try:
        botapi.group(GROUP).send("are you still there?", from_user=SAM, thread_id=100)
        gone = await wait_text(botapi, GROUP, words.staff_say("gone"))
        assert gone["message_thread_id"] == 100
        assert len(copies_to(botapi, alice.id)) == 0
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_a_place_in_a_message_left_waits_for_the_persons_yes_too(
    bot: Bot, words: WarmlineText, content: Content
) -> None:
    """While leaving a message, a shared place is asked about first; once the person says yes it is a part of the
    message, and it reaches the topic when they are done. Danger words in a caption mark the topic."""
    server = bot.server
    alice = person(server, 1001)
    await talk(server, alice)
    await server.wait_for(lambda: leave_offer(server, alice.id) is not None)
    offer = leave_offer(server, alice.id)
    assert offer is not None
    alice.tap(next(d for _, d in buttons(offer) if d.startswith("w|leave|")), offer["message_id"])
    await wait_text(server, alice.id, words.say("leave_prompt", "en"))
    alice.location()
    asked = await wait_text(server, alice.id, words.say("share_location", "en"))
    alice.tap(buttons(asked)[0][1], asked["message_id"])
    saved = await wait_text(server, alice.id, words.say("part_saved", "en"))
    more.photo(alice, f"this is where {content.danger.of('danger', 'en')[0]}")
    alice.tap(buttons(saved)[0][1], saved["message_id"])
    await server.wait_for(lambda: len(copies_to(server, GROUP)) == 2)
    assert server.calls_to("createForumTopic")[0].params["name"].startswith("⚠")


async def test_a_wait_that_ended_while_the_bot_was_down_is_cleared_at_the_start(
    botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText
) -> None:
    """A Take recorded just before the bot stopped (its place-in-line message not yet cleared): at the start the
    message says the wait is over and loses Cancel; its old Cancel ends nothing."""
    running = await start(botapi, tmp_path, content, always_open(words))
    await on_duty(botapi, SAM)
    alice = person(botapi, 1001)
    waiting = await ask(botapi, alice, words)
    cancel = buttons(waiting)[0][1]
    await running.halt()
    store = await Store.open(tmp_path / "data")
    try:
        [row] = await store.handoffs()
        assert await store.handoff_take(row["id"], SAM["id"], FRIDAY_AFTERNOON)
    finally:
        await store.close()
    running = await start(botapi, tmp_path, content, always_open(words))
    try:
        await botapi.wait_for(
            lambda: (
                (botapi.message(alice.id, waiting["message_id"]) or {}).get("text") == words.say("waiting_taken", "en")
            )
        )
        assert not buttons(botapi.message(alice.id, waiting["message_id"]) or {})
        alice.tap(cancel, waiting["message_id"])
        await wait_text(botapi, alice.id, words.say("stale", "en"))
        assert [r["status"] for r in await running.edge.store.handoffs()] == ["taken"]
    finally:
        await running.halt()
    assert_anonymous(botapi)
