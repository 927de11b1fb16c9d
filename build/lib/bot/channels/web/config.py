"""The web chat's settings, read from the same environ mapping as every other setting (Settings.extra).

WEB_HOST, WEB_PORT are DESIGN.md's contract; the rest have safe defaults and are described in docs/web-chat.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.settings import Settings, SettingsError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# Where Quick exit goes: a page that looks like ordinary browsing. Operators can choose another (WEB_EXIT_URL).
DEFAULT_EXIT_URL = "https://www.google.com/search?q=weather+calgary"


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How the web chat listens and behaves."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    exit_url: str = DEFAULT_EXIT_URL
    trust_proxy: bool = False  # honour X-Forwarded-Proto (only behind a reverse proxy that sets it)
    warn_minutes: int = 15  # quiet this long: the page says the chat will close
    close_minutes: int = 20  # quiet this long: the chat closes and is erased
    max_chats: int = 5000  # open chats at once (memory), past that a calm "try again in a minute"

    @classmethod
    def from_settings(cls, settings: Settings) -> WebSettings:
        env = settings.extra
        warn = _int(env, "WEB_WARN_MINUTES", 15)
        close = _int(env, "WEB_CLOSE_MINUTES", 20)
        if not 0 < warn < close:
            raise SettingsError(
                "Settings 'WEB_WARN_MINUTES' and 'WEB_CLOSE_MINUTES' must be whole minutes with "
                f"0 < warn < close, not {warn} and {close}."
            )
        exit_url = env.get("WEB_EXIT_URL", "").strip() or DEFAULT_EXIT_URL
        if not exit_url.startswith(("https://", "http://")):
            raise SettingsError(f"Setting 'WEB_EXIT_URL' must be a web address (https://...), not {exit_url!r}.")
        return cls(
            host=env.get("WEB_HOST", "").strip() or DEFAULT_HOST,
            port=_int(env, "WEB_PORT", DEFAULT_PORT),
            exit_url=exit_url,
            trust_proxy=env.get("WEB_TRUST_PROXY", "").strip().lower() in ("1", "true", "yes"),
            warn_minutes=warn,
            close_minutes=close,
            max_chats=_int(env, "WEB_MAX_CHATS", 5000),
        )


def wanted_beside_telegram(settings: Settings) -> bool:
    """`run` serves the web chat too only when WEB_PORT is set (DESIGN.md)."""
    return bool(settings.extra.get("WEB_PORT", "").strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"Setting '{name}' must be a whole number, not {raw!r}.") from None
