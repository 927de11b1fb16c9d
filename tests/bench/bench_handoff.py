"""The delay the bot adds to a relayed message, with 50 handoffs live at once.

The real Application (bot.channels.telegram.edge.serve + bot.channels.telegram.warmline) runs against the stand-in
Bot API server on 127.0.0.1.
A message's delay is from the moment the server offers it to the bot (getUpdates) to the moment the bot's
copyMessage for it reaches the server: polling, the edge, the store (relay row written, then deleted) and the
copy. Group pacing is off here (it is Telegram's limit, not the bot's work); the figures are printed, not judged.

    .venv/bin/python tests/bench/bench_handoff.py [--handoffs 50] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import opening_hours  # noqa: E402
from botapi import BotApiServer  # noqa: E402

from bot.channels.telegram.delivery import RetryPolicy  # noqa: E402
from bot.channels.telegram.edge import Edge  # noqa: E402
from bot.channels.telegram.serving import serve  # noqa: E402
from bot.channels.telegram.warmline import Warmline  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.warmline.rules import load_warmline  # noqa: E402

GROUP = -100500
SUPPORTER = {"id": 501, "is_bot": False, "first_name": "S"}


def copies_since(server: BotApiServer, start: int, count: int) -> bool:
    return len([c for c in server.calls[start:] if c.method == "copyMessage"]) >= count


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(handoffs: int, rounds: int) -> None:
    settings0 = Settings()
    content, problems = load_content(settings0.flows_dir, settings0.resources_dir)
    text, _ = load_warmline(settings0.flows_dir / "warmline.yaml")
    assert content is not None, problems
    assert text is not None
    text = dataclasses.replace(text, hours="24/7", schedule=opening_hours.OpeningHours("24/7"), capacity=handoffs)
    server = BotApiServer()
    await server.start()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            token=server.token, base_url=server.base_url, data_dir=Path(data), rate_limit=0, warmline_chat_ids=(GROUP,)
        )
        warm = Warmline(text, per_minute=0, tick=0)
        edge = Edge(settings, content, warm, policy=RetryPolicy(first_delay=0.05))
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, edge=edge))
        await server.wait_for_call("setMyCommands", 1 + len(content.languages))
        group = server.group(GROUP)
        group.send("/onduty", from_user=SUPPORTER)
        people = [server.person(2000 + n) for n in range(handoffs)]
        for who in people:
            who.send("/start")
        await server.wait_for(lambda: all(server.messages(w.id) for w in people), 30)
        for who in people:
            who.send("/talk")
        await server.wait_for(lambda: all(len(server.messages(w.id)) >= 2 for w in people), 30)
        for who in people:
            intro = server.messages(who.id)[-1]
            data_ = next(
                b["callback_data"]
                for row in intro["reply_markup"]["inline_keyboard"]
                for b in row
                if b.get("callback_data", "").endswith("talk.intro|0")
            )
            who.tap(data_, intro["message_id"])
        await server.wait_for_call("createForumTopic", handoffs, within=60)
        await server.wait_for(lambda: len([m for m in server.messages(GROUP) if m.get("reply_markup")]) >= handoffs, 30)
        for card in [m for m in server.messages(GROUP) if m.get("reply_markup")]:
            take = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            group.tap(take, card["message_id"], from_user=SUPPORTER)
        await server.wait_for(
            lambda: (
                len([r for r in server.calls_to("editMessageText") if r.params.get("chat_id") == GROUP]) >= handoffs
            ),
            60,
        )
        threads = {
            w.id: t
            for w, t in zip(
                people,
                sorted(
                    {
                        c.params["message_thread_id"]
                        for c in server.calls_to("sendMessage")
                        if c.params.get("chat_id") == GROUP and c.params.get("message_thread_id")
                    }
                ),
                strict=False,
            )
        }
        inbound: list[float] = []
        outbound: list[float] = []
        for _ in range(rounds):
            sent: dict[tuple[int, int], float] = {}
            start_calls = len(server.calls)
            for who in people:
                message = who.send("a relayed line")
                sent[(who.id, message["message_id"])] = time.monotonic()
            await server.wait_for(partial(copies_since, server, start_calls, handoffs), 60)
            for call in server.calls[start_calls:]:
                if call.method == "copyMessage":
                    inbound.append(call.at - sent[(call.params["from_chat_id"], call.params["message_id"])])
            start_calls = len(server.calls)
            replies: dict[int, float] = {}
            for who in people:
                reply = group.send("a reply", from_user=SUPPORTER, thread_id=threads[who.id])
                replies[reply["message_id"]] = time.monotonic()
            await server.wait_for(partial(copies_since, server, start_calls, handoffs), 60)
            for call in server.calls[start_calls:]:
                if call.method == "copyMessage":
                    outbound.append(call.at - replies[call.params["message_id"]])
        single: list[float] = []
        for n in range(rounds * 10):  # one message at a time, while all the handoffs stay live
            who = people[n % handoffs]
            start_calls = len(server.calls)
            at = time.monotonic()
            who.send("one line")
            await server.wait_for(partial(copies_since, server, start_calls, 1), 10)
            single.append(next(c.at for c in server.calls[start_calls:] if c.method == "copyMessage") - at)
        stop.set()
        await asyncio.wait_for(task, 10)
    await server.close()
    for name, values, how in (
        ("person -> topic", inbound, f"{handoffs} messages offered at once"),
        ("supporter -> person", outbound, f"{handoffs} messages offered at once"),
        ("person -> topic", single, "one message at a time"),
    ):
        ms = [v * 1000 for v in values]
        print(
            f"{name:20s} n={len(ms):4d}  p50={statistics.median(ms):7.1f} ms  p99={pct(ms, 99):7.1f} ms  "
            f"max={max(ms):7.1f} ms   ({handoffs} handoffs live, {how})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.handoffs, options.rounds))
