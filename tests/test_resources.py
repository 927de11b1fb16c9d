"""The resource directory loads, every fact passes its checks, and broken files say exactly what is wrong."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.core.problems import Problem
from bot.core.vocabulary import CATEGORIES
from bot.directory.resources import LANGUAGES, NOT_DIRECTORY_FILES, Directory, load_directory, normalize_phone

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
BROKEN = Path(__file__).resolve().parent / "broken_resources"
TODAY = date(2026, 11, 28)
DIRECTORY_FILES = sorted(p for p in RESOURCES.glob("*.yaml") if p.name not in NOT_DIRECTORY_FILES)

# Numbers the facts file holds only as `lead_unverified`, as a typo, or as replaced: never published.
UNPUBLISHABLE = (
    "403-264-8336",
    "587-333-2724",
    "403-263-5707",
    "403-234-7388",
    "403-262-2006",
    "403-263-4414",
    "403-270-7379",
    "403-234-9266",
    "403-237-8477",
    "403-237-5888",
    "403-508-2500",
    "1-833-456-4566",
    "1-855-443-5722",
    "1-866-402-8000",
)


@pytest.fixture(scope="module")
def loaded() -> tuple[Directory, list[Problem]]:
    return load_directory(RESOURCES, today=TODAY)


def test_real_directory_has_no_errors(loaded: tuple[Directory, list[Problem]]) -> None:
    """The shipped directory loads without a single error (warnings are allowed: they ask staff to re-check)."""
    _, problems = loaded
    assert [str(p) for p in problems if p.is_error] == []


def test_directory_is_large_enough_and_covers_every_category(loaded: tuple[Directory, list[Problem]]) -> None:
    """At least 45 services, and every category in the vocabulary has at least one."""
    directory, _ = loaded
    assert len(directory) >= 45
    covered = {c for r in directory.resources for c in r.categories}
    assert set(CATEGORIES) <= covered


def test_schema_lists_exactly_the_vocabulary() -> None:
    """The schema's category enum (editor completion) matches bot/core/vocabulary.py."""
    schema = json.loads((RESOURCES / "schema.json").read_text())
    assert schema["$defs"]["resource"]["properties"]["categories"]["items"]["enum"] == list(CATEGORIES)


@pytest.mark.parametrize("path", DIRECTORY_FILES, ids=lambda p: p.name)
def test_every_directory_file_names_its_schema(path: Path) -> None:
    """Each directory file starts with the yaml-language-server line, so editors complete and check fields."""
    assert path.read_text(encoding="utf-8").splitlines()[0] == "# yaml-language-server: $schema=schema.json"


def test_ids_are_unique_and_every_service_can_be_reached(loaded: tuple[Directory, list[Problem]]) -> None:
    """No two services share an id, and each has a contact or a public address."""
    directory, _ = loaded
    ids = [r.id for r in directory.resources]
    assert len(ids) == len(set(ids))
    assert [r.id for r in directory.resources if not r.contacts and not r.address] == []


def test_summaries_are_translated(loaded: tuple[Directory, list[Problem]]) -> None:
    """Every summary exists in every language and is not a copy of the English one."""
    directory, _ = loaded
    for resource in directory.resources:
        texts = dict(resource.summary)
        assert set(texts) == set(LANGUAGES), resource.id
        assert all(texts[lang] != texts["en"] for lang in LANGUAGES if lang != "en"), resource.id


def test_no_unverified_number_is_published(loaded: tuple[Directory, list[Problem]]) -> None:
    """Numbers that exist only as unverified leads (or typos, or retired lines) never appear as contacts."""
    directory, _ = loaded
    unpublishable = {re.sub(r"\D", "", n)[-10:] for n in UNPUBLISHABLE}
    published = {re.sub(r"\D", "", c.dial)[-10:] for r in directory.resources for c in r.contacts if c.dial}
    assert published & unpublishable == set()


