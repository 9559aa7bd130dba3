"""The daily schedule: when it runs, what each run judges, and that it runs the job."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from backend.monitoring import MonitoringStore
from backend.monitoring.schedule import next_run_after, run_schedule, runs_due
from tests.backend.monitoring.conftest import SCHEMA, population
from tests.serving_factories import log_predictions, monitored_version


def test_the_next_run_is_the_next_time_of_day_in_utc():
    assert next_run_after(datetime(2026, 12, 3, 1, 0, tzinfo=UTC), time(2, 0)) == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert next_run_after(datetime(2026, 12, 3, 2, 0, tzinfo=UTC), time(2, 0)) == datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def test_roll_ups_run_on_mondays_and_on_the_first_of_the_month():
    assert [p for p, _ in runs_due(date(2026, 12, 3))] == ["day"]  # a Thursday
    assert [p for p, _ in runs_due(date(2026, 11, 30))] == ["day", "week"]  # a Monday
    assert runs_due(date(2026, 12, 1))[-1] == ("month", date(2026, 11, 1))


def test_the_schedule_runs_the_job_each_day_until_told_to_stop(app, log):
    X, y, s = population(2000, 0)
    version = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA)
    today = datetime.now(UTC).date()
    log_predictions(log, "watched", version, X.head(500), s[:500], today - timedelta(days=2), schema=SCHEMA)
    said: list[str] = []
    ticks = run_schedule(app, actor="scheduler", run_now=True, max_ticks=1, say=said.append)
    assert ticks == 1
    runs = MonitoringStore(app.db).runs()
    assert runs and runs[0].status == "passed" and runs[0].actor == "scheduler"
    assert any(m.startswith("day run ") and "1 periods judged" in m for m in said), said
    assert MonitoringStore(app.db).periods("watched", "day")[0].start == today - timedelta(days=2)
