"""Small talk, the police question and other languages: how the labelled phrases are heard, per language and kind.

Run: .venv/bin/python tests/bench/bench_hear.py   (prints figures; the tuned and the held-out phrases separately)
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hearing import figures, heard, phrases
from running import FLOWS, RESOURCES

from bot.content.loader import load_content


def main() -> None:
    content, problems = load_content(FLOWS, RESOURCES)
    assert content is not None, problems
    everything = phrases()
    for title, chosen in (
        ("tuned on", [p for p in everything if not p.held_out]),
        ("held out", [p for p in everything if p.held_out]),
    ):
        table = figures(content, chosen)
        right = sum(r for r, _ in table.values())
        total = sum(t for _, t in table.values())
        print(f"\n{title}: {right}/{total} heard as labelled ({right / total:.0%})")
        per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (lang, intent), (r, t) in table.items():
            per_lang[lang][0] += r
            per_lang[lang][1] += t
            print(f"  {lang:5} {intent:16} {r}/{t}")
        print("  per language: " + ", ".join(f"{lang} {r}/{t}" for lang, (r, t) in sorted(per_lang.items())))
        false_small_talk = [p for p in chosen if p.intent == "none" and heard(content, p) != "none"]
        missed = [
            (p.lang, p.text, p.intent, heard(content, p))
            for p in chosen
            if p.intent != "none" and heard(content, p) != p.intent
        ]
        print(f"  requests taken for small talk: {len(false_small_talk)} {[p.text for p in false_small_talk]}")
        print(f"  missed or misheard: {missed}")


if __name__ == "__main__":
    main()
