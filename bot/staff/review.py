"""The translation review: every sentence the bot says, per language, beside the default language, as Markdown.

docs/translation-review.md starts with notes people write (what to read first); below a marker line, the tables
are written from the flows by `python -m bot review`, so native speakers always review what the bot really says.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.content.flows import Flows, Text
from bot.content.wording import AvoidList
from bot.conversation.safety import EMPTY, DangerWords

DANGER_LISTS = (
    ("suicide", "suicide and self-harm"),
    ("suicide_now", "happening now"),
    ("alone", "suicide when the whole message"),
    ("now", "now words"),
    ("danger", "immediate danger"),
    ("threat", "threats from someone (a joke marker keeps them calm)"),
    ("calm", "idioms that must not alarm"),
    ("joke", "joke markers"),
)

MARKER = "<!-- Everything below is written by `python -m bot review` from flows/: edit the flows, then run it. -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _texts(flows: Flows, flow: str) -> Iterator[tuple[str, Text]]:
    """(where, text) for everything a flow, or bot.yaml, shows a person, in file order."""
    if flow == "bot.yaml":
        yield from ((f"strings.{key}", text) for key, text in flows.config.strings.items())
        yield from ((f"commands.{key} (Telegram menu)", text) for key, text in flows.config.commands.items())
        return
    for node in flows.nodes.values():
        if node.flow != flow:
            continue
        for text in (node.say, node.ask):
            if text:
                yield node.name, text
        for i, option in enumerate(node.options):
            yield f"{node.name} · button {i + 1}", option.label


def review_markdown(flows: Flows, avoid: AvoidList, notes: str, danger: DangerWords = EMPTY) -> str:
    """The whole review file: the people's `notes`, the marker, then one section per language."""
    default = flows.config.default_language
    names = flows.config.language_names
    out = [notes.rstrip(), "", MARKER, ""]
    for lang in (lang for lang in flows.config.languages if lang != default):
        name = names.get(lang, lang)
        out += [f"## {name} ({lang}): every sentence", ""]
        for flow in ("bot.yaml", *flows.flow_names):
            rows = [
                f"| {where} | {_cell(text.by_lang.get(default, ''))} | "
                f"{_cell(text.by_lang.get(lang) or '**MISSING**')} |"
                for where, text in _texts(flows, flow)
            ]
            if rows:
                shown = flow if flow.endswith(".yaml") else f"{flow}.yaml"
                out += [
                    f"### flows/{shown}",
                    "",
                    f"| where | {names.get(default, default)} | {name} |",
                    "|---|---|---|",
                    *rows,
                    "",
                ]
        out += [
            f"### flows/danger-words.yaml ({name})",
            "",
            "Phrases that open a crisis screen at once, in any chat. Add the ways people really write them "
            "(spellings, slang, short forms); put idioms that must not alarm under calm.",
            "",
            "| list | phrases |",
            "|---|---|",
            *(
                f"| {label} | {_cell(', '.join(danger.of(group, lang)) or '**MISSING**')} |"
                for group, label in DANGER_LISTS
                if group in ("suicide", "danger") or danger.of(group, lang)
            ),
            *(
                f"| combined ({c.kind}) | {' → '.join(_cell(', '.join(part)) for part in c.parts)} |"
                for c in danger.combos
                if c.lang == lang
            ),
            "",
        ]
        out += [
            f"### flows/words-to-avoid.yaml ({name})",
            "",
            "| avoid | say instead |",
            "|---|---|",
            *(f"| {_cell(a.word)} | {_cell(a.instead)} |" for a in avoid.get(lang, ())),
            "",
        ]
    return "\n".join(out)


def notes_of(document: str) -> str:
    """The hand-written part of an existing review file: everything above the marker (all of it if none)."""
    return document.split(MARKER, 1)[0]
