"""Dependencies: each has an upper bound, and requirements.lock (made by .ci/lock) pins a version each allows."""

from __future__ import annotations

import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.settings import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(line) for line in PROJECT["dependencies"]]
EVERY = RUNTIME + [Requirement(line) for extra in PROJECT["optional-dependencies"].values() for line in extra]
LOCKED = {
    canonicalize_name(name): version
    for name, _, version in (
        line.partition("==") for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line
    )
}


@pytest.mark.parametrize("requirement", EVERY, ids=str)
def test_every_dependency_has_an_upper_bound(requirement: Requirement) -> None:
    """A new major version (or, for 0.x, minor) never arrives unannounced: each requirement has `<`."""
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), requirement


@pytest.mark.parametrize("requirement", RUNTIME, ids=str)
def test_the_lock_pins_each_runtime_dependency_within_its_range(requirement: Requirement) -> None:
    """requirements.lock holds every runtime dependency at a version pyproject allows (run .ci/lock if not)."""
    pinned = LOCKED.get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} is not in requirements.lock: run .ci/lock"
    assert requirement.specifier.contains(pinned), (
        f"{requirement.name}=={pinned} is outside {requirement}: run .ci/lock"
    )
