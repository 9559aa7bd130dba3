"""The portfolio: for every model, what is in production, what is approved and what is on its way.

One query for the versions that matter (production, approved, on their way, the latest) and
one for what their reports stage found, whatever the length of the models' histories. A
version whose fairness checks failed is never shown as having "passed".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from backend.db.tables import AliasRow, ModelRow, StageRunRow, VersionRow
from backend.domain import ModelStanding, VersionStanding
from backend.registry.states import State

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["portfolio", "APPROVED_STATES", "ON_ITS_WAY_STATES"]

#: Approved by the reviewers and not (or not yet) serving all traffic.
APPROVED_STATES = (State.APPROVED, State.CANARY)
#: Still moving along the path: being checked, or waiting for people.
ON_ITS_WAY_STATES = (State.REGISTERED, State.BUILT, State.CHECKED, State.REPORTED, State.VALIDATED,
                     State.AWAITING_SIGNOFF)


def _fairness(evidence: dict[str, Any] | None) -> tuple[str | None, int, int, int]:
    fairness = (evidence or {}).get("fairness") or {}
    checks = fairness.get("checks") or []
    failed = sum(1 for c in checks if c.get("verdict") == "fail")
    unsure = sum(1 for c in checks if c.get("verdict") == "insufficient_evidence")
    return fairness.get("verdict"), failed, unsure, len(checks)


def portfolio(app: App) -> list[ModelStanding]:
    """Every model, by name, with its production, newest approved, on-its-way and latest versions."""
    summaries = {s.name: s for s in app.registry.list_models()}
    interesting = [s.value for s in (*APPROVED_STATES, *ON_ITS_WAY_STATES, State.PRODUCTION)]
    with app.db.read() as session:
        production = dict(session.execute(
            select(AliasRow.version_id, AliasRow.model_id).where(AliasRow.alias == "production")).all())
        rows = session.execute(
            select(ModelRow.name, VersionRow.id, VersionRow.number, VersionRow.state, VersionRow.updated_at,
                   VersionRow.failure_reason)
            .join(ModelRow, ModelRow.id == VersionRow.model_id)
            .where(or_(VersionRow.state.in_(interesting), VersionRow.number == ModelRow.latest_version,
                       VersionRow.id.in_(list(production) or [-1])))
            .order_by(ModelRow.name, VersionRow.number.desc())).all()
        ids = [r.id for r in rows]
        evidence: dict[int, dict[str, Any]] = {}
        if ids:
            for version_id, found in session.execute(
                    select(StageRunRow.version_id, StageRunRow.evidence)
                    .where(StageRunRow.stage == "reports", StageRunRow.version_id.in_(ids))
                    .order_by(StageRunRow.id)).all():
                evidence[version_id] = found  # the latest run of the stage wins
    by_model: dict[str, list[tuple[int, VersionStanding]]] = {}
    for r in rows:
        verdict, failed, unsure, total = _fairness(evidence.get(r.id))
        by_model.setdefault(r.name, []).append((r.id, VersionStanding(
            number=r.number, state=r.state, updated_at=r.updated_at, failure_reason=r.failure_reason,
            fairness_verdict=verdict, fairness_failed=failed, fairness_unsure=unsure, fairness_checks=total)))
    out = []
    for name, summary in summaries.items():
        versions = by_model.get(name, [])
        prod = next((v for vid, v in versions if vid in production), None)
        approved = next((v for _, v in versions if v.state in APPROVED_STATES and v is not prod), None)
        on_its_way = [v for _, v in versions if v.state in ON_ITS_WAY_STATES]
        latest = next((v for _, v in versions if v.number == summary.latest_version), None)
        out.append(ModelStanding(summary=summary, production=prod, approved=approved, on_its_way=on_its_way,
                                 latest=latest))
    return out
