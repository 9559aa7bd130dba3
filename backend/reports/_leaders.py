"""The leaders' overview: what is in production and how healthy it is, what waits for sign-off
and for how long, how many deployments this quarter, and how long the path takes.

Deployments and lead times are read from the audit log's state changes (a version reaching
production), so they hold for every door a version went through (portal, CLI, Python).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from backend.db.deployment_tables import CanaryRow, CanaryVerdictRow
from backend.db.tables import AliasRow, AuditRow, ModelRow, VersionRow
from backend.domain import LeadersOverview, QuarterFigures
from backend.registry.states import State

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["leaders_overview", "quarter_of", "previous_quarter", "quarter_figures", "CanaryHistory"]


def quarter_of(moment: datetime) -> tuple[str, datetime]:
    """``(label, start)`` of the calendar quarter ``moment`` falls in: ``("Q4 2026", 2026-10-01)``."""
    first_month = 3 * ((moment.month - 1) // 3) + 1
    return f"Q{(moment.month - 1) // 3 + 1} {moment.year}", datetime(moment.year, first_month, 1, tzinfo=UTC)


def previous_quarter(start: datetime) -> tuple[str, datetime]:
    """``(label, start)`` of the quarter before the one starting at ``start``."""
    month, year = (start.month - 3, start.year) if start.month > 3 else (start.month + 9, start.year - 1)
    return quarter_of(datetime(year, month, 1, tzinfo=UTC))


@dataclass(frozen=True)
class CanaryHistory:
    """One canary as the figures need it: when it started, ended and first failed, and how it ended."""

    started_at: datetime
    ended_at: datetime | None
    outcome: str | None  # promoted | rolled_back | None while it runs
    first_failure_at: datetime | None  # the canary judge's first failing verdict


def quarter_figures(quarter: str, start: datetime, end: datetime, *, canaries: list[CanaryHistory],
                    direct_to_production: list[datetime], arrivals: list[tuple[datetime, float]]) -> QuarterFigures:
    """A quarter's deployment figures, from ``start`` (included) to ``end`` (excluded).

    ``direct_to_production`` are the times versions went to production without a canary (an
    admin's first deployment, say); ``arrivals`` each version's first arrival in production with
    its lead time in seconds. A rollback belongs to the quarter it was made in; its time to restore
    runs from the first sign of trouble (the judge's first failing verdict, else the canary's start)
    to the rollback, when all traffic was back on production.
    """
    def inside(moment: datetime | None) -> bool:
        return moment is not None and start <= _aware(moment) < end

    started = [c for c in canaries if inside(c.started_at)]
    restores = [(_aware(c.ended_at) - _aware(c.first_failure_at or c.started_at)).total_seconds()
                for c in canaries if c.outcome == "rolled_back" and inside(c.ended_at)]
    leads = [lead for at, lead in arrivals if inside(at)]
    return QuarterFigures(
        quarter=quarter, deployments=len(started) + sum(1 for at in direct_to_production if inside(at)),
        rolled_back=sum(1 for c in started if c.outcome == "rolled_back"), to_production=len(leads),
        median_restore_seconds=median(restores) if restores else None, restores_measured=len(restores),
        median_lead_time_seconds=median(leads) if leads else None)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def leaders_overview(app: App, *, now: datetime | None = None) -> LeadersOverview:
    """The leaders' figures as of ``now`` (default: the current time).

    Returns
    -------
    LeadersOverview
        Production models and their health (from the monitoring job's results), versions awaiting
        sign-off and the longest wait, versions that reached production this calendar quarter,
        and the median time from a version's registration to its (first) arrival in production.
    """
    now = _aware(now or datetime.now(UTC))
    quarter, quarter_start = quarter_of(now)
    with app.db.read() as session:
        production = session.execute(
            select(ModelRow.name).join(AliasRow, AliasRow.model_id == ModelRow.id)
            .where(AliasRow.alias == "production").order_by(ModelRow.name)).scalars().all()
        waiting = session.execute(
            select(ModelRow.name, VersionRow.number, VersionRow.review_requested_at, VersionRow.updated_at)
            .join(ModelRow, ModelRow.id == VersionRow.model_id)
            .where(VersionRow.state == State.AWAITING_SIGNOFF.value)).all()
        # Only state changes that mention production are parsed (the JSON is matched in Python).
        arrivals = session.execute(
            select(AuditRow.model, AuditRow.version, AuditRow.at, AuditRow.detail)
            .where(AuditRow.action == "version.state", AuditRow.detail.like('%"production"%'))
            .order_by(AuditRow.seq)).all()
        registered = {(name, number): created for name, number, created in session.execute(
            select(ModelRow.name, VersionRow.number, VersionRow.created_at)
            .join(ModelRow, ModelRow.id == VersionRow.model_id)).all()}
        first_failure = (select(CanaryVerdictRow.canary_id, func.min(CanaryVerdictRow.judged_at).label("at"))
                         .where(CanaryVerdictRow.verdict == "fail").group_by(CanaryVerdictRow.canary_id).subquery())
        canaries = [CanaryHistory(started_at=started, ended_at=ended, outcome=outcome, first_failure_at=failed)
                    for started, ended, outcome, failed in session.execute(
                        select(CanaryRow.started_at, CanaryRow.ended_at, CanaryRow.outcome, first_failure.c.at)
                        .outerjoin(first_failure, first_failure.c.canary_id == CanaryRow.id)).all()]

    # Imported here: the monitoring package itself imports backend.reports (for its stored files).
    from backend.monitoring import model_health

    health: dict[str, int] = {}
    for name in production:
        status = model_health(app, name).status
        health[status] = health.get(status, 0) + 1

    waits = [(name, number, (now - _aware(asked or updated)).total_seconds())
             for name, number, asked, updated in waiting]
    longest = max(waits, key=lambda w: w[2]) if waits else None

    first_arrival: dict[tuple[str, int], datetime] = {}
    direct: list[datetime] = []
    this_quarter = 0
    for model, version, at, detail in arrivals:
        change = json.loads(detail)
        if change.get("to") != State.PRODUCTION.value:
            continue
        at = _aware(at)
        if quarter_start <= at <= now:
            this_quarter += 1
        if change.get("from") != State.CANARY.value:
            direct.append(at)
        first_arrival.setdefault((model, version), at)
    lead_times = [(at - _aware(registered[key])).total_seconds() for key, at in first_arrival.items()
                  if key in registered]
    leads = [(at, (at - _aware(registered[key])).total_seconds()) for key, at in first_arrival.items()
             if key in registered]
    last_label, last_start = previous_quarter(quarter_start)
    recent = quarter_figures(quarter, quarter_start, now, canaries=canaries, direct_to_production=direct,
                             arrivals=leads)
    before = quarter_figures(last_label, last_start, quarter_start, canaries=canaries, direct_to_production=direct,
                             arrivals=leads)
    return LeadersOverview(
        as_of=now, in_production=len(production), health=health, waiting_for_signoff=len(waits),
        longest_wait=longest, quarter=quarter, deployments_this_quarter=this_quarter,
        median_lead_time_seconds=median(lead_times) if lead_times else None, lead_times_measured=len(lead_times),
        this_quarter=recent, last_quarter=before)
