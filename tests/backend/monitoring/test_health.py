"""The plain-words summary of a stretch of periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from backend.domain import MonitoringPeriod
from backend.monitoring import plain_summary


def _week(k: int, auc: float | None, *, estimated: float = 0.8, shifted: str | None = None,
          interval: tuple[float, float] | None = None) -> MonitoringPeriod:
    start = date(2026, 10, 5) + timedelta(weeks=k)
    realised = {"roc_auc": {"value": auc, **({"low": interval[0], "high": interval[1]} if interval else {})}} \
        if auc is not None else None
    features = [{"feature": "hours per week", "flagged": shifted == "hours per week", "psi": 0.3, "importance_rank": 2},
                {"feature": "age", "flagged": False, "psi": 0.01, "importance_rank": 1}]
    return MonitoringPeriod(model="m", version=1, period="week", start=start, end=start + timedelta(days=6),
                            complete=True, computed_at=datetime.now(UTC), result={
                                "performance": {"realised": realised, "estimated": {
                                    "metrics": {"roc_auc": {"value": estimated, "is_estimate": True}}}},
                                "drift": {"available": True, "features": features}})


def test_a_steady_fall_and_the_largest_shift_are_said_in_one_sentence():
    periods = [_week(0, 0.84), _week(1, 0.83), _week(2, 0.81), _week(3, 0.78, shifted="hours per week")]
    assert plain_summary(periods) == ("ROC AUC has fallen for three weeks; the largest shift is in hours per week, "
                                      "the model's second most important input.")


def test_weeks_without_outcomes_are_named_and_estimates_are_called_estimates():
    periods = [_week(0, 0.84), _week(1, 0.83), _week(2, None), _week(3, None)]
    assert plain_summary(periods).startswith("ROC AUC fell in its latest week up to the week of 12 Oct 2026 (the two "
                                             "weeks since have no outcomes yet); no input has shifted")
    estimated = [_week(0, None, estimated=0.8), _week(1, None, estimated=0.81)]
    assert plain_summary(estimated).startswith("Estimated ROC AUC has not declined in its latest week")


def test_a_dip_its_interval_still_covers_is_called_chance_and_a_clear_fall_is_not():
    # A day or a week rests on few outcomes: 0.80 -> 0.78 with an interval up to 0.83 is noise.
    noisy = [_week(0, 0.80, interval=(0.76, 0.84)), _week(1, 0.78, interval=(0.73, 0.83))]
    assert plain_summary(noisy).startswith("ROC AUC dipped in its latest week, within what chance explains; ")
    two = [*noisy, _week(2, 0.77, interval=(0.72, 0.82))]
    assert plain_summary(two).startswith("ROC AUC dipped in its latest two weeks, within what chance explains; ")
    clear = [_week(0, 0.80, interval=(0.76, 0.84)), _week(1, 0.70, interval=(0.65, 0.75))]
    assert plain_summary(clear).startswith("ROC AUC fell in its latest week; ")
    steady_fall = [*clear, _week(2, 0.62, interval=(0.57, 0.67))]
    assert plain_summary(steady_fall).startswith("ROC AUC has fallen for two weeks; ")
