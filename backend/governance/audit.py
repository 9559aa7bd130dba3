"""The append-only, hash-chained, signed log of everything that happened.

Each entry's hash covers its own fields and the previous entry's hash, so editing, inserting
or deleting a row breaks the chain at that point. Each entry also carries an HMAC of its hash
made with a key kept outside the database (:mod:`backend.governance.audit_key`), so a chain
recomputed after an edit no longer checks out. The last link lives in ``audit_head`` and, after
every commit, in a signed checkpoint outside the database
(:mod:`backend.governance.audit_checkpoints`), which catches a cut tail or a wiped log.
``verify`` walks the chain, compares it with the checkpoints and replays it against the
registry's tables (:mod:`backend.governance.audit_replay`); it names the first problem.

The key and the checkpoint store reach this module in the session's ``info`` (see
:func:`session_info`), put there by the :class:`~backend.db.Database` that ``App.open`` built.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.db.tables import AuditHeadRow, AuditRow
from backend.db.types import utcnow
from backend.domain import AuditEntry, ChainReport
from backend.errors import DatabaseError
from backend.governance.audit_checkpoints import Checkpoints
from backend.governance.audit_replay import Replay

__all__ = ["append", "verify", "list_entries", "ChainReport", "canonical_json", "session_info",
           "checkpoint_after_commit", "entry_mac"]

GENESIS = "0" * 64
KEY_INFO = "greenlight.audit_key"
CHECKPOINTS_INFO = "greenlight.audit_checkpoints"
#: the last entry a transaction appended, checkpointed once that transaction has committed
TAIL_INFO = "greenlight.audit_tail"
_MAC_DOMAIN = b"greenlight-audit-entry-v1:"

log = logging.getLogger(__name__)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def session_info(*, key: bytes, checkpoints: Checkpoints | None) -> dict[str, Any]:
    """What every managed session must carry for the log to be written and checked."""
    return {KEY_INFO: key, CHECKPOINTS_INFO: checkpoints}


def _key(session: Session) -> bytes:
    key = session.info.get(KEY_INFO)
    if not key:
        raise DatabaseError("The audit log cannot be written or checked without its key: open the database "
                            "through App.open, which loads it.", code="audit_key_missing")
    return key


def _entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str,
                model: str | None, version: int | None, detail: str) -> str:
    payload = canonical_json([prev_hash, seq, at.isoformat(timespec="microseconds"), actor, action, model, version, detail])
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_mac(key: bytes, digest: str) -> str:
    """The HMAC-SHA256 of an entry's hash; the hash already covers every entry before it."""
    return hmac.digest(key, _MAC_DOMAIN + digest.encode(), "sha256").hex()


@dataclass(frozen=True)
class _Tail:
    seq: int
    hash: str


