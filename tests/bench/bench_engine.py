"""Engine benchmark: steps per second over the shipped flows, and load+validate time for them and for a
generated flow of 2,000 nodes. Run: .venv/bin/python tests/bench/bench_engine.py

Aims (issue 2): a step well under 0.1 ms; 2,000 nodes loaded and validated in under 1 s.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.content.flows import read_flows  # noqa: E402
from bot.content.loader import load_content  # noqa: E402  (after the path fix, so the bench runs from anywhere)
from bot.content.validation import check_flows  # noqa: E402
from bot.conversation.engine import advance  # noqa: E402
from bot.core.types import Event, Session  # noqa: E402

NOW = datetime(2026, 11, 28, 14, 30, tzinfo=ZoneInfo("America/Edmonton"))


def steps_per_second() -> None:
    content, _ = load_content(ROOT / "flows", ROOT / "resources")
    assert content is not None
    menu = content.flows.nodes[content.flows.entry("menu")]
    session = advance(content, Session(), Event("start"), NOW).session
    taps = [Event("option", data=f"{content.version[:6]}|{menu.id}|{i}") for i in range(len(menu.options))]
    events = [*taps, Event("command", text="menu"), Event("unsupported")]
    timings = []
    for _ in range(300):
        for event in events:
            start = time.perf_counter()
            advance(content, session, event, NOW)
            timings.append(time.perf_counter() - start)
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(
        f"engine step (options, commands; searches included where a door searches): "
        f"p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms, {1 / statistics.mean(timings):,.0f} steps/s"
    )
    plain = [
        e
        for e in events
        if not (
            e.kind == "option"
            and menu.options[int(e.data.split("|")[2])].go
            and content.flows.nodes[menu.options[int(e.data.split("|")[2])].go].kind == "search"
        )
    ]
    timings = []
    for _ in range(2000):
        for event in plain[-2:]:
            start = time.perf_counter()
            advance(content, session, event, NOW)
            timings.append(time.perf_counter() - start)
    timings.sort()
    print(
        f"engine step without search (command, unsupported): p50 {timings[len(timings) // 2] * 1e3:.3f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1e3:.3f} ms"
    )


def generated(nodes: int, folder: Path) -> None:
    shutil.copy(ROOT / "flows" / "bot.yaml", folder / "bot.yaml")
    langs = [line for line in (ROOT / "flows" / "bot.yaml").read_text().splitlines() if line.startswith("languages:")]
    codes = langs[0].split("[", 1)[1].rstrip("]").replace(" ", "").split(",")
    lines = ["nodes:"]
    for i in range(nodes):
        say = ", ".join(f'{c}: "Screen {i} ({c})"' for c in codes)
        lines += [f"  n{i}:", f"    say: {{{say}}}", "    options:"]
        for j in (i + 1, i + 2):
            target = f"n{j}" if j < nodes else "main.menu"
            label = ", ".join(f'{c}: "Go {j}"' for c in codes)
            lines += [f"      - id: o{j}", f"        label: {{{label}}}", f"        go: {target}"]
    (folder / "big.yaml").write_text("\n".join(lines) + "\n")
    for name in ("main.yaml", "safety.yaml", "talk.yaml", "privacy.yaml"):
        if (ROOT / "flows" / name).exists():
            shutil.copy(ROOT / "flows" / name, folder / name)
    for path in (ROOT / "flows").glob("*.yaml"):
        if not (folder / path.name).exists():
            shutil.copy(path, folder / path.name)


def load_times() -> None:
    start = time.perf_counter()
    flows, problems = read_flows(ROOT / "flows")
    problems += check_flows(flows)
    print(
        f"shipped flows: {len(flows.nodes)} nodes loaded and validated in {(time.perf_counter() - start) * 1e3:.1f} ms"
    )
    with tempfile.TemporaryDirectory() as tmp:
        generated(2000, Path(tmp))
        start = time.perf_counter()
        flows, problems = read_flows(Path(tmp))
        problems += check_flows(flows)
        took = time.perf_counter() - start
        print(
            f"generated flow: {len(flows.nodes)} nodes loaded and validated in {took * 1e3:.0f} ms "
            f"({sum(p.is_error for p in problems)} errors)"
        )


if __name__ == "__main__":
    load_times()
    steps_per_second()
