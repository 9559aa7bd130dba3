"""The leaders' rollback figures: the share of deployments rolled back, the time to restore
production after a rollback, and how both moved from last quarter to this one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from backend.db.deployment_tables import CanaryRow
from backend.reports import leaders_overview
from backend.reports._leaders import CanaryHistory, previous_quarter, quarter_figures, quarter_of
from tests.factories import admin, approve_all, person, put_in_production, validated_version

Q3 = datetime(2026, 7, 1, tzinfo=UTC)
Q4 = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 15, tzinfo=UTC)


def _at(days: float, start: datetime = Q4) -> datetime:
    return start + timedelta(days=days)


def test_the_quarter_before_wraps_round_the_year():
    assert previous_quarter(Q4) == ("Q3 2026", Q3)
    assert previous_quarter(datetime(2027, 1, 1, tzinfo=UTC)) == ("Q4 2026", Q4)


def test_share_rolled_back_and_time_to_restore_from_known_times():
    canaries = [
        # rolled back 2 hours after the judge's first fail (which came 1 day after the start)
        CanaryHistory(_at(1), _at(2, _at(0)) + timedelta(hours=2), "rolled_back", _at(2)),
        # rolled back by hand 6 hours after it started, no failing verdict: counted from its start
        CanaryHistory(_at(10), _at(10) + timedelta(hours=6), "rolled_back", None),
        CanaryHistory(_at(20), _at(25), "promoted", None),
        CanaryHistory(_at(40), None, None, None),  # still running
        CanaryHistory(_at(5, Q3), _at(6, Q3), "promoted", None),  # last quarter's
    ]
    direct = [_at(3), _at(50, Q3)]  # first deployments, straight to production
    arrivals = [(_at(25), 5 * 86400.0), (_at(3), 86400.0), (_at(6, Q3), 3 * 86400.0), (_at(50, Q3), 2 * 86400.0)]
    now = quarter_figures("Q4 2026", Q4, NOW, canaries=canaries, direct_to_production=direct, arrivals=arrivals)
    assert now.deployments == 5 and now.rolled_back == 2 and now.rollback_share == 0.4
    assert now.restores_measured == 2 and now.median_restore_seconds == 4 * 3600  # median of 2 h and 6 h
    assert now.to_production == 2 and now.median_lead_time_seconds == 3 * 86400
    before = quarter_figures("Q3 2026", Q3, Q4, canaries=canaries, direct_to_production=direct, arrivals=arrivals)
    assert before.deployments == 2 and before.rolled_back == 0 and before.rollback_share == 0.0
    assert before.median_restore_seconds is None and before.median_lead_time_seconds == 2.5 * 86400
    nothing = quarter_figures("Q2 2026", Q3 - timedelta(days=91), Q3, canaries=[], direct_to_production=[],
                              arrivals=[])
    assert nothing.rollback_share is None and nothing.median_restore_seconds is None


def test_a_rolled_back_canary_counts_in_the_overview(app):
    first = validated_version(app, "loan")
    approve_all(app, "loan", first)
    put_in_production(app, "loan", first)
    second = validated_version(app, "loan")
    approve_all(app, "loan", second)
    app.deployments.start_canary("loan", second, 10, actor=person(app, "dana"))
    app.deployments.rollback("loan", actor=admin(app), reason="Complaints from the call centre.")
    now = datetime.now(UTC)
    # Known times, inside this quarter whatever the date: the canary served three hours before its rollback.
    early = now - quarter_of(now)[1] < timedelta(hours=4)
    started = now + timedelta(minutes=1) if early else now - timedelta(hours=3, minutes=1)
    with app.db.write() as session:
        session.execute(update(CanaryRow).values(started_at=started, ended_at=started + timedelta(hours=3)))
    figures = leaders_overview(app, now=max(now, started + timedelta(hours=3, seconds=1)))
    recent = figures.this_quarter
    assert recent.deployments == 2  # the first version straight to production, and the canary
    assert recent.rolled_back == 1 and recent.rollback_share == 0.5
    assert recent.median_restore_seconds == 3 * 3600
    assert figures.last_quarter.deployments == 0 and figures.last_quarter.rollback_share is None
