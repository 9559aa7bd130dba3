"""Checkpoints of the audit log's head, kept outside the database.

After every committed transaction that appended audit entries, one small signed object
records the last entry's number and hash in an append-only store (a folder of the artifact
store today; any store that can create an object once, list names and read one back will do,
such as an S3 bucket with object lock). Someone who can rewrite the database but not this
store cannot hide a cut tail, a wiped log or a recomputed chain: the log no longer reaches,
or no longer matches, a checkpoint it once had.

Each object's name carries the entry number and the first 16 hex digits of its hash, so
``audit verify`` compares every checkpoint with the log from one listing, and reads (and
checks the signature of) only the newest one and any that disagree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["CHECKPOINT_FOLDER", "AppendOnlyObjects", "Checkpoint", "CheckpointName", "Checkpoints"]

#: Where the checkpoints live inside the artifact store.
CHECKPOINT_FOLDER = "audit-checkpoints"

_NAME = re.compile(r"^(\d{12})-([0-9a-f]{16})\.json$")
_DOMAIN = b"greenlight-audit-checkpoint-v1:"


class AppendOnlyObjects(Protocol):
    """A store of small named objects that are created once and never replaced."""

    def create(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``name``; raise ``FileExistsError`` if the name is taken."""

    def names(self) -> list[str]:
        """Every stored name (an empty list when nothing was stored yet)."""

    def read(self, name: str) -> bytes:
        """The bytes stored as ``name``."""

    def describe(self, name: str) -> str:
        """Where ``name`` lives, for messages (a path or an address)."""


@dataclass(frozen=True)
class CheckpointName:
    """What a checkpoint's name says, before its content is read."""

    name: str
    seq: int
    hash_prefix: str


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read back; ``problem`` says why it cannot be trusted, if it cannot."""

    name: str
    seq: int
    hash: str
    written_at: str
    problem: str | None = None


def _signature(key: bytes, seq: int, digest: str, written_at: str) -> str:
    payload = json.dumps({"hash": digest, "seq": seq, "written_at": written_at}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, _DOMAIN + payload.encode(), hashlib.sha256).hexdigest()


class Checkpoints:
    """Signed checkpoints of the audit log's head in an append-only store.

    Parameters
    ----------
    store : AppendOnlyObjects
        Where the checkpoints are written; nothing in it is ever replaced.
    key : bytes
        The audit key; each checkpoint carries an HMAC-SHA256 made with it.
    """

    def __init__(self, store: AppendOnlyObjects, key: bytes):
        self.store = store
        self._key = key

    def write(self, seq: int, digest: str) -> str:
        """Record that the log's entry ``seq`` has hash ``digest``; returns the object's name."""
        name = f"{seq:012d}-{digest[:16]}.json"
        written_at = datetime.now(UTC).isoformat(timespec="microseconds")
        body = {"seq": seq, "hash": digest, "written_at": written_at,
                "signature": _signature(self._key, seq, digest, written_at)}
        with suppress(FileExistsError):  # the same entry was checkpointed already; the first record stands
            self.store.create(name, json.dumps(body, sort_keys=True).encode())
        return name

    def listed(self) -> list[CheckpointName]:
        """Every checkpoint the store holds, oldest entry first (other names are ignored)."""
        found = []
        for name in self.store.names():
            match = _NAME.match(name)
            if match:
                found.append(CheckpointName(name, int(match.group(1)), match.group(2)))
        return sorted(found, key=lambda c: (c.seq, c.name))

    def read(self, name: str) -> Checkpoint:
        """Read one checkpoint and check its signature and that it says what its name says."""
        listed = _NAME.match(name)
        try:
            body = json.loads(self.store.read(name))
            seq, digest, written_at = int(body["seq"]), str(body["hash"]), str(body["written_at"])
            signature = str(body["signature"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return Checkpoint(name, -1, "", "", problem=f"it cannot be read ({exc})")
        if not hmac.compare_digest(signature, _signature(self._key, seq, digest, written_at)):
            return Checkpoint(name, seq, digest, written_at,
                              problem="its signature does not match this audit key: it was not written by "
                                      "Greenlight with this key")
        if listed is None or int(listed.group(1)) != seq or not digest.startswith(listed.group(2)):
            return Checkpoint(name, seq, digest, written_at, problem="its content does not match its name")
        return Checkpoint(name, seq, digest, written_at)

    def describe(self, name: str) -> str:
        return self.store.describe(name)
