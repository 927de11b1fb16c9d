"""Crisis-word benchmark: recall and false alarms per language and kind over tests/crisis_phrases.yaml, tuned and
held-out apart, and the time to hear one message. Run: .venv/bin/python tests/bench/bench_safety.py

"Heard" means the phrase opened its own screen through the real engine (a suicide phrase: the suicide or the
happening-now screen; a danger phrase: the danger screen); a calm phrase "heard" is a false alarm. Latency is for
`hear` alone on each phrase, first as a new message (no word seen before: the index's per-word memo cleared) and
then warm, plus the whole engine turn.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.content.loader import Content, load_content  # noqa: E402  (after the path fix, so it runs from anywhere)
from bot.conversation.engine import advance  # noqa: E402
from bot.conversation.safety import hear  # noqa: E402
from bot.core.types import Event, Session  # noqa: E402

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SCREENS = ("suicide", "suicide_now", "danger")


def shown(content: Content, text: str, lang: str) -> str:
    session = Session(version=content.version, node=content.flows.entry("menu"), language=lang)
    node = advance(content, session, Event("text", text=text), NOW).session.node
    return next((s for s in SCREENS if content.flows.entry(s) == node), "calm")


def right(kind: str, screen: str) -> bool:
    return {"calm": screen != "calm", "danger": screen == "danger", "suicide": screen.startswith("suicide")}[kind]


def figures(content: Content, phrases: list[dict[str, object]]) -> None:
    for held_out in (False, True):
        part = [p for p in phrases if bool(p["held_out"]) == held_out]
        heard: Counter[tuple[str, str]] = Counter()
        total: Counter[tuple[str, str]] = Counter()
        for p in part:
            key = (str(p["lang"]), str(p["kind"]))
            total[key] += 1
            heard[key] += right(key[1], shown(content, str(p["text"]), str(p.get("session", p["lang"]))))
        print(
            f"\n{'held-out' if held_out else 'tuned'} ({len(part)} phrases): recall for suicide and danger, "
            "false alarms for calm"
        )
        for kind in ("suicide", "danger", "calm"):
            cells = [f"{lang} {heard[lang, kind]:3}/{total[lang, kind]:<3}" for lang in ("en", "fr", "es", "tl")]
            n, d = sum(heard[k] for k in total if k[1] == kind), sum(total[k] for k in total if k[1] == kind)
            print(f"  {kind:8} {'  '.join(cells)}  all {n}/{d} = {n / d:.1%}")


def latency(content: Content, texts: list[str]) -> None:
    def run(label: str, once: object, cold: bool, rounds: int) -> None:
        timings = []
        for _ in range(rounds):
            for text in texts:
                if cold:
                    for index in content.danger.indexes:
                        index.seen.clear()
                start = time.perf_counter()
                once(text)  # type: ignore[operator]
                timings.append(time.perf_counter() - start)
        timings.sort()
        p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
        print(f"  {label:44} p50 {p50 * 1e3:7.3f} ms   p99 {p99 * 1e3:7.3f} ms")

    print(f"\nlatency per message ({len(texts)} phrases, all four languages listened for)")
    run("hear(), new message (no word seen before)", lambda t: hear(content.danger, t), True, 3)
    for text in texts:
        hear(content.danger, text)
    run("hear(), words seen before", lambda t: hear(content.danger, t), False, 20)
    long = " ".join(texts[:40])
    run(f"hear(), one long message ({len(long.split())} words)", lambda t: hear(content.danger, long), False, 1)
    session = Session(version=content.version, node=content.flows.entry("menu"), language="en")
    run(
        "engine turn (advance), crisis or search",
        lambda t: advance(content, session, Event("text", text=t), NOW),
        False,
        3,
    )


def ordinary(content: Content) -> None:
    """False alarms on ordinary messages nobody labelled for crisis: the search and small-talk sets' requests."""
    queries = yaml.safe_load((ROOT / "tests" / "search_queries.yaml").read_text(encoding="utf-8"))["queries"]
    labelled = yaml.safe_load((ROOT / "tests" / "search_labelled.yaml").read_text(encoding="utf-8"))
    small = yaml.safe_load((ROOT / "tests" / "hear_phrases.yaml").read_text(encoding="utf-8"))["phrases"]
    texts = [q["q"] for q in queries if q.get("category") not in (None, "emergency", "mental_health")]
    texts += [q["text"] for q in labelled["queries"] if q.get("expect_category") not in ("emergency", "mental_health")]
    texts += [p["text"] for p in small if p.get("intent") not in ("none", "")]
    alarms = [t for t in texts if hear(content.danger, t) is not None]
    print(f"ordinary requests and small talk that alarm (not emergency or mental health): {len(alarms)}/{len(texts)}")
    for text in alarms:
        print(f"  {text}")


def main() -> None:
    start = time.perf_counter()
    content, problems = load_content(ROOT / "flows", ROOT / "resources")
    assert content is not None, [str(p) for p in problems if p.is_error]
    print(f"content loaded and the danger words indexed in {time.perf_counter() - start:.2f} s")
    tuned = yaml.safe_load((ROOT / "flows" / "crisis-examples.yaml").read_text(encoding="utf-8"))["examples"]
    held = yaml.safe_load((ROOT / "tests" / "crisis_phrases.yaml").read_text(encoding="utf-8"))["phrases"]
    phrases = [{**p, "held_out": False} for p in tuned] + [{**p, "held_out": True} for p in held]
    figures(content, phrases)
    by_model = [p for p in held if p["kind"] != "calm" and getattr(hear(content.danger, str(p["text"])), "learned", 0)]
    print(f"\nheld-out crisis phrases heard by the model, no phrase or net covering them: {len(by_model)}")
    ordinary(content)
    latency(content, [str(p["text"]) for p in phrases])


if __name__ == "__main__":
    main()
