"""What a counsellor's console gives, in the topic, end to end (the real Application and warm line against the
stand-in Bot API server, with an injected clock): notes that never reach the person, /handover to a named
colleague, the wrap-up after End as anonymous counts, /queue, the waiting card kept current, /stats medians;
and "Talk to a person" telling the truth about who is on duty before it promises anything.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiServer
from test_warmline import (
    GROUP,
    RIO,
    SAM,
    admins,
    ask,
    assert_anonymous,
    buttons,
    card_for,
    copies_to,
    on_duty,
    person,
    taken,
    texts,
    wait_text,
)
from test_warmline_forget import Line, start
from test_warmline_forget import words as words  # the fixture

from bot.content.loader import Content
from bot.warmline.rules import WarmlineText

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def line(botapi: BotApiServer, tmp_path: Path, content: Content, words: WarmlineText) -> AsyncIterator[Line]:
    running = await start(botapi, tmp_path, content, words)
    yield running
    await running.halt()
    assert_anonymous(botapi)


async def counted(line: Line) -> dict[str, int]:
    await line.edge.flush_counts()
    found: dict[str, int] = {}
    for _, name, n in await line.edge.store.counts():
        found[name] = found.get(name, 0) + n
    return found


async def group_says(server: BotApiServer, needle: str) -> dict[str, Any]:
    return await wait_text(server, GROUP, needle)


def said(server: BotApiServer, words: str) -> int:
    """How many of the bot's messages in the group hold `words` (notes begin with the bot's note mark)."""
    return sum(1 for t in texts(server, GROUP) if words in t)


def text_of(server: BotApiServer, message_id: int) -> str:
    found = server.message(GROUP, message_id)
    return "" if found is None else str(found.get("text", ""))


def answers(server: BotApiServer) -> list[str]:
    return [c.params.get("text", "") for c in server.calls_to("answerCallbackQuery")]


async def test_notes_stay_with_the_team_and_the_card_says_how(line: Line, words: WarmlineText) -> None:
    """Messages starting with // or #note, from the holder or a colleague, are never copied to the person and
    draw no "not yours"; an ordinary message still is; the card tells supporters how."""
    server = line.server
    await on_duty(server, SAM, RIO)
    alice = person(server, 1001)
    await taken(server, alice, words)
    assert words.staff_say("card_help") in card_for(server, 100)["text"]
    group = server.group(GROUP)
    group.send("// she may call back tonight", from_user=SAM, thread_id=100)
    group.send("#note check the shelter list", from_user=RIO, thread_id=100)
    group.send("  #NOTE: capitals too", from_user=SAM, thread_id=100)
    group.send("Hello, I'm here.", from_user=SAM, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 1)
    await line.warm.tick()
    assert len(copies_to(server, alice.id)) == 1
    assert not said(server, words.staff_say("not_yours"))


async def test_handover_moves_the_conversation_to_a_named_colleague(line: Line, words: WarmlineText) -> None:
    """/handover Rio <context>: the context is posted in the topic (never to the person), the card and the
    person name Rio, Rio's messages reach the person and Sam's no longer do; a wrong alias or someone else's
    conversation is refused."""
    server = line.server
    group = server.group(GROUP)
    await on_duty(server, SAM, RIO)
    group.send("/alias Rio", from_user=RIO)
    group.send("/alias Sam", from_user=SAM)
    await server.wait_for(lambda: len([t for t in texts(server, GROUP) if "people see you as" in t]) == 2)
    alice = person(server, 1001)
    await taken(server, alice, words)
    group.send("/handover Rio she wants a bed tonight", from_user=RIO, thread_id=100)
    await group_says(server, words.staff_say("not_yours"))
    group.send("/handover Robin she wants a bed tonight", from_user=SAM, thread_id=100)
    await group_says(server, words.staff_say("handover_unknown", supporter="Rio"))
    group.send("/handover rio she wants a bed tonight", from_user=SAM, thread_id=100)
    note = await group_says(server, "Handed over from Sam to Rio")
    assert note["text"].endswith("she wants a bed tonight")
    told = await wait_text(server, alice.id, words.say("handed_over", "en", supporter="Sam", colleague="Rio"))
    assert "bed" not in " ".join(texts(server, alice.id))
    assert "Rio" in told["text"]
    await server.wait_for(lambda: words.staff_say("card_taken", supporter="Rio") in card_for(server, 100)["text"])
    group.send("Hi, I'm Rio.", from_user=RIO, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 1)
    before = said(server, words.staff_say("not_yours"))
    group.send("Sam again", from_user=SAM, thread_id=100)
    await server.wait_for(lambda: said(server, words.staff_say("not_yours")) == before + 1)
    assert len(copies_to(server, alice.id)) == 1
    assert (await counted(line))["handoff_handed_over"] == 1


async def test_the_wrapup_after_end_becomes_anonymous_counts_once(line: Line, words: WarmlineText) -> None:
    """After End the holder gets two short questions (how it ended, follow-up needed?); each answer counts
    once, a colleague's tap or crafted data counts nothing, and only the counts remain."""
    server = line.server
    group = server.group(GROUP)
    await on_duty(server, SAM, RIO)
    alice = person(server, 1001)
    await taken(server, alice, words)
    group.send("/end", from_user=SAM, thread_id=100)
    ask_ = await group_says(server, words.staff_say("wrapup_ask", alias="X").split("X")[1][:30])
    assert ask_.get("message_thread_id") == 100
    choices = dict(buttons(ask_))
    referred = choices[words.staff_say("wrapup_referred")]
    group.tap(referred, ask_["message_id"], from_user=RIO)
    await server.wait_for(lambda: words.staff_say("not_yours") in answers(server))
    group.tap(referred.replace(referred.split("|")[2], "999"), ask_["message_id"], from_user=SAM)
    await server.wait_for(lambda: words.staff_say("gone") in answers(server))
    group.tap(referred, ask_["message_id"], from_user=SAM)
    await server.wait_for(lambda: text_of(server, ask_["message_id"]).endswith(words.staff_say("wrapup_followup")))
    group.tap(referred, ask_["message_id"], from_user=SAM)  # the same answer again: counted once
    followup = server.message(GROUP, ask_["message_id"])
    assert followup is not None
    yes = dict(buttons(followup))[words.staff_say("wrapup_yes")]
    group.tap(yes, ask_["message_id"], from_user=SAM)
    await server.wait_for(lambda: text_of(server, ask_["message_id"]).endswith(words.staff_say("wrapup_done")))
    found = await counted(line)
    assert found["wrapup_outcome:referred"] == 1
    assert found["wrapup_followup:yes"] == 1
    assert not [k for k in found if k.startswith("wrapup_outcome:") and k != "wrapup_outcome:referred"]


