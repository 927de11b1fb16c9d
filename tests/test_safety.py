"""Crisis heard however it is typed (bot/conversation/safety.py over flows/danger-words.yaml), through the real engine.

The tuned phrases are the project's own examples (flows/crisis-examples.yaml, which the crisis model learns from):
every one must be heard as its kind and no calm one may raise the alarm. The held-out phrases,
tests/crisis_phrases.yaml (never used to tune the words nor to teach the model), must clear the floors below,
and its figures are printed (`pytest -s`) beside tests/bench/bench_safety.py's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from botapi import BotApiServer
from running import start_bot
from test_warmline import GROUP, SAM, always_open, assert_anonymous, copies_to, on_duty, person, start, taken, wait_text

from bot.content.loader import Content, load_content
from bot.conversation.dangerwords import load_danger_words
from bot.conversation.engine import advance
from bot.conversation.safety import Combo, build, hear
from bot.core.types import Event, Session, Turn
from bot.warmline.rules import load_warmline

ROOT = Path(__file__).resolve().parent.parent
PHRASES = Path(__file__).with_name("crisis_phrases.yaml")  # held out: never in the examples
EXAMPLES = ROOT / "flows" / "crisis-examples.yaml"  # tuned: what the bot learns from
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SCREEN = {"suicide": "suicide", "danger": "danger"}
# Floors for the held-out phrases (never tuned on): at least this share of crisis phrases heard as their kind,
# at most this share of calm phrases raising the alarm. The fourth batch's one clean run, on the frozen words,
# heard 40 of 68 crisis phrases (0.59) and alarmed on 4 of 48 calm ones (0.08). After the grammar nets, the
# threat and joke lists and the Tagalog roots (written from the categories of the misses, never their words),
# the held-out part stands at 81 of 116 (0.70) and 2 of 80 (0.025); the third and fourth batches were read for
# those categories, so these figures are not clean. After the fifth batch was tuned on (2026-12-02: method
# questions, substances, heights, goodbyes, forced moves, threats to family, calm nets; the third and fourth
# batches' misses were printed while tuning, never tuned on) they stand at 87 of 116 (0.75) and 2 of 80 (0.025).
# The sixth batch (never tuned on; see tests/crisis_phrases.yaml) was measured clean at 94 of 140 (0.67) and 11
# of 72 calm alarmed (0.15), then at 102 of 140 (0.73) and 7 of 72 (0.10) after a pass written blind to it; with
# it the held-out part stands at 195 of 256 (0.76) and 9 of 152 (0.059). Round 4: the sixth batch was tuned on and
# the seventh (written independently, never tuned on) measured clean: the phrases alone heard 98 of 140 (0.70) and
# alarmed on 2 of 72; with the model learned from flows/crisis-examples.yaml, 123 of 140 (0.88: suicide 65/80,
# danger 58/60) and 2 of 72 (0.03). The held-out part (third, fourth and seventh batches) then stands at 234 of
# 256 (0.91) and 7 of 152 (0.046). The floors keep a margin under that, so a change that loses ground fails.
HELD_OUT_RECALL = 0.85
HELD_OUT_FALSE_ALARMS = 0.07


@dataclass(frozen=True)
class Phrase:
    text: str
    lang: str
    kind: str
    held_out: bool
    session: str
    now: bool

    def __str__(self) -> str:
        return f"{self.lang}:{self.kind}:{self.text}"


def phrases() -> list[Phrase]:
    """The examples the bot learns from (flows/crisis-examples.yaml, tuned), then the held-out phrases."""
    tuned = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))["examples"]
    held_out = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))["phrases"]
    return [
        Phrase(p["text"], p["lang"], p["kind"], held, p.get("session", p["lang"]), bool(p.get("now")))
        for held, raw in ((False, tuned), (True, held_out))
        for p in raw
    ]


ALL = phrases()
TUNED = [p for p in ALL if not p.held_out]
HELD_OUT = [p for p in ALL if p.held_out]


def said(content: Content, phrase: Phrase, node: str | None = None) -> Turn:
    """What the engine answers `phrase`, typed on `node` (the menu by default) in a chat in its session language."""
    session = Session(version=content.version, node=node or content.flows.entry("menu"), language=phrase.session)
    return advance(content, session, Event("text", text=phrase.text), NOW)


def screen_of(content: Content, turn: Turn) -> str:
    """Which crisis screen the turn shows ("suicide", "suicide_now", "danger"), or "calm"."""
    entries = {content.flows.entry(e): e for e in ("suicide", "suicide_now", "danger")}
    return entries.get(turn.session.node, "calm")


def first_line(content: Content, screen: str, lang: str) -> str:
    """The first line of a crisis screen in `lang`, as flows/safety.yaml words it."""
    return content.flows.nodes[content.flows.entry(screen)].say.get(lang).splitlines()[0]


def test_the_labelled_set_is_large_and_balanced() -> None:
    """The set has 400+ phrases, 100+ per language, every kind in every language, and a fifth to a quarter held out."""
    assert len(ALL) >= 400
    per_lang = Counter(p.lang for p in ALL)
    assert all(per_lang[lang] >= 100 for lang in ("en", "fr", "es", "tl")), per_lang
    assert {(p.lang, p.kind) for p in ALL} == {
        (lang, kind) for lang in ("en", "fr", "es", "tl") for kind in ("suicide", "danger", "calm")
    }
    assert 0.15 <= len(HELD_OUT) / len(ALL) <= 0.3, len(HELD_OUT) / len(ALL)  # 408 of 2,065 after round 4
    assert any(p.session != p.lang for p in ALL)  # cross-language cases


@pytest.mark.parametrize("phrase", [p for p in TUNED if p.kind != "calm"], ids=str)
def test_every_tuned_crisis_phrase_opens_its_screen(content: Content, phrase: Phrase) -> None:
    """A tuned crisis phrase, typed on the menu in any chat language, opens its own crisis screen and acts (danger
    is always now: its screen puts 911 first)."""
    turn = said(content, phrase)
    expected = "suicide_now" if phrase.now and phrase.kind == "suicide" else SCREEN[phrase.kind]
    shown = screen_of(content, turn)
    assert shown == expected or (phrase.kind == "suicide" and shown == "suicide_now"), shown
    danger = [a for a in turn.actions if a.name == "danger"]
    assert danger
    assert danger[0].get("kind") == phrase.kind
    assert ("count", (("name", f"danger_words:{shown}"),)) in [(a.name, a.args) for a in turn.actions]


@pytest.mark.parametrize("phrase", [p for p in TUNED if p.kind == "calm"], ids=str)
def test_no_tuned_calm_phrase_raises_the_alarm(content: Content, phrase: Phrase) -> None:
    """An idiom or an ordinary request goes on to the flows or the search, never to a crisis screen."""
    turn = said(content, phrase)
    assert screen_of(content, turn) == "calm"
    assert not [a for a in turn.actions if a.name == "danger"]


def test_held_out_phrases_clear_the_floors(content: Content, capsys: pytest.CaptureFixture[str]) -> None:
    """Held-out crisis phrases are heard at least HELD_OUT_RECALL of the time, calm ones alarm at most
    HELD_OUT_FALSE_ALARMS of the time; the figures per language are printed."""
    heard: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for phrase in HELD_OUT:
        total[phrase.lang, phrase.kind] += 1
        shown = screen_of(content, said(content, phrase))
        right = {"calm": shown != "calm", "danger": shown == "danger", "suicide": shown.startswith("suicide")}
        heard[phrase.lang, phrase.kind] += right[phrase.kind]
    with capsys.disabled():
        print("\nheld-out: heard / phrases (calm: false alarms)")
        for key in sorted(total):
            print(f"  {key[0]} {key[1]:8} {heard[key]:3} / {total[key]}")
    crisis = [k for k in total if k[1] != "calm"]
    calm = [k for k in total if k[1] == "calm"]
    recall = sum(heard[k] for k in crisis) / sum(total[k] for k in crisis)
    false_alarms = sum(heard[k] for k in calm) / sum(total[k] for k in calm)
    assert recall >= HELD_OUT_RECALL, recall
    assert false_alarms <= HELD_OUT_FALSE_ALARMS, false_alarms


def test_crisis_is_heard_in_a_questions_answer_and_the_answer_is_not_kept(content: Content) -> None:
    """A crisis phrase typed as the answer to a free-text question opens the crisis screen instead of being
    saved as the answer."""
    question = next(n for n in content.flows.nodes.values() if n.kind == "question" and n.save)
    phrase = Phrase("i want to kill myself", "en", "suicide", False, "en", False)
    turn = said(content, phrase, node=question.id)
    assert screen_of(content, turn) == "suicide"
    assert question.save not in dict(turn.session.vars)


@pytest.mark.parametrize("lang", ["en", "fr", "es", "tl"])
def test_the_suicide_answer_puts_988_and_the_distress_centre_first(content: Content, lang: str) -> None:
    """The suicide screen starts with 988 and the Distress Centre, keeps 911 after them, sources last, and keeps
    the buttons: a person, can't talk now, steps to stay safer, the menu."""
    turn = said(content, Phrase("kms", "en", "suicide", False, lang, False))
    text = turn.replies[0].text
    assert text.index("988") < text.index("403-266-4357") < text.index("911")
    assert text.rstrip().endswith(")")
    assert text.rfind("(") > text.index("911")
    targets = [b.data for row in turn.replies[0].buttons for b in row]
    assert any(d.endswith("|0") for d in targets)
    assert "m" in targets
    assert len(targets) >= 5


