"""The monitoring job: read the prediction log, judge each period against the signed-off
baseline, raise alerts, deliver them.

Incremental and idempotent. A day of the log is aggregated once: its record names the files it
was read from (files are written whole and never changed), so a day is read again only when a
file was added to it, when an outcome arrived for it, or when the version's reference changed.
A period is judged again only when one of its days changed; judging the same days twice gives
the same figures, and an alert is raised once per version, period and kind.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from backend.errors import NotFound
from backend.monitoring.aggregations import (
    AggregationPlan,
    input_aggregates,
    outcome_aggregates,
    versions_by_day,
)
from backend.monitoring.alerts import period_alerts
from backend.monitoring.analysis import analyse_period
from backend.monitoring.engines import Engine, file_urls, open_engine
from backend.monitoring.periods import period_start, periods_between, sum_days
from backend.monitoring.reference import compute_reference_stats, reference_sources, sources_key
from backend.monitoring.store import MonitoringStore
from backend.monitoring.webhook import deliver_alerts
from backend.registry.prediction_log import PredictionLog

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["run_monitoring", "MonitoringReport", "ensure_reference", "plan_for", "ANALYSIS_VERSION"]

#: Part of every period's fingerprint: a change in how periods are judged re-judges them once.
ANALYSIS_VERSION = 1


@dataclass
class MonitoringReport:
    """What one run did and found: per model, the periods asked for with their figures and alerts."""

    run_id: int
    period: str
    engine: str
    models: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=lambda: {"days_read": 0, "outcome_days_read": 0,
                                                              "periods_judged": 0, "periods_unchanged": 0,
                                                              "alerts_raised": 0, "alerts_delivered": 0})

    def as_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "period": self.period, "engine": self.engine, "summary": self.summary,
                "notes": self.notes, "models": self.models}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def ensure_reference(app: App, store: MonitoringStore, model: str, version: int) -> tuple[str, dict[str, Any]]:
    """The version's reference statistics: kept ones while their sources are unchanged, else computed and kept."""
    key = sources_key(reference_sources(app, model, version))
    kept = store.reference(model, version)
    if kept is not None and kept[0] == key:
        return kept
    stats = compute_reference_stats(app, model, version)
    store.save_reference(model, version, key=key, stats=stats)
    return key, store.reference(model, version)[1]


def plan_for(stats: dict[str, Any]) -> AggregationPlan:
    features = stats.get("features") or {}
    return AggregationPlan(
        version=int(stats["version"]), task=stats["task"],
        numeric={f: s["edges"] for f, s in features.items() if s["kind"] == "number"},
        categories={f: s["categories"] for f, s in features.items() if s["kind"] == "category"},
        score_edges=(stats.get("score") or {}).get("edges") or [], threshold=float(stats["threshold"]),
        positive_label=stats.get("positive_label"), sensitive=list(stats.get("sensitive") or []))


def _files_by_day(log: PredictionLog, kind: str, model: str, start: date | None) -> dict[date, list[str]]:
    by_day: dict[date, list[str]] = defaultdict(list)
    for path in log.files(kind, model, start=start):
        folder = posixpath.basename(posixpath.dirname(path))
        by_day[date.fromisoformat(folder.removeprefix("date="))].append(path)
    return {day: file_urls(log.fs, paths) for day, paths in by_day.items()}