async def test_queue_shows_who_waits_urgent_first(line: Line, words: WarmlineText, content: Content) -> None:
    """/queue in General lists the waiting people of this group by alias, language and minutes, the one who
    used danger words first (⚠), then the longest wait; nothing else about them."""
    server = line.server
    await on_duty(server, SAM)
    group = server.group(GROUP)
    group.send("/queue", from_user=SAM)
    await group_says(server, words.staff_say("queue_empty"))
    alice, bern = person(server, 1001), person(server, 1002, "es")
    await ask(server, alice, words)
    line.clock.ahead += timedelta(minutes=5)
    await ask(server, bern, words)
    bern.send(f"ayuda {content.danger.of('danger', 'es')[0]}")
    await server.wait_for_call("editForumTopic")
    line.clock.ahead += timedelta(minutes=2)
    group.send("/queue", from_user=SAM)
    shown = await group_says(server, words.staff_say("queue_title", position=2))
    rows = shown["text"].split(words.staff_say("queue_title", position=2))[1].strip().split("\n")
    assert re.fullmatch(r"⚠ Guest \w{3} · es · 2 min", rows[0])
    assert re.fullmatch(r"Guest \w{3} · en · 7 min", rows[1])
    assert "message_thread_id" not in shown


async def test_the_waiting_card_shows_the_current_wait(line: Line, words: WarmlineText) -> None:
    """While nobody has taken a request, each tick edits its card when the minutes changed, never more."""
    server = line.server
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await ask(server, alice, words)
    card = card_for(server, 100)

    def edits() -> list[Any]:
        return [
            c
            for c in server.calls_to("editMessageText")
            if c.params.get("chat_id") == GROUP and c.params.get("message_id") == card["message_id"]
        ]

    await server.wait_for(lambda: line.warm.queues.depth(GROUP) == 0)
    line.clock.ahead += timedelta(minutes=3)
    await line.warm.tick()
    await server.wait_for(lambda: "Waiting: 3 min" in card_for(server, 100)["text"])
    await server.wait_for(lambda: line.warm.queues.depth(GROUP) == 0)
    await line.warm.tick()  # the same minute: nothing is queued for the group
    assert line.warm.queues.depth(GROUP) == 0
    assert len(edits()) == 1
    line.clock.ahead += timedelta(minutes=1)
    await line.warm.tick()
    await server.wait_for(lambda: "Waiting: 4 min" in card_for(server, 100)["text"])
    assert len(edits()) == 2