@pytest.mark.parametrize("lang", ["en", "fr", "es", "tl"])
def test_happening_now_and_danger_put_911_first(content: Content, lang: str) -> None:
    """ "Took all my pills" and "he has a knife" both answer with 911 before any other number."""
    for text in ("took all my pills", "he has a knife and hes outside"):
        reply = said(content, Phrase(text, "en", "suicide", False, lang, False)).replies[0].text
        first = min(reply.find(n) for n in ("911", "988", "403-266-4357", "310-1818") if n in reply)
        assert reply.find("911") == first, reply


def test_a_calm_phrase_never_silences_a_longer_crisis_phrase(content: Content) -> None:
    """ "Is killing me" is calm, yet "he is going to kill me" beside it is still heard as danger."""
    assert hear(content.danger, "this job is killing me") is None
    heard = hear(content.danger, "this job is killing me and my boss is going to kill me")
    assert heard is not None
    assert heard.kind == "danger"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my friend overdosed last year", None),
        ("my friend overdosed and now i want to too", "suicide"),
        ("my friend overdosed last year and now i want to die too", "suicide"),
        ("my ex used to hit me", None),
        ("my ex used to hit me and now he is outside with a knife", "danger"),
        ("ang init, parang papatayin ako ng araw", None),
        ("papatayin ako ng amo ko", "danger"),
        ("mi ex me amenazaba hace años", None),
        ("mi ex me amenaza", "danger"),
        ("my phone is about to die", None),
        ("my phone is about to die and so am i, i took all my pills", "suicide"),
    ],
)
def test_a_calm_net_silences_only_the_words_it_spans(content: Content, text: str, kind: str | None) -> None:
    """A calm net ("my friend ... overdosed ... last year") keeps the crisis words inside it calm, never a
    present crisis beside it or the same words without its other parts."""
    heard = hear(content.danger, text)
    assert (heard.kind if heard else None) == kind


