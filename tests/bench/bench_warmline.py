"""The warm line on a busy night, under Telegram's group limit: N live conversations writing, M requests opening
at once, and an unrelated person's danger words, through the staff outbox (bot.channels.telegram.relay).

The real Application against the stand-in Bot API server, which enforces 20 sends a minute into the group (429
past it); the bot paces itself at 20 a minute, burst 4. For each N, M requests open at the start; each live
person writes one line every --every seconds (staggered) for --seconds; an unrelated person sends danger words
every 2 s. Printed, not judged:

- danger: seconds from the unrelated person's message to the bot's answer (aim: p99 under 1 s);
- lag: seconds from a person's line to the call that put it in their topic (copy, or merged text), p50/p99, and
  each conversation's p99;
- the largest N whose p99 lag stays under 10 s: how many live conversations one group carries.

    .venv/bin/python tests/bench/bench_warmline.py [--conversations 2,4,6,8] [--requests 6] [--seconds 60]
        [--every 20]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import opening_hours  # noqa: E402
from botapi import BotApiServer, Chat  # noqa: E402

from bot.channels.telegram.delivery import RetryPolicy  # noqa: E402
from bot.channels.telegram.edge import Edge  # noqa: E402
from bot.channels.telegram.serving import serve  # noqa: E402
from bot.channels.telegram.warmline import Warmline  # noqa: E402
from bot.content.loader import Content, load_content  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.warmline.rules import Pacer, WarmlineText, load_warmline  # noqa: E402

GROUP = -100500
SUPPORTER = {"id": 501, "is_bot": False, "first_name": "S"}
PER_MINUTE, BURST, LAG_GOAL = 20, 4, 10.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def connect_data(server: BotApiServer, who: Chat) -> tuple[str, int]:
    for message in reversed(server.messages(who.id)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data", "").endswith("talk.intro|0"):
                    return button["callback_data"], message["message_id"]
    raise LookupError("no connect button")


async def ask(server: BotApiServer, people: list[Chat]) -> None:
    """/start, /talk and "connect me" for each, all at once."""
    for who in people:
        who.send("/start")
    await server.wait_for(lambda: all(server.messages(w.id) for w in people), 30)
    for who in people:
        who.send("/talk")
    await server.wait_for(lambda: all(len(server.messages(w.id)) >= 2 for w in people), 30)
    for who in people:
        who.tap(*connect_data(server, who))


@dataclasses.dataclass(frozen=True)
class Result:
    danger: list[float]  # seconds to the unrelated person's answer
    lags: list[float]  # seconds from a person's line to its topic
    per: dict[int, float]  # each conversation's p99 lag
    limited: int  # 429s the server gave the bot


async def phase(
    content: Content, text: WarmlineText, conversations: int, requests: int, seconds: float, every: float
) -> Result:
    server = BotApiServer()
    await server.start()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            token=server.token, base_url=server.base_url, data_dir=Path(data), rate_limit=0, warmline_chat_ids=(GROUP,)
        )
        warm = Warmline(text, per_minute=0, tick=0)  # set up unpaced, then Telegram's limit for the measurement
        edge = Edge(settings, content, warm, policy=RetryPolicy(first_delay=0.05))
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop=stop, poll_timeout=1, edge=edge))
        await server.wait_for_call("setMyCommands", 1 + len(content.languages))
        group = server.group(GROUP)
        group.send("/onduty", from_user=SUPPORTER)
        live = [server.person(2000 + n) for n in range(conversations)]
        await ask(server, live)
        await server.wait_for(
            lambda: len([m for m in server.messages(GROUP) if m.get("reply_markup")]) >= conversations, 60
        )
        for card in [m for m in server.messages(GROUP) if m.get("reply_markup")]:
            group.tap(
                card["reply_markup"]["inline_keyboard"][0][0]["callback_data"], card["message_id"], from_user=SUPPORTER
            )
        await server.wait_for(lambda: len(server.calls_to("editMessageText")) >= conversations, 60)
        probes = [server.person(5000 + n) for n in range(3)]
        for who in probes:
            who.send("/start")
        await server.wait_for(lambda: all(server.messages(w.id) for w in probes), 30)
        await asyncio.sleep(0.5)
        # Telegram's limit from here on, on both sides
        warm.per_minute, warm.burst = PER_MINUTE, BURST
        warm.queues.per_minute, warm.queues.burst, warm.queues.cap = PER_MINUTE, BURST, PER_MINUTE // 2
        warm.queues._pacers[GROUP] = Pacer(PER_MINUTE, BURST)
        server.limit_group(GROUP, PER_MINUTE, window=60)
        start_calls = len(server.calls)
        sent: dict[str, tuple[int, float]] = {}
        danger: list[float] = []
        phrase = content.danger.of("danger", "en")[0]
        began = time.monotonic()
        deadline = began + seconds

        async def writer(index: int, who: Chat) -> None:
            await asyncio.sleep(index * every / max(1, conversations))
            k = 0
            while time.monotonic() < deadline:
                token = f"c{index} m{k}"
                who.send(f"line {token}")
                sent[token] = (index, time.monotonic())
                k += 1
                await asyncio.sleep(every)

        async def prober() -> None:
            n = 0
            while time.monotonic() < deadline:
                who = probes[n % len(probes)]
                before = len(server.messages(who.id))
                at = time.monotonic()
                who.send(f"he says {phrase}")
                await server.wait_for_messages(who.id, before + 1, within=30)
                danger.append(time.monotonic() - at)
                n += 1
                await asyncio.sleep(2.0)

        newcomers = [server.person(3000 + n) for n in range(requests)]
        jobs = [asyncio.create_task(writer(i, who)) for i, who in enumerate(live)]
        jobs.append(asyncio.create_task(prober()))
        jobs.append(asyncio.create_task(ask(server, newcomers)))
        await asyncio.gather(*jobs)
        arrived: dict[str, float] = {}

        def landed() -> bool:
            for call in server.calls[start_calls:]:
                if call.status != 200 or call.params.get("chat_id") != GROUP:
                    continue
                if call.method == "copyMessage":
                    original = server.received.get((call.params["from_chat_id"], call.params["message_id"]), {})
                    lines = [str(original.get("text", ""))]
                elif call.method == "sendMessage":
                    lines = str(call.params.get("text", "")).split("\n\n")
                else:
                    continue
                for line in lines:
                    if line.startswith("line "):
                        arrived.setdefault(line[5:], call.at)
            return len(arrived) >= len(sent)

        await server.wait_for(landed, 300)
        stop.set()
        await asyncio.wait_for(task, 10)
    await server.close()
    lags = {token: arrived[token] - at for token, (_, at) in sent.items()}
    per: dict[int, list[float]] = {}
    for token, (index, _) in sent.items():
        per.setdefault(index, []).append(lags[token])
    return Result(danger, list(lags.values()), {i: pct(v, 99) for i, v in sorted(per.items())}, server.limited[GROUP])


async def main(counts: list[int], requests: int, seconds: float, every: float) -> None:
    settings0 = Settings()
    content, problems = load_content(settings0.flows_dir, settings0.resources_dir)
    text, _ = load_warmline(settings0.flows_dir / "warmline.yaml")
    assert content is not None, problems
    assert text is not None
    text = dataclasses.replace(text, hours="24/7", schedule=opening_hours.OpeningHours("24/7"), capacity=100)
    carried = 0
    print(f"group limit {PER_MINUTE}/min (burst {BURST}); {requests} requests open at t=0; each live person writes "
          f"every {every:.0f} s for {seconds:.0f} s")  # fmt: skip
    for n in counts:
        got = await phase(content, text, n, requests, seconds, every)
        danger, lags, per = got.danger, got.lags, got.per
        p99 = pct(lags, 99)
        if p99 < LAG_GOAL:
            carried = n
        print(
            f"N={n:2d} live  danger reply p50={statistics.median(danger):5.2f} s p99={pct(danger, 99):5.2f} s "
            f"(n={len(danger)})  lag p50={statistics.median(lags):5.1f} s p99={p99:5.1f} s (n={len(lags)})  "
            f"429s={got.limited}  per conversation p99: " + " ".join(f"{v:.1f}" for v in per.values())
        )
    print(f"one group carries {carried} live conversations with p99 lag under {LAG_GOAL:.0f} s "
          f"(while {requests} requests open at once)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", default="2,4,6,8")
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=20.0)
    options = parser.parse_args()
    counts = [int(x) for x in options.conversations.split(",")]
    asyncio.run(main(counts, options.requests, options.seconds, options.every))
