"""Content: everything staff edit (flows/ and resources/), loaded and checked together, swapped as one.

`load_content` is what `check`, `chat`, `run` and `/reload` all call, so they can never disagree. A broken edit
returns problems and no Content; the caller keeps running the last good one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.flows import Flows, display_path, read_flows
from bot.content.privacywords import WORDS_FILE, PrivacyWords, load_privacy_words
from bot.content.validation import check_flows, reachable
from bot.content.warmlinetext import FILE as WARMLINE_FILE
from bot.content.warmlinetext import WarmlineText, load_warmline
from bot.content.wording import check_resource_wording, load_avoid_list
from bot.conversation.dangerwords import EXAMPLES_FILE, load_danger_words, with_examples
from bot.conversation.dangerwords import FILE as DANGER_FILE
from bot.conversation.otherlang import FILE as OTHER_LANGUAGES_FILE
from bot.conversation.otherlang import OtherLanguages, load_other_languages
from bot.conversation.safety import EMPTY as NO_DANGER_WORDS
from bot.conversation.safety import DangerWords
from bot.conversation.smalltalk import FILE as SMALLTALK_FILE
from bot.conversation.smalltalk import SmallTalk, check_smalltalk, load_smalltalk
from bot.conversation.smalltalk import targets as smalltalk_targets
from bot.core.problems import Problem, has_errors, sort_problems
from bot.directory.resources import Directory, load_directory
from bot.directory.search import prepare


@dataclass(frozen=True, slots=True)
class Content:
    """The loaded flows and resource directory, and a version that changes when any of their files does."""

    flows: Flows
    directory: Directory
    version: str
    privacy: PrivacyWords | None = None  # flows/privacy-text.yaml: /privacy, quiet erase, "can't talk now"
    warmline: WarmlineText | None = None  # flows/warmline.yaml: the warm line's hours and words
    smalltalk: SmallTalk | None = None  # flows/smalltalk.yaml: small talk and the police question
    other_languages: OtherLanguages | None = None  # flows/other-languages.yaml: the door for other languages
    danger: DangerWords = NO_DANGER_WORDS  # flows/danger-words.yaml: crisis phrases (bot.conversation.safety)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.flows.config.languages

    @property
    def default_language(self) -> str:
        return self.flows.config.default_language

    def text(self, key: str, lang: str) -> str:
        """One of the bot's own words from flows/bot.yaml `strings:`, in `lang` (default language if missing)."""
        return self.flows.text(key, lang)

    def commands(self, lang: str) -> list[tuple[str, str]]:
        """(command, description) pairs for Telegram's command menu in `lang`."""
        default = self.default_language
        return [(name, text.get(lang, default)) for name, text in self.flows.config.commands.items()]


def _calm_words(flows: Flows, directory: Directory) -> tuple[str, ...]:
    """Words people type that are never a crisis on their own, calm for the crisis model: the buttons' labels
    (a person may type one), bar those leading to the crisis screens, and the search words."""
    crisis = {flows.entry(e) for e in ("danger", "suicide", "suicide_now")}
    labels = [
        text
        for node in flows.nodes.values()
        for option in node.options
        if option.go not in crisis
        for text in option.label.by_lang.values()
    ]
    return tuple(sorted({*labels, *_search_words(directory)}))


def _search_words(directory: Directory) -> tuple[str, ...]:
    """The everyday words search knows (resources/search.yaml), as people type them to find a service ("bed
    tonight", "passport"); the emergency category's words are left to the examples."""
    lexicon = directory.lexicon
    written = [word for _lang, pairs in lexicon.synonyms for word, _meant in pairs]
    categories = [w for cat, by_lang in lexicon.category_words if cat != "emergency" for _l, ws in by_lang for w in ws]
    return tuple(sorted({*written, *categories}))


def version_of(*folders: Path) -> str:
    """A short hash of every YAML file's name and bytes: equal content, equal version."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def load_content(
    flows_dir: Path, resources_dir: Path, *, today: date | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load and check flows and resources as of `today` (stale facts); Content is None when any error was found."""
    flows, problems = read_flows(flows_dir)
    if not has_errors(problems):
        problems += check_flows(flows)
    privacy = None
    if (flows_dir / WORDS_FILE).is_file():  # /privacy's words; a test's own flows may lack the file
        privacy, found = load_privacy_words(flows_dir, flows.config.languages)
        problems += found
    warmline, warmline_path = None, flows_dir / WARMLINE_FILE
    if warmline_path.is_file():  # the warm line's hours and words; the bot refuses a broken file
        warmline, found = load_warmline(warmline_path, display_path(warmline_path), flows.config.languages)
        problems += found
    danger, danger_path = NO_DANGER_WORDS, flows_dir / DANGER_FILE
    if danger_path.is_file():  # crisis phrases in every language (bot/conversation/safety.py), indexed once here
        danger, found = load_danger_words(danger_path, display_path(danger_path), flows.config.languages)
        problems += found
    directory, resource_problems = load_directory(resources_dir, today=today)
    prepare(directory)  # the search index, built once here rather than on the first person's search
    resource_problems += check_resource_wording(directory, load_avoid_list(flows_dir)[0])
    smalltalk, other = None, None
    if (flows_dir / SMALLTALK_FILE).is_file():  # a test's own flows may lack it: then no small talk is heard
        smalltalk, found = load_smalltalk(flows_dir)
        problems += found
        if smalltalk is not None:
            problems += check_smalltalk(smalltalk, flows, display_path(flows_dir / SMALLTALK_FILE))
            # small talk's screens are reached from typed words, as the commands' are from /commands
            heard = reachable(flows, smalltalk_targets(smalltalk, flows)) - reachable(flows)
            shown = {(flows.nodes[n].path, flows.nodes[n].name) for n in heard}
            problems = [
                p
                for p in problems
                if not (p.severity == "warning" and (p.path, p.node) in shown and "cannot be reached" in p.message)
            ]
    if (flows_dir / OTHER_LANGUAGES_FILE).is_file():
        other, found = load_other_languages(flows_dir, directory)
        problems += found
    examples_path = flows_dir / EXAMPLES_FILE
    if examples_path.is_file() and not has_errors(problems):  # the crisis model learns from them once, here
        danger, found = with_examples(
            danger, examples_path, display_path(examples_path), flows.config.languages, _calm_words(flows, directory)
        )
        problems += found
    problems = sort_problems([*problems, *resource_problems])
    if has_errors(problems):
        return None, problems
    return Content(
        flows, directory, version_of(flows_dir, resources_dir), privacy, warmline, smalltalk, other, danger
    ), problems