def test_every_language_is_heard_in_every_chat(content: Content) -> None:
    """The same phrase is heard whatever language the chat is in (people switch languages under stress)."""
    for lang in content.languages:
        for text in ("me quiero matar", "je veux mourir", "papatayin niya ako", "i want to die"):
            assert screen_of(content, said(content, Phrase(text, "en", "suicide", False, lang, False))) != "calm"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my boss is gonna kill me lol", None),  # a threat beside a joke marker stays calm
        ("haha my coach will kill me if i skip practice", None),
        ("mi jefa me va a matar jajaja", None),
        ("papatayin ako ng kuya ko haha", None),
        ("lol i want to die", "suicide"),  # never a suicide phrase: people hide it behind a laugh
        ("mdr je vais me tuer", "suicide"),
        ("he has a knife lol", "danger"),  # nor a weapon, being locked in, being hit
        ("lol they locked me in", "danger"),
        ("my boss is gonna kill me", "danger"),  # without the marker the threat alarms
    ],
)
def test_a_joke_marker_keeps_a_threat_calm_and_nothing_else(content: Content, text: str, kind: str | None) -> None:
    """ "lol", "haha", "if im late" silence a threat from someone ("gonna kill me"), never suicide or other
    danger."""
    heard = hear(content.danger, text)
    assert (heard.kind if heard else None) == kind, heard


