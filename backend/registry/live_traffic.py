"""The one guard that decides whether a version may take live traffic.

A version may serve a canary or production only when it is approved (or already serving),
every approval the policy requires is valid in the current review round and not expired, no
condition set at approval is still open, no valid rejection stands, and the model and report
files as they are *now* in the artifact store hash to what the sign-offs were bound to. The
registry runs it inside the transaction of every move to ``canary`` or ``production`` and of
every move of the ``canary`` and ``production`` aliases, whichever door asks.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import ArtifactRow, ConditionRow, ModelRow, VersionRow
from backend.domain import LiveTrafficVerdict
from backend.errors import GreenlightError
from backend.governance.signoff_rules import EVIDENCE_KINDS, judged_signoffs, missing_roles
from backend.registry.artifacts import ArtifactStore
from backend.registry.states import State

__all__ = ["live_traffic_verdict", "SERVING_STATES"]

#: States in which a version can be asked to take (more) live traffic.
SERVING_STATES = (State.APPROVED, State.CANARY, State.PRODUCTION)


def _files_as_they_are_now(session: Session, model: ModelRow, version: VersionRow,
                           store: ArtifactStore) -> list[str]:
    """Re-hash each evidence file: a file swapped in the store counts, whatever the table says."""
    problems = []
    rows = session.execute(select(ArtifactRow).where(ArtifactRow.version_id == version.id,
                                                     ArtifactRow.kind.in_(EVIDENCE_KINDS))
                           .order_by(ArtifactRow.kind)).scalars().all()
    if not any(r.kind == "model" for r in rows):
        problems.append("it has no stored model file")
    for row in rows:
        try:
            store.verify(row.to_domain(model.name, version.number))
        except GreenlightError as exc:
            problems.append(f"the {row.kind.replace('_', ' ')} no longer matches the SHA-256 the sign-offs are "
                            f"bound to ({exc.message})")
    return problems


def live_traffic_verdict(session: Session, model: ModelRow, version: VersionRow,
                         store: ArtifactStore) -> LiveTrafficVerdict:
    """Whether ``version`` may take live traffic now; every reason it may not.

    Parameters
    ----------
    session : Session
        The caller's transaction; the verdict is read in it, so it holds for the change made there.
    model, version : ModelRow, VersionRow
    store : ArtifactStore
        Where the evidence files are re-hashed.
    """
    reasons: list[str] = []
    if version.state not in SERVING_STATES:
        reasons.append(f"it is '{version.state}'; only an approved version can take live traffic")
    else:
        judged = judged_signoffs(session, version)
        rejected = [j.row for j in judged if j.valid and j.row.decision == "reject"]
        for row in rejected:
            reasons.append(f"{row.username} ({row.role}) rejected it")
        for role in missing_roles(session, version):
            void = [j for j in judged if j.row.role == role and not j.valid]
            why = f": the {role} approval is {void[-1].void_reason}" if void else ""
            reasons.append(f"it needs a valid sign-off by {role}{why}")
        open_conditions = session.execute(select(ConditionRow).where(
            ConditionRow.version_id == version.id, ConditionRow.closed_at.is_(None)).order_by(ConditionRow.id)
        ).scalars().all()
        for condition in open_conditions:
            reasons.append(f"condition {condition.id} set at approval is still open: \u201c{condition.text}\u201d")
        reasons += _files_as_they_are_now(session, model, version, store)
    return LiveTrafficVerdict(model=model.name, version=version.number, allowed=not reasons,
                              reasons=tuple(reasons))
