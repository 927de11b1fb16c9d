"""Settings, read once from an environ mapping (tests pass a dict); a `.env` file in the working directory is read too.

Names and defaults are the contract in DESIGN.md; an error names the setting and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.core.vocabulary import TIMEZONE_DEFAULT

ROOT = Path(__file__).resolve().parent.parent


def content_root() -> Path:
    """Where flows/ and resources/ are when BOT_FLOWS_DIR / BOT_RESOURCES_DIR are unset: the checkout the code
    runs from, or else (an installed wheel) the working directory, the folder staff keep their copy in."""
    if (ROOT / "pyproject.toml").is_file() and (ROOT / "flows").is_dir():
        return ROOT
    return Path.cwd()


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE pairs from a .env file, by python-dotenv's rules (comments, `export`, quotes, `PORT=8443 # note`).

    ${VAR} is kept as written, not expanded: settings come from the mapping they are given, never from the
    process environment behind a test's back. A name without `=` is ignored.
    """
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path, interpolate=False).items() if value is not None}


def bot_api_url(raw: str) -> str:
    """TELEGRAM_BASE_URL as python-telegram-bot's base_url ("http://127.0.0.1:8081/bot"); the server's bare
    address ("http://127.0.0.1:8081", as the self-hosted Bot API server's docs give it) gets its "/bot" added."""
    url = raw.strip().rstrip("/")
    if not url:
        return ""
    if "://" not in url:
        raise SettingsError(f"Setting 'TELEGRAM_BASE_URL' must be a URL like http://127.0.0.1:8081/bot, not {raw!r}.")
    return url if url.endswith("/bot") else f"{url}/bot"


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"Setting '{name}' must be a whole number, not {raw!r}.") from None


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"Setting '{name}' must be a number, not {raw!r}.") from None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    """A yes/no setting: 1, true or yes (any case) is on; anything else, or unset, is off."""
    return environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _chat_ids(raw: str) -> tuple[int, ...]:
    ids: list[int] = []
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        try:
            ids.append(int(part))
        except ValueError:
            raise SettingsError(
                f"Setting 'WARMLINE_CHAT_ID' must be one or more chat ids like -1001234567890, "
                f"comma-separated; {part!r} is not a chat id."
            ) from None
    return tuple(ids)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment, with DESIGN.md's defaults."""

    token: str = field(default="", repr=False)  # never in a repr, a log line or a traceback's locals
    base_url: str = ""
    warmline_chat_ids: tuple[int, ...] = ()
    data_dir: Path = Path("data")
    webhook_url: str = ""
    port: int = 8443
    timezone: str = TIMEZONE_DEFAULT
    rate_limit: float = 30.0
    flows_dir: Path = field(default_factory=lambda: content_root() / "flows")
    resources_dir: Path = field(default_factory=lambda: content_root() / "resources")
    session_days: int = 30
    handoff_days: int = 7
    keep_topics: bool = False  # WARMLINE_KEEP_TOPICS=1: warm-line topics are closed, never deleted (people are told)
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)  # the whole environment: secrets too

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Settings:
        """Build settings from `environ` (default: os.environ) over the values in `.env` (default: ./.env)."""
        merged: dict[str, str] = read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env")
        merged.update(os.environ if environ is None else environ)
        return cls(
            token=merged.get("TELEGRAM_BOT_TOKEN", "").strip(),
            base_url=bot_api_url(merged.get("TELEGRAM_BASE_URL", "")),
            warmline_chat_ids=_chat_ids(merged.get("WARMLINE_CHAT_ID", "")),
            data_dir=Path(merged.get("BOT_DATA_DIR", "").strip() or "data"),
            webhook_url=merged.get("WEBHOOK_URL", "").strip(),
            port=_int(merged, "PORT", 8443),
            timezone=merged.get("BOT_TIMEZONE", "").strip() or TIMEZONE_DEFAULT,
            rate_limit=_float(merged, "TELEGRAM_RATE_LIMIT", 30.0),
            flows_dir=Path(merged.get("BOT_FLOWS_DIR", "").strip() or content_root() / "flows"),
            resources_dir=Path(merged.get("BOT_RESOURCES_DIR", "").strip() or content_root() / "resources"),
            session_days=_int(merged, "SESSION_RETENTION_DAYS", 30),
            handoff_days=_int(merged, "HANDOFF_RETENTION_DAYS", 7),
            keep_topics=_flag(merged, "WARMLINE_KEEP_TOPICS"),
            extra=merged,
        )

    def require_token(self) -> str:
        """The bot token, or a one-line error that names the setting and the offline alternative."""
        if not self.token:
            raise SettingsError(
                "Setting 'TELEGRAM_BOT_TOKEN' is missing: set it to the token from @BotFather "
                "(or put it in .env). To try the flows without Telegram, run: python -m bot chat"
            )
        return self.token
