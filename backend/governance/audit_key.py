"""The secret that signs the audit log, kept outside the database.

It comes from ``GREENLIGHT_AUDIT_KEY`` when that is set (a secret manager, or several portal
replicas sharing one key), else from the file ``audit.key`` under ``GREENLIGHT_HOME``, which
the first process to need it creates with mode 0600. Anyone who can read this key *and* write
the database can forge the log, so a key file that others can read is refused, not quietly
tightened: it may already have been copied, and the person running Greenlight must decide.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import suppress
from pathlib import Path

from backend.config import Settings
from backend.errors import InvalidData, PermissionDenied

__all__ = ["KEY_FILE", "MIN_KEY_CHARS", "key_path", "load_audit_key"]

KEY_FILE = "audit.key"
MIN_KEY_CHARS = 32


def key_path(settings: Settings) -> Path:
    return settings.home / KEY_FILE


def load_audit_key(settings: Settings) -> bytes:
    """The audit key as bytes: from the settings, else the key file (created on first use).

    Raises
    ------
    InvalidData
        The key is shorter than 32 characters, or the key file is empty.
    PermissionDenied
        The key file can be read or written by other users than its owner.
    """
    if settings.audit_key is not None:
        return _checked(settings.audit_key, "GREENLIGHT_AUDIT_KEY")
    path = key_path(settings)
    if not path.exists():
        _create(path)
    return _read(path)


def _checked(text: str, where: str) -> bytes:
    key = text.strip()
    if len(key) < MIN_KEY_CHARS:
        raise InvalidData(f"The audit key in {where} has {len(key)} characters; it needs at least {MIN_KEY_CHARS} "
                          "(for example the output of `python -c 'import secrets; print(secrets.token_hex(32))'`).",
                          code="audit_key_weak")
    return key.encode()


def _create(path: Path) -> None:
    """Write a new random key with mode 0600, never over a key another process just wrote."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # mkstemp opens it 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        # A hard link creates the name only if it is free: of two first uses at once, one key
        # wins and both processes read that one.
        with suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if os.name == "posix" and mode & 0o077:
        raise PermissionDenied(
            f"Refusing the audit key {path}: its mode is {mode & 0o777:04o}, so other users can read or change it "
            f"and may already have copied it. Run `chmod 600 {path}` if you are sure nobody did.",
            code="audit_key_exposed")
    return _checked(path.read_text(), str(path))
