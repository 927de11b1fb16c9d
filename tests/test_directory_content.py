"""The shipped directory as content: every group and need covered, every entry sourced and honestly dated,
summaries in plain words (grade 7) kept in step across languages, and the freshness command working on a copy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from statistics import mean

import pytest
import textstat

from bot.directory.coverage import CELLS, coverage
from bot.directory.resources import LANGUAGES, UNDATED, Resource, load_directory
from bot.staff.verify import due, record_check

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 28)
DIRECTORY, PROBLEMS = load_directory(ROOT / "resources", today=TODAY)
MAX_SUMMARY_GRADE = 7
READ_ON = "2026-11"  # when calgary-facts.yaml was read from stored pages: never a check date
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


@pytest.mark.parametrize("cell", coverage(DIRECTORY), ids=lambda c: f"{c.group} x {c.need}")
def test_every_group_and_need_is_served(cell: object) -> None:
    """Each group x need cell of the report has at least one service that serves it."""
    assert not cell.empty, f"nothing serves {cell.group} x {cell.need}"  # type: ignore[attr-defined]


def test_coverage_has_every_cell_of_the_report() -> None:
    """The cells are the report's: men, trans, youth <18 and 18-24, women with children, away from violence,
    sex-worker support and harm reduction, 24/7 care after assault, peer support, Tagalog and Spanish work help,
    disability, Indigenous-led."""
    assert len(CELLS) == 14
    assert len({(group, need) for group, need, _ in CELLS}) == 14


@pytest.mark.parametrize("resource", DIRECTORY.resources, ids=lambda r: r.id)
def test_every_entry_has_a_source_and_an_honest_check_date(resource: Resource) -> None:
    """A web source, and `verified` is a real date no later than today (or `undated`), never the read date."""
    assert resource.sources
    assert all(url.startswith(("https://", "http://")) for url in resource.sources)
    assert resource.verified != READ_ON
    assert not resource.verified.startswith(f"{READ_ON}-")
    if resource.verified != UNDATED:
        checked = resource.verified_on
        assert checked is not None
        assert checked <= TODAY


def test_undated_entries_are_few_and_each_says_how_to_record_a_check() -> None:
    """Entries whose sources show no date are a small minority, and check tells staff to record a check."""
    undated = [r.id for r in DIRECTORY.resources if r.verified == UNDATED]
    print(f"\n{len(undated)} of {len(DIRECTORY)} entries undated: {', '.join(undated)}")
    assert len(undated) <= len(DIRECTORY) // 4
    told = {p.node for p in PROBLEMS if "verify --done" in p.message}
    assert set(undated) <= told


def test_summaries_read_at_grade_7_or_below(english_syllables: None) -> None:
    """Every English summary reads at Flesch-Kincaid grade 7 or below (the figure is printed)."""
    textstat.set_lang("en")
    grades = {r.id: textstat.flesch_kincaid_grade(r.summary_in("en")) for r in DIRECTORY.resources}
    print(
        f"\nsummaries: Flesch-Kincaid grade mean {mean(grades.values()):.1f}, max {max(grades.values()):.1f} "
        f"over {len(grades)} services"
    )
    assert {rid: grade for rid, grade in grades.items() if grade > MAX_SUMMARY_GRADE} == {}


def _sentences(text: str) -> int:
    return len(_SENTENCE_END.findall(text.strip() + " "))


@pytest.mark.parametrize("resource", DIRECTORY.resources, ids=lambda r: r.id)
def test_translations_keep_in_step_with_english(resource: Resource) -> None:
    """Each language says as many sentences as English, at a comparable length, in its own words."""
    english = resource.summary_in("en")
    for lang in LANGUAGES[1:]:
        own = dict(resource.summary)[lang]
        assert own != english, lang
        assert _sentences(own) == _sentences(english), (lang, own)
        assert 0.6 <= len(own) / len(english) <= 1.9, (lang, own)


def test_due_lists_undated_first_then_oldest() -> None:
    """The re-check list starts with entries never dated, then goes from the oldest check to the newest."""
    listed = due(DIRECTORY, TODAY)
    checked = [DIRECTORY.get(d.id).verified_on or date.min for d in listed]  # type: ignore[union-attr]
    assert checked == sorted(checked)
    assert all(DIRECTORY.get(d.id).is_stale(TODAY) for d in listed)  # type: ignore[union-attr]
    assert len(due(DIRECTORY, TODAY, everything=True)) == len(DIRECTORY)


def test_record_check_changes_only_that_entrys_verified_line() -> None:
    """Recording a check rewrites one `verified:` line and nothing else in the file."""
    text = (ROOT / "resources" / "lines.yaml").read_text(encoding="utf-8")
    changed = record_check(text, "alberta-211", date(2026, 11, 20))
    before, after = text.splitlines(), changed.splitlines()
    assert len(before) == len(after)
    diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert diff == [("  verified: 2026-02-13", "  verified: 2026-11-20")]


def test_verify_command_lists_due_and_records_a_check_on_a_copy(tmp_path: Path) -> None:
    """`python -m bot verify` lists due services with their links; `--done ID` records today and it is no
    longer due; check still passes on the edited copy."""
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", resources)
    env = {
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
        "BOT_RESOURCES_DIR": str(resources),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    listed = run("verify")
    assert listed.returncode == 0
    assert "emergency-911" in listed.stdout
    assert "https://alberta.ca/help-for-human-trafficking" in listed.stdout
    done = run("verify", "--done", "emergency-911", "--date", "2026-11-01")
    assert done.returncode == 0, done.stderr
    assert "emergency-911 verified 2026-11-01" in done.stdout
    assert "  verified: 2026-11-01" in (resources / "lines.yaml").read_text(encoding="utf-8")
    assert "emergency-911" not in run("verify").stdout
    assert run("verify", "--done", "no-such-service").returncode == 1
    assert run("check").returncode == 0


def test_check_prints_coverage_and_fails_when_a_cell_is_empty(tmp_path: Path) -> None:
    """`check` prints a coverage line per cell; removing the only 24/7 sexual-assault care makes it exit 1."""
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", resources)
    env = {
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
        "BOT_RESOURCES_DIR": str(resources),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0
    assert ok.stdout.count("coverage: ") == len(CELLS)
    community = resources / "community.yaml"
    care = "  eligibility: {any_age: true, any_gender: true}\n  cost: health_coverage"
    community.write_text(
        community.read_text(encoding="utf-8").replace(f"  hours: 24/7\n{care}", care), encoding="utf-8"
    )
    broken = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 1
    assert "nothing serves survivors of sexual assault x medical care 24/7" in broken.stdout


def test_search_json_carries_each_services_sources_and_check_date(capsys: pytest.CaptureFixture[str]) -> None:
    """Staff see where the facts come from: `search --json` gives each hit's sources and `verified`."""
    import json

    from bot.cli import main

    assert main(["search", "bed tonight", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    for row in rows:
        resource = DIRECTORY.get(row["id"])
        assert resource is not None
        assert row["sources"] == list(resource.sources)
        assert row["verified"] == resource.verified


LINES_THAT_CONNECT = {
    "alberta-211",
    "health-link-811",
    "human-trafficking-hotline",
    "one-line-sexual-violence",
    "kids-help-phone",
}


@pytest.mark.parametrize("resource", DIRECTORY.resources, ids=lambda r: r.id)
def test_a_line_that_connects_is_marked_as_such_on_other_cards(resource: Resource) -> None:
    """When a card gives 211, 811, the hotline, One Line or Kids Help Phone instead of the service's own number, the
    contact says "they connect you" (note: via), so no one mistakes it for the service's own line."""
    owners = {}
    for rid in LINES_THAT_CONNECT:
        line = DIRECTORY.get(rid)
        assert line is not None
        owners.update({c.dial: rid for c in line.contacts if c.kind == "phone"})
    for contact in resource.contacts:
        if contact.kind == "phone" and owners.get(contact.dial, resource.id) != resource.id:
            assert contact.note == "via", (resource.id, contact.value)
