"""What someone who can write the database, but holds neither the audit key nor the checkpoint
store, can do to the audit log: plain SQL on a connection of their own, no Greenlight code."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select, text, update

from backend.db.tables import AuditHeadRow, AuditRow
from backend.governance.audit import canonical_json

GENESIS = "0" * 64


def sha256_link(prev_hash: str, row) -> str:
    """An entry's hash as the source (public) computes it: SHA-256, no key needed."""
    payload = canonical_json([prev_hash, row.seq, row.at.isoformat(timespec="microseconds"), row.actor, row.action,
                              row.model, row.version, row.detail])
    return hashlib.sha256(payload.encode()).hexdigest()


def rechain(app, *, strip_signatures: bool = False) -> None:
    """Recompute every hash and ``audit_head`` from the rows as they now are, like a forger would."""
    with app.db.engine.begin() as conn:
        rows = conn.execute(select(AuditRow.__table__).order_by(AuditRow.seq)).all()
        prev = GENESIS
        for row in rows:
            digest = sha256_link(prev, row)
            values = {"prev_hash": prev, "hash": digest}
            if strip_signatures:
                values["mac"] = None
            conn.execute(update(AuditRow).where(AuditRow.seq == row.seq).values(**values))
            prev = digest
        conn.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1)
                     .values(seq=rows[-1].seq if rows else 0, hash=prev))


def edit_entry(app, seq: int, **values) -> None:
    with app.db.engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq == seq).values(**values))


def cut_tail(app, keep: int) -> None:
    """Delete every entry after ``keep`` and point ``audit_head`` at entry ``keep``."""
    with app.db.engine.begin() as conn:
        conn.execute(delete(AuditRow).where(AuditRow.seq > keep))
        digest = conn.execute(select(AuditRow.hash).where(AuditRow.seq == keep)).scalar_one()
        conn.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=keep, hash=digest))


def wipe_log(app) -> None:
    with app.db.engine.begin() as conn:
        conn.execute(delete(AuditRow))
        conn.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=0, hash=GENESIS))


def last_seq(app) -> int:
    with app.db.engine.connect() as conn:
        return conn.execute(select(AuditHeadRow.seq)).scalar_one()


def sql(app, statement: str, **params) -> None:
    with app.db.engine.begin() as conn:
        conn.execute(text(statement), params)
