"""bot.store.keys: the data-dir secret, person keys and at-rest encryption."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from bot.store.keys import SECRET_BYTES, SECRET_FILE, InvalidToken, Keys, SecretKeyError, load_or_create_secret


def test_first_run_creates_a_private_secret(tmp_path: Path) -> None:
    """The first run writes a 32-byte secret.key with mode 0600 into a data dir it creates."""
    data_dir = tmp_path / "data"
    secret = load_or_create_secret(data_dir)
    path = data_dir / SECRET_FILE
    assert len(secret) == SECRET_BYTES
    assert path.read_bytes() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir()] == [SECRET_FILE]  # no temporary file left behind


def test_secret_is_stable_across_runs(tmp_path: Path) -> None:
    """A second run reads the same secret instead of making a new one, so person keys stay the same."""
    first = Keys.load(tmp_path)
    second = Keys.load(tmp_path)
    assert first.secret == second.secret
    assert first.person_key(123456789) == second.person_key(123456789)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_secret_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    """A secret.key that group or others may read stops the start, naming the file and the fix."""
    load_or_create_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    path.chmod(mode)
    with pytest.raises(SecretKeyError, match=r"chmod 600 .*secret\.key") as caught:
        load_or_create_secret(tmp_path)
    assert str(path) in str(caught.value)


def test_damaged_secret_is_refused(tmp_path: Path) -> None:
    """A secret.key of the wrong length is refused with a message that says it is damaged."""
    path = tmp_path / SECRET_FILE
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(SecretKeyError, match="damaged"):
        load_or_create_secret(tmp_path)


def test_person_key_is_hmac_sha256_of_the_channel_and_user_id(tmp_path: Path) -> None:
    """The person key is HMAC-SHA256(secret, "telegram:<user id>") in hex, different for every person; the key
    from before keys carried their channel is HMAC-SHA256(secret, str(user_id)), kept for the migration."""
    keys = Keys.load(tmp_path)
    expected = hmac.new(keys.secret, b"telegram:7012345678", hashlib.sha256).hexdigest()
    assert keys.person_key(7012345678) == expected == keys.channel_key("telegram", "7012345678")
    assert keys.legacy_key(7012345678) == hmac.new(keys.secret, b"7012345678", hashlib.sha256).hexdigest()
    assert keys.channel_key("web", "7012345678") not in (expected, keys.legacy_key(7012345678))
    assert keys.person_key(7012345679) != expected
    assert "7012345678" not in keys.person_key(7012345678)


def test_different_secrets_give_different_person_keys(tmp_path: Path) -> None:
    """Two data dirs (two secrets) know the same Telegram user under unrelated keys."""
    assert Keys.load(tmp_path / "a").person_key(42) != Keys.load(tmp_path / "b").person_key(42)


def test_encryption_round_trips_and_hides_the_value(tmp_path: Path) -> None:
    """Encrypted values decrypt to the original, do not contain it, and differ each time."""
    keys = Keys.load(tmp_path)
    plain = b"my passport was taken"
    token = keys.encrypt(plain)
    assert keys.decrypt(token) == plain
    assert plain not in token
    assert keys.encrypt(plain) != token


def test_a_token_from_another_secret_is_rejected(tmp_path: Path) -> None:
    """A token encrypted under another data dir's secret does not decrypt."""
    token = Keys.load(tmp_path / "a").encrypt(b"7012345678")
    with pytest.raises(InvalidToken):
        Keys.load(tmp_path / "b").decrypt(token)


def test_keys_repr_hides_the_secret(tmp_path: Path) -> None:
    """Printing or logging a Keys object never shows the secret."""
    keys = Keys.load(tmp_path)
    assert keys.secret.hex() not in repr(keys)
    assert repr(keys.secret) not in repr(keys)