async def test_stats_give_the_median_first_reply_and_length(line: Line, words: WarmlineText) -> None:
    """/stats adds the median time from Take to the supporter's first message and from Take to the end, from
    anonymous minute counts only."""
    server = line.server
    group = server.group(GROUP)
    admins(server, SAM)
    await on_duty(server, SAM)
    alice = person(server, 1001)
    await taken(server, alice, words)
    line.clock.ahead += timedelta(minutes=2, seconds=10)
    group.send("Hello, I'm here.", from_user=SAM, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 1)
    group.send("A second message is not a first reply.", from_user=SAM, thread_id=100)
    await server.wait_for(lambda: len(copies_to(server, alice.id)) == 2)
    line.clock.ahead += timedelta(minutes=9)
    group.send("/end", from_user=SAM, thread_id=100)
    await server.wait_for_call("closeForumTopic")
    group.send("/stats", from_user=SAM)
    report = await group_says(server, "Anonymous counts")
    assert "Median time to first reply: 2 min (from 1 conversations)" in report["text"]
    assert "Median conversation length: 11 min (from 1 conversations)" in report["text"]
    found = await counted(line)
    assert found["handoff_first_reply_min:2"] == 1
    assert found["handoff_length_min:11"] == 1


async def test_talk_says_whether_anyone_is_on_duty_before_connecting(
    line: Line, words: WarmlineText, content: Content
) -> None:
    """In open hours with nobody on duty the consent screen says nobody is free now (and offers a message);
    once a supporter is on duty it says they answer, before the person asks to connect."""
    server = line.server
    alice = person(server, 1001)
    alice.send("/start")
    await server.wait_for_messages(alice.id, 1)
    alice.send("/talk")
    nobody = content.text("line_nobody", "en").split("{")[0]
    intro = await wait_text(server, alice.id, "A peer supporter is a real person")
    assert nobody in intro["text"]
    await on_duty(server, SAM)
    alice.send("/talk")
    await server.wait_for(lambda: len([t for t in texts(server, alice.id) if "A peer supporter is a real" in t]) == 2)
    again = [t for t in texts(server, alice.id) if "A peer supporter is a real" in t][-1]
    assert content.text("line_open", "en").split("{")[0] in again
    assert nobody not in again


async def test_handover_needs_room_and_an_admin_may_move_anyones(line: Line, words: WarmlineText) -> None:
    """A colleague already at capacity is refused (the conversation stays); a group admin may hand over a
    conversation they do not hold; /handover outside a topic or without a name says how to use it."""
    server = line.server
    group = server.group(GROUP)
    admins(server, RIO)
    await on_duty(server, SAM, RIO)
    group.send("/alias Rio", from_user=RIO)
    group.send("/alias Sam", from_user=SAM)
    await server.wait_for(lambda: len([t for t in texts(server, GROUP) if "people see you as" in t]) == 2)
    group.send("/handover Rio", from_user=SAM)
    await group_says(server, words.staff_say("topic_only", command="handover"))
    alice = person(server, 1001)
    await taken(server, alice, words)
    group.send("/handover", from_user=SAM, thread_id=100)
    await group_says(server, words.staff_say("handover_usage"))
    hid = (await line.edge.store.handoffs())[0]["id"]
    held = [
        await line.edge.store.handoff_create(
            line.edge.store.person_key(9000 + n), f"aa{n}", "en", "talk", (), "queued", line.clock()
        )
        for n in range(words.capacity)
    ]
    for other in held:
        assert await line.edge.store.handoff_take(other, RIO["id"], line.clock())
    group.send("/handover Rio she wants a bed", from_user=SAM, thread_id=100)
    await group_says(server, words.staff_say("handover_full", supporter="Rio", capacity=words.capacity))
    assert (await line.edge.store.handoffs(handoff=hid))[0]["supporter"] == SAM["id"]
    for other in held:
        await line.edge.store.handoff_delete(other)
    group.send("/handover Sam", from_user=RIO, thread_id=100)  # Rio is an admin, but Sam holds it already
    await group_says(server, words.staff_say("handover_unknown", supporter="Rio"))
    group.send("/handover Rio over to me", from_user=RIO, thread_id=100)
    await group_says(server, "Handed over from Sam to Rio")
    assert (await line.edge.store.handoffs(handoff=hid))[0]["supporter"] == RIO["id"]
