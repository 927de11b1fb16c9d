"""Web chat benchmark: memory and reply latency with 500 open web sessions, each holding its live-update stream.

The server runs in a child process (`python -m bot web`'s serve(), with the new-chat gate opened wide), so the
figures are the server's own: its resident memory before and after the sessions open, and the time from a form
post to the answered page (POST /say, 303, GET /) while every session keeps its /events stream open.

Run: .venv/bin/python tests/bench/bench_web.py [--sessions 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402  (after the path fix, so the bench runs from anywhere)


def serve_forever(port: int, data_dir: str) -> None:
    """The child: the web chat on 127.0.0.1:port with the new-chat and request gates opened for the bench."""
    import logging
    from dataclasses import replace

    from bot.channels.web.config import WebSettings
    from bot.channels.web.server import serve
    from bot.runtime.flood import FloodGate
    from bot.settings import Settings

    logging.basicConfig(level=logging.INFO)
    settings = Settings(data_dir=Path(data_dir))
    web = replace(WebSettings(), port=port, max_chats=100_000)
    wide = FloodGate(burst=1_000_000, per_second=1_000_000.0)
    asyncio.run(serve(settings, stop=asyncio.Event(), web=web, opening=wide, requests=wide))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def token_and_form(html: str) -> dict[str, str]:
    part = html.split('id="write"')[1]
    t = part.split('name="t" value="')[1].split('"')[0]
    f = part.split('name="f" value="')[1].split('"')[0]
    return {"t": t, "f": f}


async def open_session(base: str) -> tuple[httpx.AsyncClient, asyncio.Task[None]]:
    # TCP_NODELAY: httpx sends a POST's headers and body in two writes; without it, Nagle and the server's delayed
    # ACK add ~40 ms to every post, a client artifact that a browser does not have.
    nodelay = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    # keep-alive shorter than uvicorn's 5 s, so no request is sent on a connection the server is closing
    nodelay = httpx.AsyncHTTPTransport(
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)], limits=httpx.Limits(keepalive_expiry=2.0)
    )
    http = httpx.AsyncClient(base_url=base, timeout=60, transport=nodelay)
    await http.get("/?lang=en")

    async def listen() -> None:
        async with http.stream("GET", "/events") as stream:
            async for _ in stream.aiter_bytes():
                pass

    return http, asyncio.create_task(listen())


async def reply_ms(http: httpx.AsyncClient, text: str) -> float:
    fields = token_and_form((await http.get("/")).text)
    started = time.perf_counter()
    answered = await http.post("/say", data={**fields, "text": text}, follow_redirects=True)
    assert answered.status_code == 200, answered.status_code
    return (time.perf_counter() - started) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def bench(base: str, pid: int, sessions: int) -> None:
    idle = rss_kib(pid)
    opened = [await open_session(base) for _ in range(sessions)]
    await asyncio.sleep(1.0)
    full = rss_kib(pid)
    print(
        f"server RSS: {idle / 1024:.1f} MiB idle, {full / 1024:.1f} MiB with {sessions} open sessions "
        f"({(full - idle) / sessions:.1f} KiB per session, /events streams open)"
    )
    queries = ["legl help", "food bank", "bed tonight", "/menu", "boss kept my passport"]
    # The client is this one Python process (httpx, 500 connections), sharing the machine's cores with the
    # server: at full concurrency its own overhead is much of what is measured; the server's log says its part.
    one_by_one = [await reply_ms(http, queries[i % len(queries)]) for i, (http, _) in enumerate(opened)]
    print(
        f"reply latency, one at a time over {sessions} sessions: p50 {pct(one_by_one, 0.5):.1f} ms, "
        f"p95 {pct(one_by_one, 0.95):.1f} ms, max {max(one_by_one):.1f} ms"
    )
    started = time.perf_counter()
    together = await asyncio.gather(*(reply_ms(http, queries[i % len(queries)]) for i, (http, _) in enumerate(opened)))
    wall = time.perf_counter() - started
    print(
        f"reply latency, all {sessions} at once: p50 {pct(list(together), 0.5):.1f} ms, "
        f"p95 {pct(list(together), 0.95):.1f} ms; {sessions / wall:.0f} replies/s"
    )
    print(
        f"server RSS after {2 * sessions} replies: {rss_kib(pid) / 1024:.1f} MiB; "
        f"mean reply {statistics.mean(one_by_one):.1f} ms"
    )
    for http, listener in opened:
        listener.cancel()
        await http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(int(args.serve[0]), args.serve[1])
        return
    port = 18000 + os.getpid() % 1000
    with tempfile.TemporaryDirectory() as data_dir, open(Path(data_dir) / "server.log", "w+") as log:
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(port), data_dir], stderr=log)
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/static/chat.css", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            asyncio.run(bench(f"http://127.0.0.1:{port}", child.pid, args.sessions))
        finally:
            child.terminate()
            child.wait(10)
        log.seek(0)
        handled = [float(line.rsplit("ms=", 1)[1]) for line in log if "kind=say outcome=replied" in line]
        alone, together = handled[: args.sessions], handled[args.sessions :]
        for name, part in (("one at a time", alone), ("all at once", together)):
            if part:
                print(
                    f"inside the server ({name}; turn, store and page lines, from its log): "
                    f"p50 {pct(part, 0.5):.1f} ms, p95 {pct(part, 0.95):.1f} ms over {len(part)} posts"
                )


if __name__ == "__main__":
    main()
