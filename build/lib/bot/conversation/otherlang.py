"""The door for every other language: a person writing in Punjabi, Arabic, Korean... gets one short screen in
their language (lines with interpreters, 911, and how to switch to the bot's languages).

Which language: the script decides when it belongs to one language here (Gurmukhi, Hangul, Chinese characters,
Ge'ez: Amharic and Tigrinya both); within a shared script (Arabic: ar, ur, fa; Cyrillic: uk, ru; Latin: the bot's
own languages or Vietnamese), lingua-language-detector decides, restricted to those few languages, offline.
The words live in flows/other-languages.yaml; the numbers are filled in from sourced resources/ entries.
"""

from __future__ import annotations

import string
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bot.content.flows import display_path
from bot.core.problems import Problem
from bot.core.yamlfile import read_yaml

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from bot.directory.resources import Directory

FILE = "other-languages.yaml"
# A script -> the languages written in it that this door knows; one language: the script decides.
SCRIPTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "GURMUKHI": ("pa",),
        "HANGUL": ("ko",),
        "CJK": ("zh",),
        "ETHIOPIC": ("am", "ti"),
        "ARABIC": ("ar", "ur", "fa"),
        "CYRILLIC": ("uk", "ru"),
        "LATIN": ("en", "fr", "es", "tl", "vi"),
    }
)
LATIN_SURE = 0.8  # lingua's confidence needed before Latin letters are read as a language the bot lacks
# Latin letters are only weighed when some letter is none of English, French, Spanish or Tagalog's (ơ, ư, đ, ạ...):
# a phone keyboard's plain "xin chao" stays with the bot's own languages rather than risk a false door.
OWN_LATIN = frozenset("abcdefghijklmnopqrstuvwxyzàâäæçéèêëîïôœùûüÿáíñóúñ")
SHARED_SURE = 0.5  # within Arabic or Cyrillic letters, the likeliest of the few languages there


@dataclass(frozen=True, slots=True)
class OtherLanguages:
    """flows/other-languages.yaml, loaded: each language's screen with its numbers filled in."""

    screens: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    fallback: str = "en"

    def screen(self, langs: tuple[str, ...]) -> str:
        """The screen for these languages (both, one after the other, when the script cannot tell them apart)."""
        found = [self.screens[lang] for lang in langs if lang in self.screens]
        return "\n\n".join(found) or self.screens.get(self.fallback, "")


def script(text: str) -> str | None:
    """The script most of the letters are in ("LATIN", "ARABIC", "CJK", ...), or None when there are none."""
    counts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        counts[name.split(" ")[0]] += 1
    if not counts:
        return None
    top = counts.most_common(1)[0][0]
    return "CJK" if top in ("CJK", "HIRAGANA", "KATAKANA") and not counts["HIRAGANA"] + counts["KATAKANA"] else top


@cache
def _detector(script_name: str) -> LanguageDetector:
    """A lingua detector for one script's few languages, built once (models load on first use, from the wheel)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in SCRIPTS[script_name]]
    # Low accuracy mode reads trigrams only: it loads in well under a second and tells these few languages apart
    # as well on short messages (tests/bench/bench_hear.py prints the figures).
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def detect(text: str, own: tuple[str, ...]) -> tuple[str, ...] | None:
    """The languages a message is written in when it is not one of `own` (the flows' languages); None when it is
    one of them, or when we cannot be sure. A script we have no screen for gives ("*",): the fallback screen."""
    name = script(text)
    if name is None:
        return None
    known = SCRIPTS.get(name)
    if known is None:
        return ("*",)
    if len(known) == 1 or name == "ETHIOPIC":
        return known
    if name == "LATIN" and all(c in OWN_LATIN for c in text.casefold() if c.isalpha()):
        return None
    values = _detector(name).compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    if code in own:
        return None
    if name == "LATIN":
        return (code,) if best.value >= LATIN_SURE else None
    return (code,) if best.value >= SHARED_SURE else known


def load_other_languages(folder: Path, directory: Directory | None) -> tuple[OtherLanguages | None, list[Problem]]:
    """Read and check flows/other-languages.yaml; fill each screen's {numbers} from its resources/ entry."""
    path = folder / FILE
    shown = display_path(path)
    if not path.is_file():
        return None, [
            Problem(
                shown,
                0,
                0,
                "",
                "is missing: restore it from git (the screens for other languages live there)",
                subject="file",
            )
        ]
    data, pos, problems = read_yaml(path, shown)
    if problems or not isinstance(data, Mapping) or not isinstance(data.get("screens"), Mapping):
        return None, problems or [pos.problem((), "", "needs `numbers:` and `screens:`", subject="file")]
    numbers: dict[str, str] = {}
    for blank, resource_id in (data.get("numbers") or {}).items():
        resource = directory.get(str(resource_id)) if directory is not None else None
        phone = _phone(resource)
        if directory is not None and not phone:
            problems.append(
                pos.problem(
                    ("numbers", blank),
                    f"numbers.{blank}",
                    f"names '{resource_id}', which is not a resources/ entry with a phone number",
                    subject="key",
                )
            )
        numbers[str(blank)] = phone or ""
    screens: dict[str, str] = {}
    for lang, raw in data["screens"].items():
        text = raw.get("say") if isinstance(raw, Mapping) else None
        if not isinstance(text, str) or not text.strip():
            problems.append(
                pos.problem(
                    ("screens", lang),
                    f"screens.{lang}",
                    "needs `say:` with the screen's text",
                    subject="key",
                    on_key=True,
                )
            )
            continue
        used = {n for _, n, _, _ in string.Formatter().parse(text) if n}
        for unknown in sorted(used - set(numbers)):
            problems.append(
                pos.problem(
                    ("screens", lang),
                    f"screens.{lang}",
                    f"uses {{{unknown}}}, which is not under `numbers:` (known: {', '.join(sorted(numbers))})",
                    subject="key",
                )
            )
        screens[str(lang)] = text.strip().format_map(_Keep(numbers))
    fallback = str(data.get("fallback") or "en")
    if fallback not in screens:
        problems.append(pos.problem(("fallback",), "fallback", f"is '{fallback}', which has no screen", subject="key"))
    if any(p.is_error for p in problems):
        return None, problems
    return OtherLanguages(MappingProxyType(screens), fallback), problems


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _phone(resource: Any) -> str | None:
    if resource is None:
        return None
    return next((c.value for c in resource.contacts if c.kind == "phone"), None)
