"""The data-dir secret, and the two things made from it: person keys and at-rest encryption.

A 32-byte secret is generated into DATA_DIR/secret.key on first run (mode 0600). From it:

- a person key, HMAC-SHA256(secret, str(telegram_user_id)) as hex: how the store knows a person without
  keeping their Telegram id;
- a Fernet key, derived with HKDF, that encrypts values kept at rest (chat ids, session blobs).

Losing secret.key makes every stored session unreadable and every person a stranger; leaking it lets whoever
holds the database link rows to Telegram ids. Back it up apart from the database, and never commit it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_FILE = "secret.key"
SECRET_BYTES = 32
# HKDF's info binds the derived key to one use; bump the version to derive a fresh, unrelated key.
_FERNET_INFO = b"calgary-support-navigator/fernet/v1"

__all__ = ["SECRET_BYTES", "SECRET_FILE", "InvalidToken", "Keys", "SecretKeyError", "load_or_create_secret"]


class SecretKeyError(Exception):
    """The data-dir secret is missing its protections or is damaged; the message says how to fix it."""


def load_or_create_secret(data_dir: Path) -> bytes:
    """Return the secret in data_dir/secret.key, generating it first if there is none.

    Refuses (SecretKeyError) a file that group or others may read, or one of the wrong length.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    return _read_secret(path)


def _create_secret(path: Path) -> None:
    """Write a fresh secret so that secret.key is either absent or whole, never half-written.

    The bytes go to a temporary file made with O_CREAT|O_EXCL and mode 0600 (never readable by others, not
    even for an instant), are fsynced, then linked to the final name. link() fails if secret.key appeared
    meanwhile (a second process starting at the same moment): theirs wins and both read the same secret.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(SECRET_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the new name survives a power cut
    finally:
        os.close(dir_fd)


def _read_secret(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretKeyError(
            f"{path} can be read by other users (mode {mode:04o}); it links stored people to Telegram ids. "
            f"Run `chmod 600 {path}` and start again."
        )
    secret = path.read_bytes()
    if len(secret) != SECRET_BYTES:
        raise SecretKeyError(
            f"{path} holds {len(secret)} bytes, not {SECRET_BYTES}: it is damaged. Restore it from a backup; "
            f"deleting it starts afresh, but every stored session becomes unreadable."
        )
    return secret


@dataclass(frozen=True, slots=True)
class Keys:
    """Person keys and at-rest encryption, both from one data-dir secret."""

    secret: bytes = field(repr=False)
    _fernet: Fernet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret) != SECRET_BYTES:
            raise ValueError(f"the secret must be {SECRET_BYTES} bytes, not {len(self.secret)}")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_FERNET_INFO).derive(self.secret)
        object.__setattr__(self, "_fernet", Fernet(base64.urlsafe_b64encode(derived)))

    @classmethod
    def load(cls, data_dir: Path) -> Keys:
        """The keys for data_dir, generating its secret on first run."""
        return cls(load_or_create_secret(data_dir))

    def person_key(self, user_id: int) -> str:
        """HMAC-SHA256(secret, str(user_id)) in hex: stable, and not reversible without the secret."""
        return hmac.new(self.secret, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()

    def encrypt(self, plain: bytes) -> bytes:
        """A Fernet token for plain: authenticated, with a fresh random IV (equal values never look equal)."""
        return self._fernet.encrypt(plain)

    def decrypt(self, token: bytes) -> bytes:
        """The plain bytes of a token from encrypt; raises InvalidToken if altered or made elsewhere."""
        return self._fernet.decrypt(token)