class _ModelRun:
    """One model's share of a run."""

    def __init__(self, app: App, store: MonitoringStore, engine: Engine, log: PredictionLog, model: str,
                 report: MonitoringReport, actor: str):
        self.app, self.store, self.engine, self.log, self.model = app, store, engine, log, model
        self.report, self.actor = report, actor
        self.references: dict[int, tuple[str, dict[str, Any]] | None] = {}

    def reference(self, version: int) -> tuple[str, dict[str, Any]] | None:
        if version not in self.references:
            try:
                self.references[version] = ensure_reference(self.app, self.store, self.model, version)
            except NotFound:
                self.report.notes.append(f"{self.model}: the log holds predictions of version {version}, which the "
                                         "registry does not know; they are skipped.")
                self.references[version] = None
        return self.references[version]

    def _stale(self, aggregates: dict[str, Any]) -> bool:
        for version, agg in aggregates.items():
            ref = self.reference(int(version))
            if ref is not None and agg.get("reference") != ref[0]:
                return True
        return False

    def update_inputs(self, files: dict[date, list[str]]) -> None:
        if not files:
            return
        kept = self.store.days(self.model, "inputs", min(files), max(files))
        changed = {day: paths for day, paths in files.items()
                   if day not in kept or kept[day][0] != _digest(sorted(paths)) or self._stale(kept[day][1])}
        if not changed:
            return
        days: dict[date, dict[str, Any]] = {day: {} for day in changed}
        volumes = versions_by_day(self.engine, changed)
        rows_in_files: dict[date, int] = defaultdict(int)  # every version's: a query reads whole files
        for row in volumes:
            rows_in_files[row["day"]] += int(row["n"])
        for version in sorted({int(r["version"]) for r in volumes}):
            ref = self.reference(version)
            if ref is None:
                continue
            served = {r["day"] for r in volumes if int(r["version"]) == version}
            aggregates = input_aggregates(self.engine, {d: changed[d] for d in served}, plan_for(ref[1]),
                                          rows=rows_in_files)
            for row in (r for r in volumes if int(r["version"]) == version):
                day = aggregates.get(row["day"], {"features": {}, "score_bins": {}, "score_hist": {}})
                day["volume"] = {"n": int(row["n"]), "errors": int(row["errors"] or 0),
                                 "simulated": int(row["simulated"] or 0), "latency_sum": float(row["latency_sum"] or 0)}
                day["reference"] = ref[0]
                days[row["day"]][str(version)] = day
        self.store.save_days(self.model, "inputs", {day: (_digest(sorted(changed[day])), days[day]) for day in changed})
        self.report.summary["days_read"] += len(changed)

    def update_outcomes(self, files: dict[date, list[str]], feedback: dict[date, list[str]]) -> None:
        if not files:
            return
        kept = self.store.days(self.model, "outcomes", min(files), max(files))
        inputs = self.store.days(self.model, "inputs", min(files), max(files))

        def fingerprint(day: date) -> str:
            later = sorted(p for d, ps in feedback.items() if d >= day for p in ps)
            return _digest([sorted(files[day]), later])

        changed = {day for day in files if day not in kept or kept[day][0] != fingerprint(day)
                   or self._stale(kept[day][1])}
        if not changed:
            return
        results: dict[date, dict[str, Any]] = {day: {} for day in changed}
        outcome_files = sorted(p for d, ps in feedback.items() if d >= min(changed) for p in ps)
        if outcome_files:
            paths = [p for day in sorted(changed) for p in files[day]]
            versions = {int(v) for day in changed for v in (inputs.get(day, ("", {}))[1])}
            for version in sorted(versions):
                ref = self.reference(version)
                if ref is None:
                    continue
                for day, agg in outcome_aggregates(self.engine, paths, outcome_files, plan_for(ref[1])).items():
                    if day in results:
                        results[day][str(version)] = {**agg, "reference": ref[0]}
        self.store.save_days(self.model, "outcomes", {day: (fingerprint(day), results[day]) for day in changed})
        self.report.summary["outcome_days_read"] += len(changed)

    def judge(self, period: str, since: date | None, today: date) -> None:
        start = period_start(since, period) if since else None
        inputs = self.store.days(self.model, "inputs", start or date.min, date.max)
        outcomes = self.store.days(self.model, "outcomes", start or date.min, date.max)
        kept = self.store.period_fingerprints(self.model, period)
        by_version: dict[int, list[date]] = defaultdict(list)
        for day, (_fp, aggregates) in inputs.items():
            for version in aggregates:
                by_version[int(version)].append(day)
        shown = []
        for version in sorted(by_version):
            ref = self.reference(version)
            if ref is None:
                continue
            for first, last in periods_between(by_version[version], period):
                days = [d for d in sorted(inputs) if first <= d <= last and str(version) in inputs[d][1]]
                complete = last < today
                fingerprint = _digest({"analysis": ANALYSIS_VERSION, "reference": ref[0], "complete": complete,
                                       "days": [(d.isoformat(), inputs[d][0], outcomes.get(d, ("",))[0]) for d in days]})
                if kept.get((version, first)) == fingerprint:
                    self.report.summary["periods_unchanged"] += 1
                else:
                    agg = sum_days([inputs[d][1][str(version)] for d in days],
                                   [outcomes[d][1][str(version)] for d in days
                                    if d in outcomes and str(version) in outcomes[d][1]])
                    result = analyse_period(ref[1], agg)
                    alerts = period_alerts(result, ref[1], version=version, period=period, start=first) if complete else []
                    result["alerts"] = alerts
                    self.store.save_period(self.model, version, period=period, start=first, end=last, complete=complete,
                                           fingerprint=fingerprint, result=result)
                    new = self.store.raise_alerts(self.model, version, period=period, start=first, end=last,
                                                  alerts=alerts, actor=self.actor)
                    self.report.summary["periods_judged"] += 1
                    self.report.summary["alerts_raised"] += len(new)
                shown.append((version, first))
        wanted = set(shown)
        self.report.models[self.model] = [
            {"version": p.version, "period": p.period, "start": p.start.isoformat(), "end": p.end.isoformat(),
             "complete": p.complete, **p.result}
            for p in self.store.periods(self.model, period, limit=10_000) if (p.version, p.start) in wanted]


