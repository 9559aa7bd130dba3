"""Long-term, content-addressed artifact storage.

An artifact is stored under its SHA-256; the registry records that hash and the size, and
every read checks both before handing the bytes over. A file changed after storage is
refused with an error that names the artifact.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backend.domain import ArtifactRef
from backend.errors import ArtifactIntegrityError, NotFound

__all__ = ["ArtifactStore", "StoredBlob", "sha256_bytes", "sha256_file", "AppendOnlyFolder"]

_SCHEME = "cas://sha256/"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredBlob:
    uri: str
    sha256: str
    size_bytes: int


def _describe(ref: ArtifactRef) -> str:
    return f"the {ref.kind} artifact of {ref.model} version {ref.version} (sha256 {ref.sha256[:12]}…)"


class ArtifactStore:
    """A folder of immutable blobs named by their SHA-256.

    Parameters
    ----------
    root : Path
        Folder that holds the blobs; created on first write.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest

    def path_of(self, ref: ArtifactRef) -> Path:
        if not ref.uri.startswith(_SCHEME):
            raise NotFound(f"Unsupported artifact address {ref.uri!r} for {_describe(ref)}.")
        return self._path(ref.uri.removeprefix(_SCHEME))

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data`` (idempotent: the same bytes are kept once)."""
        digest = sha256_bytes(data)
        target = self._path(digest)
        if not (target.exists() and sha256_file(target) == digest):
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target then rename, so a crash never leaves half a blob.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if target.exists():
                    target.chmod(0o644)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            target.chmod(0o444)
        return StoredBlob(uri=f"{_SCHEME}{digest}", sha256=digest, size_bytes=len(data))

    def read_bytes(self, ref: ArtifactRef) -> bytes:
        """The artifact's bytes, after checking their size and SHA-256 against the registry."""
        path = self.path_of(ref)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ArtifactIntegrityError(
                f"{_describe(ref).capitalize()} is missing from long-term storage ({path})."
            ) from None
        actual = sha256_bytes(data)
        if len(data) != ref.size_bytes or actual != ref.sha256:
            raise ArtifactIntegrityError(
                f"Refusing {_describe(ref)}: the stored file was changed after it was stored "
                f"(its SHA-256 is now {actual[:12]}…, {len(data)} bytes instead of {ref.size_bytes}). "
                "It will not be loaded."
            )
        return data

    def verify(self, ref: ArtifactRef) -> None:
        self.read_bytes(ref)

    def append_only(self, folder: str) -> AppendOnlyFolder:
        """Small objects beside the blobs that are created once and never replaced
        (the audit log's checkpoints)."""
        return AppendOnlyFolder(self.root / folder)


class AppendOnlyFolder:
    """A folder of small, named, read-only objects; a name that exists is never written again.

    An object store implements the same four methods (for example an S3 prefix with object
    lock, written with ``If-None-Match: *``).

    Parameters
    ----------
    root : Path
        The folder; created on first write.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``name``; raise ``FileExistsError`` if the name is taken."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            # No fsync: a checkpoint need be no more durable than a SQLite commit (WAL,
            # synchronous=NORMAL), and one lost in a power cut is harmless: the next one covers
            # its entry. Forcing each to disk cost ~4 ms on every write.
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o444)
            os.link(tmp, self.root / name)  # creates the name only if it is free, whole or not at all
        finally:
            Path(tmp).unlink(missing_ok=True)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if not p.name.startswith("."))

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def describe(self, name: str) -> str:
        return str(self.root / name)
