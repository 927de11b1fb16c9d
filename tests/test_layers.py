"""The layers of docs/architecture.md, held: every import in bot/ points down the stack, and no two modules
import each other, however deferred (inside a function or under TYPE_CHECKING)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
# Top to bottom, as docs/architecture.md draws them: a module may import its own layer and those below it.
LAYERS = (
    "bot.cli",
    "bot.channels",
    "bot.settings",
    "bot.staff",
    "bot.runtime",
    "bot.warmline",
    "bot.conversation",
    "bot.content",
    "bot.directory",
    "bot.store",
    "bot.core",
)
# Known upward imports, each with the move that ends it (this list only shrinks): the loader still reads the small-talk,
# other-language and crisis words through the conversation modules that hear them; their loading belongs in content/, as
# privacywords.py and warmlinetext.py did for /privacy's and the warm line's words.
KNOWN_UPWARD = {
    ("bot.content.loader", "bot.conversation.smalltalk"),
    ("bot.content.loader", "bot.conversation.otherlang"),
    ("bot.content.loader", "bot.conversation.dangerwords"),
    ("bot.content.loader", "bot.conversation.safety"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every bot module `path` imports, at any depth of the file (a module, or a package's module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            for alias in node.names:
                sub = BOT.parent.joinpath(*f"{node.module}.{alias.name}".split("."))
                is_module = sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file()
                found.add(f"{node.module}.{alias.name}" if is_module else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bot"))
    return found


def layer(module: str) -> int | None:
    return next((i for i, top in enumerate(LAYERS) if module == top or module.startswith(f"{top}.")), None)


GRAPH = {module_name(p): imports(p) for p in sorted(BOT.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module: str) -> None:
    """A module imports only its own layer and the layers below it (no upward import, not even a deferred one)."""
    here = layer(module)
    if here is None:  # bot/__init__.py, bot/__main__.py
        return
    upward = sorted(
        m for m in GRAPH[module] if (there := layer(m)) is not None and there < here and (module, m) not in KNOWN_UPWARD
    )
    assert upward == [], f"{module} imports {upward}, above it in docs/architecture.md's layers"


def test_every_package_has_a_layer() -> None:
    """A new package under bot/ is placed in the layers (and in docs/architecture.md) before it is used."""
    packages = {module_name(p.parent / "__init__.py") for p in BOT.glob("*/__init__.py")}
    modules = {module_name(p) for p in BOT.glob("*.py")} - {"bot", "bot.__main__"}
    assert {m for m in packages | modules if layer(m) is None} == set()


def test_the_known_upward_imports_still_exist() -> None:
    """An exception that no longer matches is deleted from KNOWN_UPWARD, so the list cannot hide a new one."""
    assert {(a, b) for a, b in KNOWN_UPWARD if b not in GRAPH.get(a, set())} == set()


def test_no_import_cycles() -> None:
    """No module reaches itself through imports: the three hidden cycles of the flat layout are gone."""
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(GRAPH.get(module, ())):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target in GRAPH and target not in seen:
                visit(target, [*path, target])
        seen.add(module)

    seen: set[str] = set()
    for module in sorted(GRAPH):
        visit(module, [module])
    assert cycles == []
