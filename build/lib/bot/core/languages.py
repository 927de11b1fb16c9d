"""The one list of languages: `languages:` in flows/bot.yaml. Every staff file is checked against it.

read_languages(Path("flows")) -> ("en", "fr", "es", "tl")
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.core.yamlfile import read_yaml

CONFIG_FILE = "bot.yaml"
_CHECKOUT = Path(__file__).resolve().parents[2]
FALLBACK = ("en",)  # a bot.yaml that names no languages


def default_flows() -> Path:
    """The flows/ folder the bot runs by default, as bot.settings finds it: the checkout's, or (installed from a
    wheel) the working directory's."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "flows").is_dir():
        return _CHECKOUT / "flows"
    return Path.cwd() / "flows"


SHIPPED_FLOWS = default_flows()  # at import: the folder `check` and the bot read when BOT_FLOWS_DIR is unset


def languages_of(config: Any) -> tuple[str, ...]:
    """The languages a parsed bot.yaml declares."""
    data = config if isinstance(config, Mapping) else {}
    return tuple(str(x) for x in data.get("languages") or FALLBACK)


def read_languages(folder: Path = SHIPPED_FLOWS) -> tuple[str, ...]:
    """The languages folder/bot.yaml declares. A folder without a bot.yaml (one staff file checked on its own)
    is checked against the shipped flows/bot.yaml."""
    for path in (folder / CONFIG_FILE, SHIPPED_FLOWS / CONFIG_FILE):
        if path.is_file():
            data, _, _ = read_yaml(path, str(path))
            return languages_of(data)
    return FALLBACK
