"""Monitoring's records in the database: reference statistics, daily aggregates, judged periods,
alerts and runs. Every method is one transaction and returns plain values or domain objects.

Writes that change what a person sees — a new alert, a delivery, a run — are appended to the
audit log in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.db.tables import (
    ModelRow,
    MonitoringAlertRow,
    MonitoringDayRow,
    MonitoringPeriodRow,
    MonitoringReferenceRow,
    MonitoringRunRow,
    VersionRow,
)
from backend.db.types import utcnow
from backend.domain import MonitoringAlert, MonitoringPeriod, MonitoringRun
from backend.errors import NotFound
from backend.governance import audit
from backend.reports import jsonable

__all__ = ["MonitoringStore"]


def _model(session: Session, name: str) -> ModelRow:
    row = session.execute(select(ModelRow).where(ModelRow.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no model named '{name}'.")
    return row


def _version(session: Session, model: ModelRow, number: int) -> VersionRow:
    row = session.execute(select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.number == number)
                          ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Model '{model.name}' has no version {number}.")
    return row


def _alert(row: MonitoringAlertRow, model: str, version: int) -> MonitoringAlert:
    return MonitoringAlert(id=row.id, model=model, version=version, period=row.period, start=row.start, end=row.end,
                           kind=row.kind, severity=row.severity, sentence=row.sentence, detail=dict(row.detail or {}),
                           created_at=row.created_at, delivered_at=row.delivered_at,
                           delivery_attempts=row.delivery_attempts or 0, last_error=row.last_error)


def _run(row: MonitoringRunRow) -> MonitoringRun:
    return MonitoringRun(id=row.id, actor=row.actor, period=row.period, engine=row.engine, since=row.since,
                         status=row.status, started_at=row.started_at, finished_at=row.finished_at,
                         summary=dict(row.summary or {}), message=row.message)


class MonitoringStore:
    """Reads and writes monitoring's tables.

    Parameters
    ----------
    db : Database
    """

    def __init__(self, db: Database):
        self.db = db

    # -- reference statistics ------------------------------------------------------------

    def reference(self, model: str, version: int) -> tuple[str, dict[str, Any]] | None:
        """``(sources key, statistics)`` kept for the version, or None."""
        with self.db.read() as session:
            row = session.get(MonitoringReferenceRow, _version(session, _model(session, model), version).id)
            return None if row is None else (row.sources_key, dict(row.stats))

    def save_reference(self, model: str, version: int, *, key: str, stats: dict[str, Any]) -> None:
        with self.db.write() as session:
            v = _version(session, _model(session, model), version)
            row = session.get(MonitoringReferenceRow, v.id)
            if row is None:
                session.add(MonitoringReferenceRow(version_id=v.id, sources_key=key, stats=jsonable(stats),
                                                   created_at=utcnow()))
            else:
                row.sources_key, row.stats, row.created_at = key, jsonable(stats), utcnow()

    # -- daily aggregates ----------------------------------------------------------------

    def day_fingerprints(self, model: str, kind: str) -> dict[date, str]:
        with self.db.read() as session:
            m = _model(session, model)
            return dict(session.execute(select(MonitoringDayRow.day, MonitoringDayRow.fingerprint)
                                        .where(MonitoringDayRow.model_id == m.id, MonitoringDayRow.kind == kind)).all())

    def days(self, model: str, kind: str, start: date, end: date) -> dict[date, tuple[str, dict[str, Any]]]:
        """``{day: (fingerprint, {version: aggregates})}`` for the days in [start, end]."""
        with self.db.read() as session:
            m = _model(session, model)
            rows = session.execute(select(MonitoringDayRow).where(
                MonitoringDayRow.model_id == m.id, MonitoringDayRow.kind == kind, MonitoringDayRow.day >= start,
                MonitoringDayRow.day <= end)).scalars()
            return {r.day: (r.fingerprint, dict(r.aggregates or {})) for r in rows}

    def save_days(self, model: str, kind: str, days: dict[date, tuple[str, dict[str, Any]]]) -> None:
        """Store (or replace) the aggregates of ``days``: ``{day: (fingerprint, {version: aggregates})}``."""
        if not days:
            return
        with self.db.write() as session:
            m = _model(session, model)
            existing = {r.day: r for r in session.execute(select(MonitoringDayRow).where(
                MonitoringDayRow.model_id == m.id, MonitoringDayRow.kind == kind,
                MonitoringDayRow.day.in_(list(days)))).scalars()}
            for day, (fingerprint, aggregates) in days.items():
                row = existing.get(day)
                if row is None:
                    session.add(MonitoringDayRow(model_id=m.id, day=day, kind=kind, fingerprint=fingerprint,
                                                 aggregates=jsonable(aggregates), computed_at=utcnow()))
                else:
                    row.fingerprint, row.aggregates, row.computed_at = fingerprint, jsonable(aggregates), utcnow()

    # -- periods -------------------------------------------------------------------------

    def period_fingerprints(self, model: str, period: str) -> dict[tuple[int, date], str]:
        with self.db.read() as session:
            m = _model(session, model)
            rows = session.execute(select(VersionRow.number, MonitoringPeriodRow.start, MonitoringPeriodRow.fingerprint)
                                   .join(VersionRow, VersionRow.id == MonitoringPeriodRow.version_id)
                                   .where(MonitoringPeriodRow.model_id == m.id, MonitoringPeriodRow.period == period))
            return {(number, start): fingerprint for number, start, fingerprint in rows}

    def save_period(self, model: str, version: int, *, period: str, start: date, end: date, complete: bool,
                    fingerprint: str, result: dict[str, Any]) -> None:
        with self.db.write() as session:
            m = _model(session, model)
            v = _version(session, m, version)
            row = session.execute(select(MonitoringPeriodRow).where(
                MonitoringPeriodRow.version_id == v.id, MonitoringPeriodRow.period == period,
                MonitoringPeriodRow.start == start)).scalar_one_or_none()
            if row is None:
                session.add(MonitoringPeriodRow(model_id=m.id, version_id=v.id, period=period, start=start, end=end,
                                                complete=complete, fingerprint=fingerprint, result=jsonable(result),
                                                computed_at=utcnow()))
            else:
                row.end, row.complete, row.fingerprint, row.result = end, complete, fingerprint, jsonable(result)
                row.computed_at = utcnow()

    def periods(self, model: str, period: str, *, version: int | None = None, limit: int = 120) -> list[MonitoringPeriod]:
        """The newest ``limit`` judged periods of ``model``, oldest first."""
        with self.db.read() as session:
            m = _model(session, model)
            query = (select(MonitoringPeriodRow, VersionRow.number).join(VersionRow, VersionRow.id == MonitoringPeriodRow.version_id)
                     .where(MonitoringPeriodRow.model_id == m.id, MonitoringPeriodRow.period == period))
            if version is not None:
                query = query.where(VersionRow.number == version)
            rows = session.execute(query.order_by(MonitoringPeriodRow.start.desc(), VersionRow.number.desc())
                                   .limit(limit)).all()
            return [MonitoringPeriod(model=model, version=number, period=r.period, start=r.start, end=r.end,
                                     complete=r.complete, result=dict(r.result or {}), computed_at=r.computed_at)
                    for r, number in reversed(rows)]

    # -- alerts --------------------------------------------------------------------------

    def raise_alerts(self, model: str, version: int, *, period: str, start: date, end: date,
                     alerts: list[dict[str, Any]], actor: str) -> list[MonitoringAlert]:
        """Store the alerts not raised before for this version, period and kind; return the new ones."""
        if not alerts:
            return []
        with self.db.write() as session:
            m = _model(session, model)
            v = _version(session, m, version)
            known = set(session.execute(select(MonitoringAlertRow.kind).where(
                MonitoringAlertRow.version_id == v.id, MonitoringAlertRow.period == period,
                MonitoringAlertRow.start == start)).scalars())
            new = []
            for alert in alerts:
                if alert["kind"] in known:
                    continue
                detail = {**alert.get("detail", {}), **({"retraining": alert["retraining"]} if alert.get("retraining") else {})}
                row = MonitoringAlertRow(model_id=m.id, version_id=v.id, period=period, start=start, end=end,
                                         kind=alert["kind"], severity=alert["severity"], sentence=alert["sentence"],
                                         detail=jsonable(detail), created_at=utcnow(), delivery_attempts=0)
                session.add(row)
                session.flush()
                audit.append(session=session, actor=actor, action="monitoring.alert", model=model, version=version,
                             detail={"id": row.id, "kind": row.kind, "severity": row.severity, "period": period,
                                     "start": start.isoformat(), "sentence": row.sentence})
                new.append(_alert(row, model, version))
            return new

    def alerts(self, *, model: str | None = None, limit: int = 200) -> list[MonitoringAlert]:
        """The newest alerts (of one model, or all), newest first."""
        with self.db.read() as session:
            query = (select(MonitoringAlertRow, ModelRow.name, VersionRow.number)
                     .join(ModelRow, ModelRow.id == MonitoringAlertRow.model_id)
                     .join(VersionRow, VersionRow.id == MonitoringAlertRow.version_id))
            if model is not None:
                query = query.where(MonitoringAlertRow.model_id == _model(session, model).id)
            rows = session.execute(query.order_by(MonitoringAlertRow.start.desc(), MonitoringAlertRow.id.desc())
                                   .limit(limit)).all()
            return [_alert(row, name, number) for row, name, number in rows]

    def undelivered(self, *, severities: tuple[str, ...]) -> list[MonitoringAlert]:
        """Alerts not yet delivered to the webhook, oldest first."""
        with self.db.read() as session:
            rows = session.execute(select(MonitoringAlertRow, ModelRow.name, VersionRow.number)
                                   .join(ModelRow, ModelRow.id == MonitoringAlertRow.model_id)
                                   .join(VersionRow, VersionRow.id == MonitoringAlertRow.version_id)
                                   .where(MonitoringAlertRow.delivered_at.is_(None),
                                          MonitoringAlertRow.severity.in_(severities))
                                   .order_by(MonitoringAlertRow.id)).all()
            return [_alert(row, name, number) for row, name, number in rows]

    def record_delivery(self, alert_id: int, *, error: str | None, actor: str, target: str) -> None:
        """A delivery attempt: delivered (``error`` None) or failed, kept for the next attempt."""
        with self.db.write() as session:
            row = session.get(MonitoringAlertRow, alert_id)
            if row is None:
                raise NotFound(f"Monitoring alert {alert_id} does not exist.")
            row.delivery_attempts = (row.delivery_attempts or 0) + 1
            if error is None:
                row.delivered_at, row.last_error = utcnow(), None
                model = session.get(ModelRow, row.model_id)
                version = session.get(VersionRow, row.version_id)
                audit.append(session=session, actor=actor, action="monitoring.alert_delivered", model=model.name,
                             version=version.number, detail={"id": row.id, "target": target,
                                                             "attempts": row.delivery_attempts})
            else:
                row.last_error = error[:2000]

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, *, actor: str, period: str, engine: str, since: date | None) -> int:
        with self.db.write() as session:
            row = MonitoringRunRow(actor=actor, period=period, engine=engine, since=since, status="running",
                                   started_at=utcnow(), summary={})
            session.add(row)
            session.flush()
            return row.id

    def finish_run(self, run_id: int, *, status: str, summary: dict[str, Any], message: str | None,
                   actor: str) -> MonitoringRun:
        with self.db.write() as session:
            row = session.get(MonitoringRunRow, run_id)
            if row is None:
                raise NotFound(f"Monitoring run {run_id} does not exist.")
            row.status, row.summary, row.message, row.finished_at = status, jsonable(summary), message, utcnow()
            audit.append(session=session, actor=actor, action="monitoring.run",
                         detail={"id": run_id, "status": status, "period": row.period, "engine": row.engine,
                                 **{k: v for k, v in summary.items() if isinstance(v, int | float | str)}})
            return _run(row)

    def runs(self, *, limit: int = 20) -> list[MonitoringRun]:
        with self.db.read() as session:
            rows = session.execute(select(MonitoringRunRow).order_by(MonitoringRunRow.id.desc()).limit(limit)).scalars()
            return [_run(r) for r in rows]
