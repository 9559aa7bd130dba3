"""The leaders' overview: what is in production and how healthy it is, what waits for sign-off
and for how long, how many deployments this quarter, and how long the path takes.

Deployments and lead times are read from the audit log's state changes (a version reaching
production), so they hold for every door a version went through (portal, CLI, Python).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from statistics import median
from typing import TYPE_CHECKING

from sqlalchemy import select

from backend.db.tables import AliasRow, AuditRow, ModelRow, VersionRow
from backend.domain import LeadersOverview
from backend.registry.states import State

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["leaders_overview", "quarter_of"]


def quarter_of(moment: datetime) -> tuple[str, datetime]:
    """``(label, start)`` of the calendar quarter ``moment`` falls in: ``("Q4 2026", 2026-10-01)``."""
    first_month = 3 * ((moment.month - 1) // 3) + 1
    return f"Q{(moment.month - 1) // 3 + 1} {moment.year}", datetime(moment.year, first_month, 1, tzinfo=UTC)


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
    this_quarter = 0
    for model, version, at, detail in arrivals:
        if json.loads(detail).get("to") != State.PRODUCTION.value:
            continue
        at = _aware(at)
        if quarter_start <= at <= now:
            this_quarter += 1
        first_arrival.setdefault((model, version), at)
    lead_times = [(at - _aware(registered[key])).total_seconds() for key, at in first_arrival.items()
                  if key in registered]
    return LeadersOverview(
        as_of=now, in_production=len(production), health=health, waiting_for_signoff=len(waits),
        longest_wait=longest, quarter=quarter, deployments_this_quarter=this_quarter,
        median_lead_time_seconds=median(lead_times) if lead_times else None, lead_times_measured=len(lead_times))
