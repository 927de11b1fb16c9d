"""Updates per second end to end, and resident memory after 10,000 distinct people.

Both bots run as their own process against the same stand-in Bot API server (tests/botapi, in this process):
`python -m bot run` (our edge: flood gate, SQLite store, engine, outbox, logs) and the smallest echo bot on the
same library (tests/bench/echo_bot.py), the floor. Each drains the same backlog: PEOPLE distinct people each
send /start then /menu. Prints updates per second for each, our share of the echo bot's, and the bot's
resident memory once every person has a session.

    python tests/bench/bench_telegram.py [PEOPLE]      (default 10000)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botapi import BotApiServer  # noqa: E402 - after the path setup above

from bot.content.loader import load_content  # noqa: E402
from bot.conversation.engine import advance  # noqa: E402
from bot.core.types import Event, Session  # noqa: E402
from bot.settings import Settings  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def replies_per_person() -> int:
    """How many messages our bot sends a new person for /start then /menu (from the engine itself)."""
    settings = Settings.from_environ(os.environ, dotenv=Path("/nonexistent"))
    content, problems = load_content(settings.flows_dir, settings.resources_dir)
    assert content is not None, [str(p) for p in problems if p.is_error]
    now = datetime.now(UTC)
    first = advance(content, Session(), Event("start", language_hint="en"), now)
    second = advance(content, first.session, Event("command", text="menu", language_hint="en"), now)
    return len(first.replies) + len(second.replies)


@dataclass
class Run:
    rate: float  # updates per second
    rss_mb: float  # the bot's resident memory at the end
    cpu_ms: float  # the bot's CPU time per update (all its threads)


async def drain(command: list[str], people: int, per_person: int, workdir: Path) -> Run:
    """Start a bot, enqueue the backlog, time until every reply is sent."""
    server = BotApiServer()
    await server.start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_BASE_URL": server.base_url,
        "BOT_DATA_DIR": str(workdir / "data"),
        "TELEGRAM_RATE_LIMIT": "0",
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        *command, cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await server.wait_for(lambda: server.arrived["getUpdates"] >= 1, within=30)
        chats = [server.person(100_000 + i) for i in range(people)]
        for chat in chats:
            chat.send("/start")
        for chat in chats:
            chat.send("/menu")
        started, cpu = time.perf_counter(), cpu_seconds(process.pid)
        await server.wait_for(lambda: server.answered["sendMessage"] >= people * per_person, within=900)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu
        await asyncio.sleep(0.5)
        return Run(2 * people / elapsed, rss_mb(process.pid), cpu / (2 * people) * 1000)
    finally:
        process.terminate()
        await process.wait()
        await server.close()


async def main(people: int) -> None:
    per_person = replies_per_person()
    with tempfile.TemporaryDirectory() as ours, tempfile.TemporaryDirectory() as theirs:
        echo = await drain([sys.executable, str(ROOT / "tests/bench/echo_bot.py")], people, 2, Path(theirs))
        navigator = await drain([sys.executable, "-m", "bot", "run"], people, per_person, Path(ours))
    print(
        f"people: {people}, updates: {2 * people} (/start then /menu each), "
        f"our messages per person: {per_person}, echo's: 2"
    )
    for name, run in (("echo bot (floor)", echo), ("navigator bot", navigator)):
        print(f"{name + ':':20s}{run.rate:8.0f} updates/s   CPU {run.cpu_ms:5.2f} ms/update   RSS {run.rss_mb:6.1f} MB")
    print(
        f"navigator / echo:   {navigator.rate / echo.rate:8.0%}   (aim >= 80%); "
        f"RSS after {people} distinct people: {navigator.rss_mb:.1f} MB (aim < 150 MB)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
