"""A model's health in one word, and its recent monitoring in a plain sentence.

:func:`model_health` is what the Portfolio shows for each production model: **healthy** (no
figure left the range signed off), **at risk** (inputs shifted, fairness slipped, or
performance may be declining), **degraded** (performance — realised, or estimated from the
scores — clearly below the signed-off band: retraining recommended), or **not monitored**.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.domain import ModelHealth, MonitoringPeriod
from backend.metrics import METRICS
from backend.monitoring.alerts import ordinal, severity_rank
from backend.monitoring.periods import PERIODS, describe_period
from backend.monitoring.store import MonitoringStore

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["model_health", "plain_summary", "HEALTH_LABELS", "monitored_version"]

HEALTH_LABELS = {"healthy": "Healthy", "at_risk": "At risk", "degraded": "Degraded", "not_monitored": "Not monitored"}
_PERFORMANCE = ("performance", "estimated_performance")
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_UNITS = {"day": "day", "week": "week", "month": "month"}


def monitored_version(app: App, model: str) -> int | None:
    """The version whose monitoring counts: production's, else the newest one monitored."""
    production = app.registry.get_alias(model, "production")
    if production is not None:
        return production
    store = MonitoringStore(app.db)
    for period in PERIODS:
        periods = store.periods(model, period, limit=1)
        if periods:
            return periods[-1].version
    return None


def model_health(app: App, model: str) -> ModelHealth:
    """The health of ``model`` from its latest complete monitored periods (day, week and month)."""
    version = monitored_version(app, model)
    store = MonitoringStore(app.db)
    latest: list[MonitoringPeriod] = []
    if version is not None:
        for period in PERIODS:
            complete = [p for p in store.periods(model, period, version=version, limit=120) if p.complete]
            if complete:
                latest.append(complete[-1])
            # Outcomes arrive late: the newest period that has them says most about performance.
            realised = [p for p in complete if (p.result.get("performance") or {}).get("realised")]
            if realised and realised[-1] is not complete[-1]:
                latest.append(realised[-1])
    if not latest:
        return ModelHealth(model=model, status="not_monitored", version=version,
                           sentence="Not monitored yet: no complete period of its predictions has been judged. "
                                    "Run `greenlight monitor run`.")
    alerts = [dict(a, period=p.period, start=p.start) for p in latest for a in p.result.get("alerts", [])]
    newest = max(latest, key=lambda p: (p.end, -PERIODS.index(p.period)))
    degraded = [a for a in alerts if a["kind"] in _PERFORMANCE and severity_rank(a["severity"]) >= 1]
    risky = [a for a in alerts if a not in degraded and (severity_rank(a["severity"]) >= 1 or a["kind"] in _PERFORMANCE)]
    if degraded:
        lead = max(degraded, key=lambda a: severity_rank(a["severity"]))
        return ModelHealth(model=model, status="degraded", version=version, period=lead["period"], start=lead["start"],
                           sentence=lead["sentence"], retraining=lead.get("retraining"))
    if risky:
        lead = max(risky, key=lambda a: severity_rank(a["severity"]))
        return ModelHealth(model=model, status="at_risk", version=version, period=lead["period"], start=lead["start"],
                           sentence=lead["sentence"])
    return ModelHealth(model=model, status="healthy", version=version, period=newest.period, start=newest.start,
                       sentence=f"Healthy: in {describe_period(newest.start, newest.period)} no figure of version "
                                f"{version} left the range signed off.")


def _words(n: int) -> str:
    return _WORDS[n] if n < len(_WORDS) else f"{n:,}"


def _series(periods: list[MonitoringPeriod], metric: str, kind: str) -> list[tuple[MonitoringPeriod, float]]:
    """The metric's ``realised`` or ``estimated`` values over the periods that have one."""
    values = []
    for p in periods:
        performance = p.result.get("performance") or {}
        figures = performance.get("realised") if kind == "realised" else (performance.get("estimated") or {}).get("metrics")
        figure = (figures or {}).get(metric)
        if figure and figure.get("value") is not None:
            values.append((p, figure["value"]))
    return values


def _figure(period: MonitoringPeriod, metric: str, kind: str) -> dict:
    performance = period.result.get("performance") or {}
    figures = performance.get("realised") if kind == "realised" else (performance.get("estimated") or {}).get("metrics")
    return (figures or {}).get(metric) or {}


def _beyond_chance(before: dict, after: dict, higher_is_better: bool) -> bool:
    """Whether ``after`` moved the wrong way from ``before`` by more than its own 95% interval
    allows; without an interval, any move counts."""
    if higher_is_better:
        return after.get("high") is None or after["high"] < before["value"]
    return after.get("low") is None or after["low"] > before["value"]


def plain_summary(periods: list[MonitoringPeriod], task: str = "classification") -> str:
    """One or two sentences on how a version fares, e.g. "Accuracy has fallen for three weeks;
    the largest shift is in hours per week, the model's second most important input."."""
    if not periods:
        return "Nothing has been monitored yet."
    periods = sorted(periods, key=lambda p: p.start)
    unit = _UNITS.get(periods[-1].period, "period")
    metric = "roc_auc" if task == "classification" else "rmse"
    higher = METRICS[metric].higher_is_better
    series = _series(periods, metric, "realised")
    label = METRICS[metric].label
    if len(series) < 2:
        series = _series(periods, metric, "estimated")
        label = f"Estimated {label}"
    values = [v for _, v in series]
    kind = "estimated" if label.startswith("Estimated") else "realised"
    figures = [_figure(p, metric, kind) for p, _ in series]
    if len(values) < 2:
        trend = f"{label} cannot show a trend yet" if values else "No performance figure yet (no outcomes, no estimate)"
    else:
        streak = 0
        for before, after in zip(reversed(values[:-1]), reversed(values[1:]), strict=True):
            if (after < before) == higher and after != before:
                streak += 1
            else:
                break
        if streak and not _beyond_chance(figures[-1 - streak], figures[-1], higher):
            # A day's figure rests on few outcomes: a dip its interval still covers is noise.
            trend = (f"{label} {'dipped' if higher else 'rose'} in its latest {_words(streak) + ' ' if streak > 1 else ''}"
                     f"{unit}{'s' if streak > 1 else ''}, within what chance explains")
        elif streak >= 2:
            trend = f"{label} has {'fallen' if higher else 'risen'} for {_words(streak)} {unit}s"
        elif streak == 1:
            trend = f"{label} {'fell' if higher else 'rose'} in its latest {unit}"
        else:
            trend = f"{label} has not declined in its latest {unit}"
        waiting = sum(1 for p in periods if p.start > series[-1][0].start)
        if waiting and not label.startswith("Estimated"):
            trend += (f" up to {describe_period(series[-1][0].start, series[-1][0].period)} (the {_words(waiting)} "
                      f"{unit}{'s since have' if waiting > 1 else ' since has'} no outcomes yet)")
    drift = periods[-1].result.get("drift") or {}
    flagged = [f for f in drift.get("features") or [] if f.get("flagged")]
    if flagged:
        largest = max(flagged, key=lambda f: f["psi"])
        shift = f"the largest shift is in {largest['feature']}, the model's {ordinal(largest.get('importance_rank'))} input"
    elif drift.get("available"):
        shift = "no input has shifted beyond what chance explains"
    else:
        shift = drift.get("reason") or "drift could not be measured"
        return f"{trend}. {shift}"
    return f"{trend}; {shift}."
