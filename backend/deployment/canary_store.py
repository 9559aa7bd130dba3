"""Canaries and the judge's verdicts in the database, inside the caller's transaction.

A canary is a row from its start to its promotion or rollback; each run of the judge adds a
verdict row tied to it. Rows become domain objects here and never leave the backend.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import CanaryRow, CanaryVerdictRow, ModelRow, VersionRow
from backend.db.types import utcnow
from backend.deployment.judge import Judgement
from backend.domain import CanaryRun, CanaryVerdict
from backend.errors import NotFound

__all__ = ["model_row", "version_row", "version_by_id", "running_canary", "latest_canary", "latest_verdict",
           "canary_run", "verdict_of", "add_canary", "close_canary", "add_verdict", "canaries_of"]


def model_row(session: Session, name: str, *, lock: bool = False) -> ModelRow:
    """The model, locked for the transaction when ``lock`` (two deployments of one model queue)."""
    query = select(ModelRow).where(ModelRow.name == name)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no model named '{name}'.")
    return row


def version_row(session: Session, model: ModelRow, number: int, *, lock: bool = False) -> VersionRow:
    query = select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.number == number)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Model '{model.name}' has no version {number}.")
    return row


def version_by_id(session: Session, version_id: int | None, *, lock: bool = False) -> VersionRow | None:
    if version_id is None:
        return None
    query = select(VersionRow).where(VersionRow.id == version_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def running_canary(session: Session, model: ModelRow) -> CanaryRow | None:
    return session.execute(select(CanaryRow).where(CanaryRow.model_id == model.id, CanaryRow.ended_at.is_(None))
                           .order_by(CanaryRow.id.desc()).limit(1)).scalar_one_or_none()


def latest_canary(session: Session, model: ModelRow) -> CanaryRow | None:
    return session.execute(select(CanaryRow).where(CanaryRow.model_id == model.id)
                           .order_by(CanaryRow.id.desc()).limit(1)).scalar_one_or_none()


def canaries_of(session: Session, model: ModelRow, *, version_id: int | None = None) -> list[CanaryRow]:
    query = select(CanaryRow).where(CanaryRow.model_id == model.id).order_by(CanaryRow.id)
    if version_id is not None:
        query = query.where(CanaryRow.version_id == version_id)
    return list(session.execute(query).scalars())


def latest_verdict(session: Session, canary: CanaryRow) -> CanaryVerdictRow | None:
    return session.execute(select(CanaryVerdictRow).where(CanaryVerdictRow.canary_id == canary.id)
                           .order_by(CanaryVerdictRow.id.desc()).limit(1)).scalar_one_or_none()


def _number(session: Session, version_id: int | None) -> int | None:
    if version_id is None:
        return None
    return session.execute(select(VersionRow.number).where(VersionRow.id == version_id)).scalar_one_or_none()


def canary_run(session: Session, row: CanaryRow, model_name: str) -> CanaryRun:
    return row.to_domain(model_name, _number(session, row.version_id), _number(session, row.champion_version_id))


def verdict_of(session: Session, row: CanaryVerdictRow, model_name: str) -> CanaryVerdict:
    canary = session.get(CanaryRow, row.canary_id)
    return row.to_domain(model_name, _number(session, canary.version_id))


def add_canary(session: Session, model: ModelRow, version: VersionRow, champion: VersionRow | None, *,
               traffic_percent: float, min_requests: int, started_by: str) -> CanaryRow:
    row = CanaryRow(model_id=model.id, version_id=version.id, champion_version_id=champion.id if champion else None,
                    traffic_percent=traffic_percent, min_requests=min_requests, started_at=utcnow(),
                    started_by=started_by, automatic=False)
    session.add(row)
    session.flush()
    return row


def close_canary(row: CanaryRow, *, outcome: str, ended_by: str, reason: str, override_reason: str | None = None,
                 automatic: bool = False) -> None:
    row.ended_at, row.ended_by, row.outcome, row.end_reason = utcnow(), ended_by, outcome, reason
    row.override_reason, row.automatic = override_reason, automatic


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: store them as null (shown as "—")."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if hasattr(value, "item"):  # a numpy number
        return _finite(value.item())
    return value


def add_verdict(session: Session, canary: CanaryRow, judgement: Judgement, *, production_version: int | None,
                canary_requests: int, production_requests: int, window_start: datetime, window_end: datetime,
                judged_by: str) -> CanaryVerdictRow:
    checks = [_finite(dataclasses.asdict(check)) for check in judgement.checks]
    row = CanaryVerdictRow(canary_id=canary.id, verdict=judgement.verdict, headline=judgement.headline,
                           reasons=list(judgement.reasons), checks=checks, production_version=production_version,
                           canary_requests=canary_requests, production_requests=production_requests,
                           min_requests=canary.min_requests, window_start=window_start, window_end=window_end,
                           judged_at=utcnow(), judged_by=judged_by, rolled_back=False)
    session.add(row)
    session.flush()
    return row
