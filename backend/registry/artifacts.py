"""Long-term, content-addressed artifact storage: a folder, or S3 through fsspec.

An artifact is stored under its SHA-256; the registry records that hash and the size, and
every read checks both before handing the bytes over. A file changed after storage is
refused with an error that names the artifact, wherever the store lives.

``GREENLIGHT_ARTIFACTS=s3://bucket/prefix`` puts the store in S3 (or any S3-compatible
server), so gateways and pipeline runners on several machines read one store. Credentials and
the endpoint come from the usual AWS settings (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``,
``~/.aws/config``), which fresh processes inherit with the environment.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import fsspec

from backend.domain import ArtifactRef
from backend.errors import ArtifactIntegrityError, NotFound

__all__ = ["ArtifactStore", "StoredBlob", "sha256_bytes", "sha256_file", "AppendOnlyFolder", "RemoteAppendOnlyFolder", "store_root"]

_SCHEME = "cas://sha256/"
# "s3:/bucket" is what Path("s3://bucket") leaves of a URL; the store gives it its slash back.
_FLATTENED_URL = re.compile(r"^([a-z][a-z0-9+.-]+):/([^/].*)$")


def store_root(root: Path | str) -> Path | str:
    """A local folder as an absolute ``Path``; a URL (``s3://bucket/prefix``) as a string."""
    text = str(root)
    if "://" in text:
        return text.rstrip("/")
    flattened = _FLATTENED_URL.match(text) if isinstance(root, PurePath) else None
    if flattened and flattened.group(1) in fsspec.available_protocols() and flattened.group(1) != "file":
        return f"{flattened.group(1)}://{flattened.group(2)}".rstrip("/")
    return Path(root)


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
    """Immutable blobs named by their SHA-256, in a folder or an object store.

    Parameters
    ----------
    root : Path or str
        A folder that holds the blobs (created on first write), or a URL such as
        ``s3://bucket/prefix`` (the bucket must exist).
    **storage_options
        Passed to fsspec for a URL (for example ``endpoint_url``); the AWS environment
        variables are used when none are given.
    """

    def __init__(self, root: Path | str, **storage_options: Any):
        self.root = store_root(root)
        self.storage_options = dict(storage_options)
        self.is_local = isinstance(self.root, Path)
        if self.is_local:
            self.fs, self._base = fsspec.filesystem("file"), str(self.root)
        else:
            self.fs, self._base = fsspec.core.url_to_fs(self.root, **storage_options)

    def _path(self, digest: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest

    def _key(self, digest: str) -> str:
        """Where a blob lives on the store's filesystem (a path, or bucket/key)."""
        if self.is_local:
            return str(self._path(digest))
        return posixpath.join(self._base.rstrip("/"), "sha256", digest[:2], digest)

    def _digest_of(self, ref: ArtifactRef) -> str:
        if not ref.uri.startswith(_SCHEME):
            raise NotFound(f"Unsupported artifact address {ref.uri!r} for {_describe(ref)}.")
        return ref.uri.removeprefix(_SCHEME)

    def path_of(self, ref: ArtifactRef) -> Path | str:
        """The blob's file for a local store; its URL (``s3://…``) for an object store."""
        digest = self._digest_of(ref)
        if self.is_local:
            return self._path(digest)
        return self.fs.unstrip_protocol(self._key(digest))

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data`` (idempotent: the same bytes are kept once)."""
        digest = sha256_bytes(data)
        if not self.is_local:
            self._put_remote(digest, data)
            return StoredBlob(uri=f"{_SCHEME}{digest}", sha256=digest, size_bytes=len(data))
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

    def _put_remote(self, digest: str, data: bytes) -> None:
        # An object store writes an object whole, so there is no half-written blob to guard against.
        key = self._key(digest)
        try:
            if sha256_bytes(self.fs.cat_file(key)) == digest:
                return
        except FileNotFoundError:
            pass
        self.fs.pipe_file(key, data)

    def _read(self, ref: ArtifactRef) -> bytes:
        digest = self._digest_of(ref)
        if self.is_local:
            return self._path(digest).read_bytes()
        try:
            return self.fs.cat_file(self._key(digest))
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise ArtifactIntegrityError(f"{_describe(ref).capitalize()} could not be read from long-term storage "
                                         f"({self.path_of(ref)}): {exc}", code="artifact_unreadable") from None

    def read_bytes(self, ref: ArtifactRef) -> bytes:
        """The artifact's bytes, after checking their size and SHA-256 against the registry."""
        try:
            data = self._read(ref)
        except FileNotFoundError:
            raise ArtifactIntegrityError(
                f"{_describe(ref).capitalize()} is missing from long-term storage ({self.path_of(ref)})."
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
        if self.is_local:
            return AppendOnlyFolder(self.root / folder)
        return RemoteAppendOnlyFolder(self.fs, posixpath.join(self._base.rstrip("/"), folder))


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


class RemoteAppendOnlyFolder:
    """:class:`AppendOnlyFolder` on an object store (an S3 prefix).

    A name is written only when the store does not hold it yet. Two writers racing for one name
    are not excluded here (plain S3 has no create-if-absent for every client); a bucket with
    object lock keeps what was written from being replaced.
    """

    def __init__(self, fs: Any, prefix: str):
        self.fs, self.prefix = fs, prefix

    def _key(self, name: str) -> str:
        return posixpath.join(self.prefix, name)

    def create(self, name: str, data: bytes) -> None:
        key = self._key(name)
        if self.fs.exists(key):
            raise FileExistsError(self.describe(name))
        self.fs.pipe_file(key, data)

    def names(self) -> list[str]:
        try:
            listed = self.fs.ls(self.prefix, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(n for n in (posixpath.basename(p.rstrip("/")) for p in listed) if n and not n.startswith("."))

    def read(self, name: str) -> bytes:
        return self.fs.cat_file(self._key(name))

    def describe(self, name: str) -> str:
        return self.fs.unstrip_protocol(self._key(name))