@pytest.mark.parametrize(
    ("text", "now"),
    [("i took 12 tylenol", True), ("took 5 pills", True), ("i took 2 tylenol", None), ("took 4 advil", None)],
)
def test_a_number_from_five_up_is_a_quantity_and_a_dose_is_not(content: Content, text: str, now: bool | None) -> None:
    """ "Took 12 tylenol" is an overdose happening now; "took 2 tylenol" is a dose."""
    heard = hear(content.danger, text)
    assert (heard.now if heard else None) == now, heard


def test_a_very_long_number_is_read_without_error(content: Content) -> None:
    """A number of thousands of digits is one quantity, not a crash."""
    heard = hear(content.danger, f"took {'9' * 5000} pills")
    assert heard is not None
    assert heard.now


def test_a_net_hears_its_parts_in_order_and_within_its_window() -> None:
    """A net of three parts is heard only with each part after the one before, within `within` words."""
    words = build(
        {"suicide": {"en": ("kill myself",)}}, {}, (Combo("threat", "en", (("he",), ("will",), ("hurt me",)), 1),)
    )
    assert hear(words, "he will hurt me") is not None
    assert hear(words, "he really will really hurt me") is not None
    assert hear(words, "he really truly will hurt me") is None  # two words between two parts: too far
    assert hear(words, "hurt me he will") is None  # out of order


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sinaktan niya ako", "danger"),  # hurt: completed, ongoing, future
        ("sinasaktan niya ako", "danger"),
        ("sasaktan niya ako", "danger"),
        ("magpapakamatay na ako", "suicide"),  # kill oneself: future, completed
        ("nagpakamatay ako muntik na", "suicide"),
        ("bubugbugin niya ako", "danger"),  # beat up
        ("nasaktan ako sa sinabi niya", None),  # got hurt (stative) is not hurt by someone
        ("patay gutom na kami", None),  # a bare root as typed: dead (starving), not "will kill"
        ("namatay yung aso namin", None),  # died is not killed oneself
        ("nasa kulungan ang kuya ko", None),  # in jail is not locked in
    ],
)
def test_tagalog_forms_are_heard_by_their_root(content: Content, text: str, kind: str | None) -> None:
    """A Tagalog verb is heard in every aspect, and the stative or bare forms stay apart."""
    heard = hear(content.danger, text)
    assert (heard.kind if heard else None) == kind, heard


@pytest.mark.parametrize(
    ("text", "kind"),
    [("ayoko na", "suicide"), ("Ayoko na po...", "suicide"), ("ayoko na ng adobo", None), ("i give up", "suicide")],
)
def test_an_alone_phrase_alarms_only_as_the_whole_message(content: Content, text: str, kind: str | None) -> None:
    """ "Ayoko na" (I don't want to anymore) alone is heard as suicide; inside a request it is not."""
    heard = hear(content.danger, text)
    assert (heard.kind if heard else None) == kind, heard


@pytest.mark.parametrize(
    "text",
    [
        "je suis enervee",  # énervée (upset), not enfermée (locked in)
        "une femme voilee",  # voilée (veiled), not violée
        "je me suis sacrifiee pour mes enfants",  # sacrifiée, not scarifiée
        "puedes contarme mas",  # contarme (tell me), not cortarme
        "estoy enferma",  # sick (Spanish), not enfermée (French)
        "necesito una enfermera",
        "busco trabajo de auxiliar de limpieza",  # auxiliar (assistant), not auxilio (help!)
    ],
)
def test_a_real_word_is_never_taken_for_a_typo_of_a_crisis_word(content: Content, text: str) -> None:
    """A word typed without its accents, or a verb with a pronoun joined on, is a real word: no typo is
    forgiven into a crisis word ("enervee" is "énervée", not "enfermée")."""
    assert hear(content.danger, text) is None


