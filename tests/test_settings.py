"""Settings: read once from a mapping (and .env), with DESIGN.md's defaults and errors that name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError

NO_DOTENV = Path("/nonexistent/.env")


def test_defaults_follow_the_design() -> None:
    """With nothing set, the defaults are DESIGN.md's: ./data, America/Edmonton, 30 messages a second, polling."""
    settings = Settings.from_environ({}, dotenv=NO_DOTENV)
    assert settings.data_dir == Path("data")
    assert settings.timezone == "America/Edmonton"
    assert settings.rate_limit == 30
    assert settings.webhook_url == ""
    assert settings.warmline_chat_ids == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"),
        ("https://api.example.org/bot/", "https://api.example.org/bot"),
        ("", ""),
    ],
)
def test_base_url_takes_the_servers_bare_address_too(raw: str, expected: str) -> None:
    """TELEGRAM_BASE_URL works as python-telegram-bot's base_url or as the Bot API server's bare address."""
    assert Settings.from_environ({"TELEGRAM_BASE_URL": raw}, dotenv=NO_DOTENV).base_url == expected


def test_several_warm_line_groups() -> None:
    """WARMLINE_CHAT_ID may list several groups, comma-separated."""
    settings = Settings.from_environ({"WARMLINE_CHAT_ID": "-1001, -1002"}, dotenv=NO_DOTENV)
    assert settings.warmline_chat_ids == (-1001, -1002)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WARMLINE_CHAT_ID", "my group"),
        ("PORT", "eighty"),
        ("TELEGRAM_RATE_LIMIT", "fast"),
        ("TELEGRAM_BASE_URL", "localhost"),
    ],
)
def test_a_malformed_setting_names_itself(name: str, value: str) -> None:
    """A malformed value is refused with a message that names the setting."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ({name: value}, dotenv=NO_DOTENV)


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    """A .env file is read (comments, export, quotes), and the real environment overrides it."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("# bot\nexport TELEGRAM_BOT_TOKEN='123:abc'\nBOT_DATA_DIR=/srv/nav\nPORT=9000\n")
    settings = Settings.from_environ({"PORT": "8080"}, dotenv=dotenv)
    assert settings.token == "123:abc"
    assert settings.data_dir == Path("/srv/nav")
    assert settings.port == 8080


def test_missing_token_names_the_setting_and_the_console() -> None:
    """Without a token, `run` is refused with one line naming TELEGRAM_BOT_TOKEN and `python -m bot chat`."""
    with pytest.raises(SettingsError, match=r"TELEGRAM_BOT_TOKEN.*python -m bot chat"):
        Settings.from_environ({}, dotenv=NO_DOTENV).require_token()


def test_repr_never_shows_the_token_or_the_environment() -> None:
    """repr and str of Settings (as a log line or a traceback would print them) hold no token and none of the
    environment's other values."""
    token = "7012345678:AAH-secret-token-value"
    settings = Settings.from_environ(
        {"TELEGRAM_BOT_TOKEN": token, "DATABASE_PASSWORD": "hunter2", "WARMLINE_CHAT_ID": "-1001"}, dotenv=NO_DOTENV
    )
    for shown in (repr(settings), str(settings), f"{settings}"):
        assert token not in shown
        assert "AAH-secret" not in shown
        assert "hunter2" not in shown
        assert "DATABASE_PASSWORD" not in shown
    assert "-1001" in repr(settings)  # the rest is still there to debug with


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("PORT=8443 # the webhook's port", 8443),
        ("PORT=8443", 8443),
        ('PORT="8443"  # quoted', 8443),
        ("export PORT=8443", 8443),
        ("PORT = 8443", 8443),
    ],
)
def test_dotenv_follows_python_dotenv_rules(tmp_path: Path, line: str, value: int) -> None:
    """A comment after a value, quotes, `export` and spaces around `=` read as python-dotenv reads them."""
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"# settings\n{line}\n")
    assert Settings.from_environ({}, dotenv=dotenv).port == value


def test_dotenv_keeps_hashes_inside_quotes_and_dollars_as_written(tmp_path: Path) -> None:
    """A `#` inside quotes is part of the value, and ${VAR} is not expanded from the process environment."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("TELEGRAM_BOT_TOKEN='123:ab#cd'\nBOT_DATA_DIR=${HOME}/nav\nNAME_ONLY\n")
    settings = Settings.from_environ({}, dotenv=dotenv)
    assert settings.token == "123:ab#cd"
    assert settings.data_dir == Path("${HOME}/nav")
