"""Reference statistics: everything about a version that production is compared with.

Computed once per version from what the pipeline stored and kept in the database: the bins of
every input (cut at the reference's quantiles) and its categories, from the ``reference_data``
artifact; the score's bins, calibration and the **baseline** — the test-validation figures the
reviewers signed off, with a 95% band — from ``test_scores`` and the version's metrics; the
inputs' importance from the explainability report; and the fairness checks from the fairness
report. Recomputed only when one of those artifacts changes (their SHA-256s are the key).
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backend.errors import NotFound
from backend.metrics import METRICS
from backend.monitoring.performance import (
    CLASSIFICATION_METRICS,
    calibration_check,
    cells_from_scores,
    metric_interval,
)
from backend.registry.prediction_log import input_column
from backend.reports import load_reports

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["compute_reference_stats", "reference_sources", "STATS_VERSION", "TOP_CATEGORIES", "no_reference_reason"]

STATS_VERSION = 1
#: Categories beyond the reference's most frequent ones are pooled as "other".
TOP_CATEGORIES = 30
_FINE = np.arange(1, 20) / 20  # KS is read at the reference's 5% quantiles
_KINDS = ("reference_data", "test_scores", "explainability_report", "fairness_report")


def reference_sources(app: App, model: str, version: int) -> dict[str, str]:
    """The SHA-256 of each artifact the statistics are computed from (the cache key)."""
    return {ref.kind: ref.sha256 for ref in app.registry.list_artifacts(model, version) if ref.kind in _KINDS}


def sources_key(sources: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps({"v": STATS_VERSION, **sources}, sort_keys=True).encode()).hexdigest()


def no_reference_reason(model: str, version: int) -> str:
    return (f"No reference stored for version {version} of '{model}': its held-out test rows were not kept (the "
            "version was built before monitoring existed), so input drift cannot be measured. Run the pipeline "
            "again to monitor drift; scores, outcomes and fairness are still monitored.")


def _numeric(values: pd.Series) -> dict[str, Any]:
    present = values.dropna().to_numpy(np.float64)
    if not len(present):
        return {"kind": "number", "edges": [], "counts": [0], "missing": int(values.isna().sum()), "psi_map": [0]}
    fine = np.quantile(present, _FINE)
    edges = np.unique(fine)
    coarse = np.unique(fine[1::2])
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)
    lowers = np.r_[-np.inf, edges]
    psi_map = np.searchsorted(coarse, lowers, side="right")
    return {"kind": "number", "edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
            "missing": int(values.isna().sum()), "psi_map": [int(i) for i in psi_map]}


def _categorical(values: pd.Series) -> dict[str, Any]:
    present = values.dropna().astype(str)
    counts = present.value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top = ordered[:TOP_CATEGORIES]
    return {"kind": "category", "categories": [c for c, _ in top], "counts": [int(n) for _, n in top],
            "other": int(sum(n for _, n in ordered[TOP_CATEGORIES:])), "missing": int(values.isna().sum())}


def _features(app: App, model: str, version: int, schema: dict[str, str]) -> dict[str, Any] | None:
    try:
        ref = app.registry.get_artifact(model, version, "reference_data")
    except NotFound:
        return None
    frame = pd.read_parquet(io.BytesIO(app.artifacts.read_bytes(ref)))
    features = {}
    for feature, kind in schema.items():
        column = input_column(feature)
        if column not in frame.columns:
            continue
        features[feature] = _numeric(frame[column]) if kind == "number" else _categorical(frame[column])
    return {"rows": len(frame), "features": features}


def _baseline(version, task: str, y: np.ndarray | None, scores: np.ndarray | None, threshold: float) -> dict[str, Any]:
    names = CLASSIFICATION_METRICS if task == "classification" else ("rmse", "mae", "r2")
    signed = {k: v for k, v in (version.metrics or {}).items() if k in names and v is not None}
    band: dict[str, tuple[float, float]] = {}
    if y is not None and task == "classification":
        band = metric_interval(cells_from_scores(y, scores), threshold, resamples=500, seed=1)
    elif y is not None:
        rng = np.random.default_rng(1)
        draws = []
        for _ in range(300):
            index = rng.integers(0, len(y), len(y))
            err = scores[index] - y[index]
            ss_tot = float(((y[index] - y[index].mean()) ** 2).sum())
            draws.append((np.sqrt((err**2).mean()), np.abs(err).mean(), 1 - (err**2).sum() / ss_tot if ss_tot else np.nan))
        values = np.array(draws)
        band = {name: tuple(np.nanpercentile(values[:, i], [2.5, 97.5])) for i, name in enumerate(("rmse", "mae", "r2"))}
    gates = (version.policy or {}).get("gates", {})
    metrics = {}
    for name in names:
        value = signed.get(name)
        low, high = band.get(name, (None, None))
        if value is None and low is None:
            continue
        metrics[name] = {"value": value, "low": _finite(low), "high": _finite(high), "label": METRICS[name].label,
                         "higher_is_better": METRICS[name].higher_is_better,
                         "gate_min": (gates.get("min") or {}).get(name), "gate_max": (gates.get("max") or {}).get(name)}
    return {"metrics": metrics, "source": f"test validation of version {version.number}",
            "state": version.state}


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _fairness_baseline(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if not report:
        return None
    checks = [{"feature": f["feature"], "metric": c["metric"], "label": c["label"], "verdict": c["verdict"],
               "value": c["value"], "low": c["low"], "high": c["high"], "threshold": c["threshold"],
               "bound": c["bound"]} for f in report.get("features", []) for c in f.get("checks", [])]
    return {"verdict": report.get("verdict"), "checks": checks, "policy": report.get("policy") or {}}


def compute_reference_stats(app: App, model: str, version: int) -> dict[str, Any]:
    """The statistics of ``model`` version ``version`` that monitoring compares production with."""
    info = app.registry.get_model(model)
    v = app.registry.get_version(model, version)
    schema = dict((v.input_schema or {}).get("columns") or {})
    task = info.task
    reports = load_reports(app, model, version)
    threshold = float((reports.fairness or {}).get("threshold") or 0.5)
    try:
        ref = app.registry.get_artifact(model, version, "test_scores")
        scores_frame = pd.read_parquet(io.BytesIO(app.artifacts.read_bytes(ref)))
        y = scores_frame["y_true"].to_numpy(np.float64)
        scores = scores_frame["score"].to_numpy(np.float64)
    except NotFound:
        y = scores = None
    features = _features(app, model, version, schema)
    score: dict[str, Any] | None = None
    calibration = None
    if scores is not None:
        score = _numeric(pd.Series(scores))
        score["mean"] = float(scores.mean())
        if task == "classification":
            score["positive_share"] = float((scores >= threshold).mean())
            calibration = calibration_check(y, scores, threshold)
    explain = reports.explainability or {}
    ranking = explain.get("global") or []
    importance = [{"feature": d["feature"], "importance": d["importance"], "share": d["share"], "rank": i + 1}
                  for i, d in enumerate(ranking)]
    sensitive = [f for f in (v.input_schema or {}).get("sensitive_features") or [] if f in schema]
    return {
        "stats_version": STATS_VERSION, "model": model, "version": version, "task": task,
        "positive_label": (v.input_schema or {}).get("positive_label"), "threshold": threshold,
        "schema": schema, "sensitive": sensitive,
        "sensitive_missing": [f for f in (v.input_schema or {}).get("sensitive_features") or [] if f not in schema],
        "reference_rows": features["rows"] if features else 0,
        "features": features["features"] if features else None,
        "no_reference": None if features else no_reference_reason(model, version),
        "score": score,
        "baseline": _baseline(v, task, y, scores, threshold) if (y is not None or v.metrics) else None,
        "calibration": calibration,
        "importance": importance,
        "fairness": _fairness_baseline(reports.fairness),
        "spec_path": v.spec_path,
    }
