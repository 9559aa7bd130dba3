"""The leaders' figures: production and health, waits for sign-off, deployments, lead time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.reports import leaders_overview
from backend.reports._leaders import quarter_of
from tests.factories import approve_all, put_in_production, validated_version


def test_quarters_start_on_the_first_of_january_april_july_and_october():
    assert quarter_of(datetime(2026, 12, 3, tzinfo=UTC)) == ("Q4 2026", datetime(2026, 10, 1, tzinfo=UTC))
    assert quarter_of(datetime(2027, 1, 1, tzinfo=UTC)) == ("Q1 2027", datetime(2027, 1, 1, tzinfo=UTC))
    assert quarter_of(datetime(2026, 6, 30, tzinfo=UTC))[0] == "Q2 2026"


def test_an_empty_registry_has_nothing_to_report(app):
    figures = leaders_overview(app)
    assert (figures.in_production, figures.waiting_for_signoff, figures.deployments_this_quarter) == (0, 0, 0)
    assert figures.health == {} and figures.longest_wait is None
    assert figures.median_lead_time_seconds is None and figures.lead_times_measured == 0


def test_production_waits_deployments_and_lead_time(app):
    live = validated_version(app, "live-model")
    approve_all(app, "live-model", live)
    put_in_production(app, "live-model", live)
    waiting = validated_version(app, "waiting-model")
    app.signoffs.request("waiting-model", waiting, actor="pipeline")
    asked = app.registry.get_version("waiting-model", waiting).review_requested_at

    later = asked + timedelta(days=3)
    figures = leaders_overview(app, now=later)
    assert figures.in_production == 1 and figures.health == {"not_monitored": 1}
    assert figures.waiting_for_signoff == 1
    name, number, seconds = figures.longest_wait
    assert (name, number) == ("waiting-model", waiting) and abs(seconds - 3 * 86400) < 5
    assert figures.deployments_this_quarter == 1 and figures.lead_times_measured == 1
    assert 0 <= figures.median_lead_time_seconds < 3600

    next_quarter = quarter_of(later)[1] + timedelta(days=100)
    assert leaders_overview(app, now=next_quarter).deployments_this_quarter == 0, "last quarter's deployment"
