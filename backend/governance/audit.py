"""The append-only, hash-chained log of everything that happened.

Each entry's hash covers its own fields and the previous entry's hash, so editing, inserting
or deleting a row breaks the chain at that point; ``verify`` names the first broken entry.
The last link also lives in ``audit_head``, which catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.db.tables import AuditHeadRow, AuditRow
from backend.db.types import utcnow
from backend.domain import AuditEntry, ChainReport

__all__ = ["append", "verify", "list_entries", "ChainReport", "canonical_json"]

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str,
                model: str | None, version: int | None, detail: str) -> str:
    payload = canonical_json([prev_hash, seq, at.isoformat(timespec="microseconds"), actor, action, model, version, detail])
    return hashlib.sha256(payload.encode()).hexdigest()


def append(*, session: Session, actor: str, action: str, model: str | None = None,
           version: int | None = None, detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add one entry at the end of the chain, inside the caller's transaction.

    The head row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite writers already hold
    the database's write lock), so concurrent writers append one after the other.
    """
    head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()).scalar_one()
    seq = head.seq + 1
    at = utcnow()
    detail_json = canonical_json(detail or {})
    digest = _entry_hash(head.hash, seq, at, actor, action, model, version, detail_json)
    session.add(AuditRow(seq=seq, at=at, actor=actor, action=action, model=model, version=version,
                         detail=detail_json, prev_hash=head.hash, hash=digest))
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=seq, hash=digest))
    return AuditEntry(seq=seq, at=at, actor=actor, action=action, model=model, version=version,
                      detail=json.loads(detail_json), hash=digest)


def verify(*, session: Session) -> ChainReport:
    """Walk the whole chain; report the first entry that was changed, inserted or removed."""
    head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).scalar_one()
    prev_hash, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditRow).order_by(AuditRow.seq)).scalars()
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return ChainReport(False, count, expected_seq,
                               f"entry {expected_seq} is missing (the next entry found is {row.seq})")
        if row.prev_hash != prev_hash:
            return ChainReport(False, count, row.seq,
                               f"entry {row.seq} does not follow entry {row.seq - 1}: an entry was changed, inserted or removed")
        digest = _entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.action, row.model, row.version, row.detail)
        if digest != row.hash:
            return ChainReport(False, count, row.seq, f"entry {row.seq} was changed after it was written")
        prev_hash, expected_seq = row.hash, expected_seq + 1
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return ChainReport(False, count, expected_seq,
                           f"the log ends at entry {expected_seq - 1} but {head.seq} were written: entries at the end were removed")
    return ChainReport(True, count)


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