def test_a_typo_in_a_crisis_word_is_still_forgiven(content: Content) -> None:
    """ "Sucide", "kil myslef", "suicidarmee" are typos no dictionary knows: they are heard."""
    for text in ("sucide", "im gonna kil myslef", "quiero suicidarmee", "gusto ko mgpakamatay"):
        assert hear(content.danger, text) is not None, text


def calm_first(text: str, phrase: str) -> str:
    """danger-words.yaml's text with `phrase` first in the English calm list."""
    return text.replace("\ncalm:\n  en: [", f"\ncalm:\n  en: [{phrase}, ", 1)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    return folder


def _load(folder: Path) -> list[str]:
    _, problems = load_danger_words(folder / "danger-words.yaml", "flows/danger-words.yaml", ("en", "fr", "es", "tl"))
    return [str(p) for p in problems]


def test_the_shipped_words_have_no_problem() -> None:
    """flows/danger-words.yaml passes its schema and every meaning check."""
    assert _load(ROOT / "flows") == []


def test_a_phrase_that_a_calm_phrase_silences_is_refused_with_its_line(tmp_path: Path) -> None:
    """A crisis phrase covered by a calm phrase could never be heard: the error names its line and the fix."""
    folder = _copy(tmp_path)
    path = folder / "danger-words.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(calm_first(text, "want to die"), encoding="utf-8")
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if "want to die," in row)
    problems = _load(folder)
    assert any(
        p.startswith(f"flows/danger-words.yaml:{line}:") and "is also in the calm list" in p for p in problems
    ), problems


def test_a_missing_language_and_an_unknown_key_are_refused(tmp_path: Path) -> None:
    """No danger phrases in a language of bot.yaml, or a misspelt list name, are errors naming the place."""
    folder = _copy(tmp_path)
    path = folder / "danger-words.yaml"
    (path).write_text(
        "suicide:\n  en: [want to die]\n  fr: [veux mourir]\n  es: [quiero morir]\n"
        "  tl: [magpakamatay]\ndanger:\n  en: [has a gun]\nclam:\n  en: [kill time]\n"
    )
    problems = _load(folder)
    assert any(p.startswith("flows/danger-words.yaml:8:1:") and "'clam'" in p for p in problems), problems
    path.write_text(
        "suicide:\n  en: [want to die]\n  fr: [veux mourir]\n  es: [quiero morir]\n"
        "  tl: [magpakamatay]\ndanger:\n  en: [has a gun]\n"
    )
    problems = _load(folder)
    assert any(p.startswith("flows/danger-words.yaml:6:1:") and "no phrases in 'fr'" in p for p in problems)


def test_a_calm_phrase_that_alarms_and_a_too_short_word_are_refused(tmp_path: Path) -> None:
    """A calm phrase that itself raises the alarm, and a two-letter crisis word, are refused with the fix."""
    folder = _copy(tmp_path)
    path = folder / "danger-words.yaml"
    text = path.read_text(encoding="utf-8")
    text = calm_first(text, "quiero morir lol")
    text = text.replace("  en: [kill myself,", "  en: [od, kill myself,")
    path.write_text(text, encoding="utf-8")
    problems = _load(folder)
    assert any("'quiero morir lol' would raise the alarm itself" in p and "'es'" in p for p in problems), problems
    assert any("'od' is one word shorter than 3 letters" in p for p in problems), problems