def append(*, session: Session, actor: str, action: str, model: str | None = None,
           version: int | None = None, detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add one signed entry at the end of the chain, inside the caller's transaction.

    The head row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite writers already hold
    the database's write lock), so concurrent writers append one after the other.
    """
    key = _key(session)
    head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()).scalar_one()
    seq = head.seq + 1
    at = utcnow()
    detail_json = canonical_json(detail or {})
    digest = _entry_hash(head.hash, seq, at, actor, action, model, version, detail_json)
    session.add(AuditRow(seq=seq, at=at, actor=actor, action=action, model=model, version=version,
                         detail=detail_json, prev_hash=head.hash, hash=digest, mac=entry_mac(key, digest)))
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=seq, hash=digest))
    session.info[TAIL_INFO] = _Tail(seq, digest)
    return AuditEntry(seq=seq, at=at, actor=actor, action=action, model=model, version=version,
                      detail=json.loads(detail_json), hash=digest)


def checkpoint_after_commit(info: dict[str, Any]) -> None:
    """``Database.on_commit`` hook: checkpoint the last entry a committed transaction appended.

    The commit already happened, so a store that cannot be written is logged, not raised: the
    change stands, and the next checkpoint covers this entry too (it hashes the whole chain).
    """
    tail, checkpoints = info.pop(TAIL_INFO, None), info.get(CHECKPOINTS_INFO)
    if tail is None or checkpoints is None:
        return
    try:
        checkpoints.write(tail.seq, tail.hash)
    except Exception:  # noqa: BLE001 — any store error; see the docstring
        log.warning("Could not write the audit checkpoint for entry %s outside the database", tail.seq, exc_info=True)


def _repeatable_read(session: Session) -> None:
    # The chain, the head and the tables must be read from one snapshot, or a change committed
    # in between would look like tampering. SQLite's read transaction already is one.
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def verify(*, session: Session) -> ChainReport:
    """Check the log: its chain and signatures, its checkpoints, and the tables it describes.

    Returns the first problem found, in that order: an entry changed, inserted, removed or
    unsigned after signed ones; a checkpoint outside the database the log ends before or
    disagrees with; a version, alias, sign-off or condition whose table row disagrees with
    the replayed log. Call it on a fresh session (it sets the snapshot).
    """
    key = _key(session)
    checkpoints: Checkpoints | None = session.info.get(CHECKPOINTS_INFO)
    # Listed before the log is read: every checkpoint listed belongs to a committed entry
    # that the snapshot below will contain.
    listed = checkpoints.listed() if checkpoints is not None else []
    _repeatable_read(session)
    head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).scalar_one()
    walk = _ChainWalk(key, wanted={c.seq for c in listed})
    rows = session.execute(select(AuditRow.seq, AuditRow.at, AuditRow.actor, AuditRow.action, AuditRow.model,
                                  AuditRow.version, AuditRow.detail, AuditRow.prev_hash, AuditRow.hash, AuditRow.mac)
                           .order_by(AuditRow.seq).execution_options(yield_per=2000))
    broken = None
    try:
        for row in rows:
            broken = walk.step(row)
            if broken is not None:
                break
    finally:
        rows.close()  # a PostgreSQL server-side cursor stays open when the walk stops early
    done = dict(entries=walk.count, unsigned=walk.unsigned)
    if broken is not None:
        return ChainReport(False, first_bad_seq=broken[0], problem=broken[1], kind="chain", **done)
    last = walk.expected_seq - 1
    if head.seq > last:
        return ChainReport(False, first_bad_seq=last + 1, problem=f"the log ends at entry {last} but {head.seq} were "
                           "written: entries at the end were removed", kind="chain", **done)
    if head.seq != last or head.hash != walk.prev_hash:
        return ChainReport(False, first_bad_seq=head.seq, problem=f"audit_head names entry {head.seq} "
                           f"({head.hash[:12]}…) but the log ends at entry {last}: audit_head was changed",
                           kind="chain", **done)
    problem, matched = _against_checkpoints(checkpoints, listed, walk.hashes, last)
    if problem is not None:
        return ChainReport(False, problem=problem, kind="checkpoint", **done)
    problem = walk.replay.first_mismatch(session)
    if problem is not None:
        return ChainReport(False, problem=problem, kind="replay", checkpoint=matched, **done)
    return ChainReport(True, checkpoint=matched, versions=len(walk.replay.versions), **done)


class _ChainWalk:
    """Checks entries one by one, in order, and feeds them to the replay."""

    def __init__(self, key: bytes, *, wanted: set[int]):
        self.key, self.wanted = key, wanted
        self.prev_hash, self.expected_seq, self.count, self.unsigned = GENESIS, 1, 0, 0
        self.signed_from: int | None = None
        self.hashes: dict[int, str] = {}  # the hash of each entry a checkpoint names
        self.replay = Replay()

    def step(self, row: Any) -> tuple[int, str] | None:
        """(the entry's number, what is wrong with it), or None when it checks out."""
        self.count += 1
        seq, at, actor, action, model, version, detail, prev_hash, stored_hash, mac = row
        if seq != self.expected_seq:
            return self.expected_seq, f"entry {self.expected_seq} is missing (the next entry found is {seq})"
        if prev_hash != self.prev_hash:
            return seq, f"entry {seq} does not follow entry {seq - 1}: an entry was changed, inserted or removed"
        digest = _entry_hash(prev_hash, seq, at, actor, action, model, version, detail)
        if digest != stored_hash:
            return seq, f"entry {seq} was changed after it was written"
        if mac is None:
            if self.signed_from is not None:
                return seq, (f"entry {seq} is not signed, yet the entries from {self.signed_from} on are: it was "
                             "written or rewritten without the audit key")
            self.unsigned += 1
        elif not hmac.compare_digest(mac, entry_mac(self.key, digest)):
            return seq, (f"entry {seq}'s signature does not match: it was changed after it was written, or signed "
                         "with another audit key than this one")
        elif self.signed_from is None:
            self.signed_from = seq
        if seq in self.wanted:
            self.hashes[seq] = digest
        self.replay.apply(seq, actor, action, model, version, detail)
        self.prev_hash, self.expected_seq = stored_hash, seq + 1
        return None


def _against_checkpoints(checkpoints: Checkpoints | None, listed: list, hashes: dict[int, str],
                         last: int) -> tuple[str | None, str | None]:
    """(the first problem, the newest checkpoint the log matches)."""
    if not listed:
        return None, None
    newest = listed[-1]
    where = checkpoints.describe(newest.name)
    if newest.seq > last:
        ends = f"ends at entry {last}" if last else "is empty"
        how = "the log was wiped" if not last else "entries at the end were removed"
        return f"the log {ends} but the checkpoint {where} records entry {newest.seq}: {how}", None
    read = checkpoints.read(newest.name)
    if read.problem is not None:
        return f"the newest checkpoint {where} cannot be trusted: {read.problem}", None
    if hashes.get(newest.seq) != read.hash:
        return (f"the log up to entry {newest.seq} is not the one the checkpoint {where} recorded: the chain was "
                "rewritten or replaced"), None
    # Older checkpoints are implied by the newest (its hash covers the whole chain), unless the
    # log was cut and then grown again past them: compare each by the hash in its name.
    for older in listed[:-1]:
        if not hashes.get(older.seq, "").startswith(older.hash_prefix):
            older_read = checkpoints.read(older.name)
            why = older_read.problem or "the chain was cut and written again from there"
            return (f"the log's entry {older.seq} is not the one the checkpoint {checkpoints.describe(older.name)} "
                    f"recorded: {why}"), None
    return None, newest.name


def list_entries(*, session: Session, model: str | None = None, action_prefix: str | None = None,
                 actor: str | None = None, limit: int = 500, before_seq: int | None = None) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit)
    if model is not None:
        query = query.where(AuditRow.model == model)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if action_prefix:
        query = query.where(AuditRow.action.startswith(action_prefix))
    if before_seq is not None:
        query = query.where(AuditRow.seq < before_seq)
    return [
        AuditEntry(seq=r.seq, at=r.at, actor=r.actor, action=r.action, model=r.model,
                   version=r.version, detail=json.loads(r.detail), hash=r.hash)
        for r in session.execute(query).scalars()
    ]