def run_monitoring(app: App, *, actor: str, model: str | None = None, period: str = "day", since: date | None = None,
                   engine: str | Engine = "duckdb", webhook: str | None = None, now: datetime | None = None,
                   log: PredictionLog | None = None) -> MonitoringReport:
    """Monitor ``model`` (or every model in the prediction log) period by period.

    Parameters
    ----------
    app : App
    actor : str
        Who runs it, for the audit log (the command line's operator, or the scheduler).
    model : str, optional
        One model; by default every model the log holds.
    period : {"day", "week", "month"}
    since : date, optional
        Judge only the periods from the one holding this day on (default: the whole log).
    engine : {"duckdb", "spark"} or Engine
    webhook : str, optional
        Where to POST alerts (warning and critical) as JSON; undelivered ones are retried every run.
    now : datetime, optional
        The current time (periods ending before its day are complete and may raise alerts).
    log : PredictionLog, optional
        Default: the prediction log in the artifact store.

    Returns
    -------
    MonitoringReport
    """
    period_start(date.today(), period)  # an unknown period is refused before anything runs
    now = now or datetime.now(UTC)
    log = log or PredictionLog(str(app.settings.artifacts_dir))
    store = MonitoringStore(app.db)
    own_engine = isinstance(engine, str)
    runner = (open_engine(engine, filesystem=log.fs) if engine == "duckdb" else open_engine(engine)) if own_engine \
        else engine
    run_id = store.start_run(actor=actor, period=period, engine=runner.name, since=since)
    report = MonitoringReport(run_id=run_id, period=period, engine=runner.name)
    status, message = "failed", None
    try:
        models = [model] if model else log.models()
        if model:
            app.registry.get_model(model)  # NotFound names an unknown model
        for name in models:
            try:
                app.registry.get_model(name)
            except NotFound:
                report.notes.append(f"The log holds predictions of '{name}', which the registry does not know.")
                continue
            start = period_start(since, period) if since else None
            files = _files_by_day(log, "predictions", name, start)
            if not files:
                report.notes.append(f"{name}: no predictions in the log" + (f" since {start}." if start else "."))
                report.models[name] = []
                continue
            feedback = _files_by_day(log, "feedback", name, start)
            job = _ModelRun(app, store, runner, log, name, report, actor)
            job.update_inputs(files)
            job.update_outcomes(files, feedback)
            job.judge(period, since, now.date())
        if webhook:
            report.summary["alerts_delivered"] = deliver_alerts(store, webhook, actor=actor)
        status = "passed"
    except BaseException as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if own_engine:
            runner.close()
        store.finish_run(run_id, status=status, summary=report.summary, message=message, actor=actor)
    return report