def test_no_shelter_address_is_published(loaded: tuple[Directory, list[Problem]]) -> None:
    """A service in the shelter category never carries an address."""
    directory, _ = loaded
    assert [r.id for r in directory.resources if "shelter" in r.categories and r.address] == []


def test_hours_parse_and_are_kept(loaded: tuple[Directory, list[Problem]]) -> None:
    """Every service with hours has them parsed once, at load time."""
    directory, _ = loaded
    assert all(r.schedule is not None for r in directory.resources if r.hours)
    assert any(r.hours == "24/7" for r in directory.resources)


def test_stale_verifications_are_warnings(loaded: tuple[Directory, list[Problem]]) -> None:
    """Facts verified more than 12 months ago are flagged as warnings naming the resource."""
    _, problems = loaded
    stale = [p for p in problems if "more than 12 months old" in p.message]
    assert stale
    assert all(p.severity == "warning" and p.subject == "resource" for p in stale)


def test_search_words_cover_every_category_in_every_language(loaded: tuple[Directory, list[Problem]]) -> None:
    """search.yaml gives everyday words for each category in en, fr, es and tl."""
    directory, problems = loaded
    assert [str(p) for p in problems if p.path.endswith("search.yaml")] == []
    for category in CATEGORIES:
        assert {lang for lang, words in directory.lexicon.words_for(category) if words} == set(LANGUAGES), category


def test_get_finds_a_service_by_id(loaded: tuple[Directory, list[Problem]]) -> None:
    """Directory.get returns the service with that id, or None."""
    directory, _ = loaded
    assert directory.get("alberta-211") is directory.resources[[r.id for r in directory.resources].index("alberta-211")]
    assert directory.get("no-such-service") is None


def test_labels_have_every_key_in_every_language(loaded: tuple[Directory, list[Problem]]) -> None:
    """labels.yaml gives each language every English key with the same placeholders."""
    directory, problems = loaded
    assert [str(p) for p in problems if p.path.endswith("labels.yaml")] == []
    assert set(directory.labels.words) >= set(LANGUAGES)


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("911", "911"),
        ("211", "211"),
        ("811", "811"),
        ("988", "988"),
        ("686868", "686868"),
        ("310-1818", "310-1818"),
        ("310-7267", "310-7267"),
        ("1-833-900-1010", "+1 833 900 1010"),
        ("403-266-HELP", "+1 403 266 4357"),
        ("(403) 234-7233", "+1 403 234 7233"),
        ("40", None),
        ("1-800-1", None),
        ("403-12", None),
        ("403-266-12", None),
    ],
)
def test_phone_numbers_are_normalized(written: str, shown: str | None) -> None:
    """Short codes stay short, 310- numbers keep their form, long numbers become +1 NPA NXX XXXX."""
    result = normalize_phone(written)
    assert (result[0] if result else None) == shown


def test_problem_prints_file_line_column_and_resource() -> None:
    """A Problem reads like a compiler message; warnings say so."""
    error = Problem("resources/lines.yaml", 12, 5, "x", "is wrong", "error", "resource")
    warning = Problem("resources/lines.yaml", 12, 5, "x", "is old", "warning", "resource")
    assert str(error) == "resources/lines.yaml:12:5: resource 'x': is wrong"
    assert str(warning) == "resources/lines.yaml:12:5: warning: resource 'x': is old"


def _expected(path: Path) -> list[str]:
    return [line.removeprefix("# expect: ") for line in path.read_text().splitlines() if line.startswith("# expect: ")]


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_resource_files_give_exact_messages(path: Path, tmp_path: Path) -> None:
    """Each deliberately broken file gives exactly the problems written at its end, and no broken resource
    is accepted."""
    folder = tmp_path / "resources"
    folder.mkdir()
    for name in ("labels.yaml", "search.yaml"):
        shutil.copy(RESOURCES / name, folder / name)
    shutil.copy(path, folder / path.name)
    directory, problems = load_directory(folder, today=TODAY)
    assert [str(p) for p in problems] == _expected(path)
    if any(p.is_error for p in problems) and path.stem != "duplicate_id":
        assert len(directory) == 0
