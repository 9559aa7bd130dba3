"""The sign-off rules as pure functions over one session, shared by the sign-off service and
the registry's guard on the ``approved`` state (so no door can skip them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import ArtifactRow, SignOffRow, VersionRow
from backend.db.types import utcnow

__all__ = ["EVIDENCE_KINDS", "APPROVING", "current_evidence", "judge", "Judged", "missing_roles", "required_roles"]

#: What a reviewer is shown and what a sign-off is bound to: the model and every report.
EVIDENCE_KINDS = ("model", "fairness_report", "explainability_report")
APPROVING = ("approve", "conditions")


def required_roles(version: VersionRow) -> tuple[str, ...]:
    return tuple((version.policy or {}).get("signoff", {}).get("roles") or ())


def expires_days(version: VersionRow) -> int:
    return int((version.policy or {}).get("signoff", {}).get("expires_days") or 180)


def current_evidence(session: Session, version_id: int) -> dict[str, str]:
    rows = session.execute(select(ArtifactRow.kind, ArtifactRow.sha256).where(
        ArtifactRow.version_id == version_id, ArtifactRow.kind.in_(EVIDENCE_KINDS))).all()
    return {kind: sha for kind, sha in sorted(rows)}


@dataclass(frozen=True)
class Judged:
    row: SignOffRow
    valid: bool
    void_reason: str | None


def judge(row: SignOffRow, version: VersionRow, evidence: dict[str, str], now: datetime | None = None) -> Judged:
    """Whether a sign-off still counts, and if not, why."""
    now = now or utcnow()
    if row.round != version.review_round:
        return Judged(row, False, f"from review round {row.round}; the version is now in round {version.review_round}")
    changed = sorted(k for k in set(evidence) | set(row.evidence or {}) if evidence.get(k) != (row.evidence or {}).get(k))
    if changed:
        return Judged(row, False, "void: " + ", ".join(k.replace("_", " ") for k in changed)
                      + " changed after this sign-off")
    if row.decision in APPROVING and row.created_at + timedelta(days=expires_days(version)) < now:
        return Judged(row, False, f"expired: approvals last {expires_days(version)} days")
    return Judged(row, True, None)


def judged_signoffs(session: Session, version: VersionRow) -> list[Judged]:
    evidence = current_evidence(session, version.id)
    rows = session.execute(select(SignOffRow).where(SignOffRow.version_id == version.id)
                           .order_by(SignOffRow.id)).scalars().all()
    now = utcnow()
    return [judge(r, version, evidence, now) for r in rows]


def missing_roles(session: Session, version: VersionRow) -> tuple[str, ...]:
    """Required roles without a valid approval in the current round."""
    covered = {j.row.role for j in judged_signoffs(session, version) if j.valid and j.row.decision in APPROVING}
    return tuple(r for r in required_roles(version) if r not in covered)


def version_row(session: Session, version_id: int, *, lock: bool) -> VersionRow:
    query = select(VersionRow).where(VersionRow.id == version_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one()
