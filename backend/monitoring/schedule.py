"""``greenlight monitor schedule``: one long-lived process that runs the monitoring job daily,
with weekly roll-ups on Mondays and monthly roll-ups on the first of the month.

Each tick judges the days of the last :data:`LOOKBACK_DAYS` (incremental: unchanged days are
not read again, so late outcomes are picked up cheaply) and retries every alert the webhook has
not accepted yet. A failed run is recorded and the schedule goes on; SIGTERM or Ctrl-C ends it
between runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from backend.errors import GreenlightError
from backend.monitoring.job import MonitoringReport, run_monitoring

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["run_schedule", "next_run_after", "runs_due", "LOOKBACK_DAYS"]

#: How far back each daily run looks for new files and late outcomes.
LOOKBACK_DAYS = 90


def next_run_after(moment: datetime, at: time) -> datetime:
    """The first time of day ``at`` (UTC) strictly after ``moment``."""
    candidate = datetime.combine(moment.astimezone(UTC).date(), at, tzinfo=UTC)
    return candidate if candidate > moment else candidate + timedelta(days=1)


def runs_due(day: date) -> list[tuple[str, date]]:
    """What the run of ``day`` judges: (period, since), the daily one always, the roll-ups when due."""
    due = [("day", day - timedelta(days=LOOKBACK_DAYS))]
    if day.weekday() == 0:
        due.append(("week", day - timedelta(days=14)))
    if day.day == 1:
        previous = (day - timedelta(days=1)).replace(day=1)
        due.append(("month", previous))
    return due


def run_schedule(app: App, *, actor: str, at: time = time(2, 0), engine: str = "duckdb", webhook: str | None = None,
                 stop: threading.Event | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 max_ticks: int | None = None, run_now: bool = False,
                 say: Callable[[str], None] = lambda _m: None) -> int:
    """Run the job every day at ``at`` (UTC) until ``stop`` is set; returns the number of ticks run.

    ``clock`` and ``max_ticks`` let a test drive the schedule without waiting a day.
    """
    stop = stop or threading.Event()
    ticks = 0
    due_at = clock() if run_now else next_run_after(clock(), at)
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        wait = (due_at - clock()).total_seconds()
        if wait > 0:
            say(f"next run at {due_at:%Y-%m-%d %H:%M} UTC")
            if stop.wait(wait):
                break
        today = clock().date()
        for period, since in runs_due(today):
            try:
                report: MonitoringReport = run_monitoring(app, actor=actor, period=period, since=since, engine=engine,
                                                          webhook=webhook)
                say(f"{period} run {report.run_id}: {report.summary['periods_judged']} periods judged, "
                    f"{report.summary['alerts_raised']} new alerts, {report.summary['alerts_delivered']} delivered")
            except GreenlightError as exc:
                say(f"{period} run failed: {exc.message}")
            except Exception as exc:  # the schedule outlives one bad run; the run's record keeps why
                say(f"{period} run failed: {type(exc).__name__}: {exc}")
        ticks += 1
        due_at = next_run_after(clock(), at)
    return ticks