def test_a_joke_marker_that_alarms_and_a_net_of_one_part_are_refused(tmp_path: Path) -> None:
    """A joke marker with crisis words in it, and a net with a single part, are errors naming their place."""
    folder = _copy(tmp_path)
    path = folder / "danger-words.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("\njoke:\n  en: [", "\njoke:\n  en: [lol i want to die, ", 1)
    path.write_text(text, encoding="utf-8")
    problems = _load(folder)
    assert any("'lol i want to die' would raise the alarm itself" in p for p in problems), problems
    one = "combine:\n  - kind: suicide\n    lang: en\n    parts:\n      - [want]\n"
    start = text.index("combine:\n")
    path.write_text(text[:start] + one + text[text.index("# calm:") :], encoding="utf-8")
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.strip() == "- [want]")
    problems = _load(folder)
    assert any(p.startswith(f"flows/danger-words.yaml:{line}:") and "too short" in p for p in problems), problems


def test_check_prints_the_danger_words_problems(tmp_path: Path) -> None:
    """`python -m bot check` on a broken copy prints file:line:col for the danger words and exits 1."""
    folder = _copy(tmp_path)
    path = folder / "danger-words.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(calm_first(text, "kill myself"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"BOT_FLOWS_DIR": str(folder), "BOT_RESOURCES_DIR": str(ROOT / "resources"), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert re.search(
        r"flows/danger-words\.yaml:\d+:\d+: list 'suicide\.en': 'kill myself' is also in the calm list", done.stdout
    ), done.stdout


def test_loading_builds_the_index_once(content: Content) -> None:
    """The loaded content carries the built index: hearing needs no file and no download."""
    loaded, _problems = load_content(ROOT / "flows", ROOT / "resources")
    assert loaded is not None
    assert loaded.danger.indexes
    assert {i.lang for i in loaded.danger.indexes} == {"en", "fr", "es", "tl"}


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_crisis_in_a_live_handoff_marks_the_topic_and_answers_the_person(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """On the warm line, through the real bot: an idiom is only relayed; "took all my pills" is relayed, marks the
    topic urgent and brings the person 911 first; Spanish in an English chat brings 988 first."""
    words, problems = load_warmline(ROOT / "flows" / "warmline.yaml")
    assert words is not None, problems
    running = await start(botapi, tmp_path, content, always_open(words))
    try:
        await on_duty(botapi, SAM)
        alice = person(botapi, 1001)
        await taken(botapi, alice, words)
        alice.send("this job is killing me")
        await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 1)
        assert botapi.calls_to("editForumTopic") == []
        alice.send("took all my pills")
        await botapi.wait_for_call("editForumTopic")
        assert botapi.calls_to("editForumTopic")[0].params["name"].startswith("⚠")
        now = await wait_text(botapi, alice.id, first_line(content, "suicide_now", "en"))
        assert now["text"].index("911") < now["text"].index("988")
        alice.send("me quiero matar")
        later = await wait_text(botapi, alice.id, first_line(content, "suicide", "en"))
        assert later["text"].index("988") < later["text"].index("911")
        await botapi.wait_for(lambda: len(copies_to(botapi, GROUP)) == 3)
    finally:
        await running.halt()
    assert_anonymous(botapi)


async def test_an_edited_message_or_a_caption_with_danger_words_gets_the_crisis_answer(
    botapi: BotApiServer, tmp_path: Path, content: Content
) -> None:
    """Through the real bot: a message edited to say danger, or a photo captioned with it, brings the crisis
    screen (911 first for a knife); an edit or a caption without danger words is only told what the bot reads."""
    running = await start_bot(botapi, tmp_path / "data", content)
    try:
        alice = person(botapi, 1001)
        sent = alice.send("/start")
        await botapi.wait_for_messages(alice.id, 1)
        alice.edit(sent["message_id"], "hes outside with a knife")
        danger = await wait_text(botapi, alice.id, first_line(content, "danger", "en"))
        numbers = [danger["text"].find(n) for n in ("911", "988", "403-266-4357", "310-1818") if n in danger["text"]]
        assert danger["text"].find("911") == min(numbers)
        size = {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}
        botapi.enqueue({"message": alice._message(None, photo=[size], caption="quiero morirme")})
        await wait_text(botapi, alice.id, first_line(content, "suicide", "en"))
        before = len(botapi.messages(alice.id))
        botapi.enqueue({"message": alice._message(None, photo=[size], caption="my new place")})
        alice.edit(sent["message_id"], "where can i sleep")
        messages = await botapi.wait_for_messages(alice.id, before + 2)
        assert all(content.text("unsupported", "en") in m["text"] for m in messages[before:])
    finally:
        await running.halt()
