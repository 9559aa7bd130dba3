"""One period of one version, judged: volume, scores, drift, performance and fairness, each
beside the baseline signed off for the version.

Pure functions of the reference statistics and the period's summed aggregates, so a period
computed twice from the same files gives the same result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backend.monitoring.aggregations import MISSING, OTHER, SCORE_BINS
from backend.monitoring.performance import (
    CBPE_ASSUMPTION,
    MIN_LABELLED_ROWS,
    binned_metrics,
    expected_cells,
    expected_interval,
    labelled_cells,
    metric_interval,
    regression_metrics,
)
from backend.monitoring.statistics import (
    DRIFT_ALPHA,
    MIN_DRIFT_ROWS,
    chi2_homogeneity,
    ks_binned,
    psi,
    psi_level,
)
from backend.reports import fairness_report

__all__ = ["analyse_period", "FAIRNESS_ROW_CAP", "metric_status"]

#: Fairness checks of a period use at most this many labelled rows (a stratified share of each
#: cell beyond it); the intervals widen accordingly.
FAIRNESS_ROW_CAP = 200_000
FAIRNESS_RESAMPLES = 500
_SEVERITY = {"small": "info", "moderate": "warning", "major": "critical"}


def _vector(counts: dict[str, int], keys: list[int]) -> np.ndarray:
    return np.array([counts.get(str(k), 0) for k in keys], dtype=np.float64)


def _numeric_drift(ref: dict[str, Any], counts: dict[str, int], alpha: float) -> dict[str, Any]:
    bins = list(range(len(ref["edges"]) + 1))
    cur = _vector(counts, bins)
    ref_counts = np.asarray(ref["counts"], np.float64)
    cur_missing, ref_missing = float(counts.get(str(MISSING), 0)), float(ref["missing"])
    ks = ks_binned(ref_counts, cur, alpha)
    missing = chi2_homogeneity([ref_missing, ref_counts.sum()], [cur_missing, cur.sum()], alpha)
    coarse = max(ref["psi_map"]) + 1
    ref_psi, cur_psi = np.zeros(coarse + 1), np.zeros(coarse + 1)
    np.add.at(ref_psi, ref["psi_map"], ref_counts)
    np.add.at(cur_psi, ref["psi_map"], cur)
    ref_psi[-1], cur_psi[-1] = ref_missing, cur_missing
    flagged = bool(ks.flagged or missing.flagged)
    return {"test": "ks", "statistic": ks.statistic, "threshold": ks.threshold, "p_value": ks.p_value,
            "psi": psi(ref_psi, cur_psi), "flagged": flagged, "missing_flagged": bool(missing.flagged),
            "missing_share": cur_missing / max(cur_missing + cur.sum(), 1),
            "reference_missing_share": ref_missing / max(ref_missing + ref_counts.sum(), 1)}


def _categorical_drift(ref: dict[str, Any], counts: dict[str, int], alpha: float) -> dict[str, Any]:
    keys = [*range(len(ref["categories"])), OTHER, MISSING]
    cur = _vector(counts, keys)
    ref_counts = np.asarray([*ref["counts"], ref["other"], ref["missing"]], np.float64)
    test = chi2_homogeneity(ref_counts, cur, alpha)
    total = max(cur.sum(), 1)
    return {"test": "chi2", "statistic": test.statistic, "threshold": test.threshold, "p_value": test.p_value,
            "psi": psi(ref_counts, cur), "flagged": bool(test.flagged), "missing_flagged": False,
            "missing_share": cur[-1] / total, "unseen_share": cur[-2] / total,
            "reference_missing_share": ref["missing"] / max(ref_counts.sum(), 1)}


def _drift(stats: dict[str, Any], agg: dict[str, Any], rows: int) -> dict[str, Any]:
    importance = {d["feature"]: d for d in stats.get("importance") or []}
    section: dict[str, Any] = {"available": False, "reason": None, "alpha": DRIFT_ALPHA, "tests": 0, "features": [],
                               "score": None, "flagged": []}
    if stats.get("features") is None:
        section["reason"] = stats.get("no_reference")
    elif rows < MIN_DRIFT_ROWS:
        section["reason"] = (f"Only {rows:,} prediction{'s' if rows != 1 else ''} in this period; judging drift needs at "
                             f"least {MIN_DRIFT_ROWS}, so none is claimed.")
    features = stats.get("features") or {}
    score_ref = stats.get("score")
    tests = sum(2 if f["kind"] == "number" else 1 for f in features.values()) + (1 if score_ref else 0)
    if rows < MIN_DRIFT_ROWS or tests == 0:
        return section
    # Bonferroni: every test of the period at DRIFT_ALPHA / tests, so a period with no drift at all
    # flags anything with a chance below DRIFT_ALPHA, however many inputs the model has.
    alpha = DRIFT_ALPHA / tests
    section.update(available=stats.get("features") is not None, tests=tests, alpha_per_test=alpha)
    results = []
    for feature, ref in features.items():
        counts = agg["features"].get(feature, {})
        result = (_numeric_drift if ref["kind"] == "number" else _categorical_drift)(ref, counts, alpha)
        info = importance.get(feature) or {}
        result.update(feature=feature, kind=ref["kind"], psi_level=psi_level(result["psi"]),
                      importance_rank=info.get("rank"), importance_share=info.get("share"))
        result["severity"] = _SEVERITY[result["psi_level"]] if result["flagged"] and result["psi_level"] in _SEVERITY \
            else ("info" if result["flagged"] else None)
        results.append(result)
    results.sort(key=lambda r: (r["importance_rank"] is None, r["importance_rank"] or 0, r["feature"]))
    section["features"] = results
    section["flagged"] = [r["feature"] for r in results if r["flagged"]]
    if score_ref and agg.get("score_bins"):
        result = _numeric_drift(score_ref, agg["score_bins"], alpha)
        result.update(feature="model score", kind="score", psi_level=psi_level(result["psi"]))
        section["score"] = result
    return section


def metric_status(window: dict[str, Any], base: dict[str, Any]) -> str:
    """Where a period's figure stands against the signed-off baseline.

    ``below_gate`` (critical): the whole 95% interval is past the policy's gate; ``degraded``
    (warning): the whole interval is worse than the baseline's band; ``may_decline`` (info): the
    figure is worse than the band, but the interval still reaches it; ``better`` or ``within``.
    """
    value, low, high = window.get("value"), window.get("low"), window.get("high")
    if value is None:
        return "unknown"
    low = value if low is None else low
    high = value if high is None else high
    band_low = base.get("low") if base.get("low") is not None else base.get("value")
    band_high = base.get("high") if base.get("high") is not None else base.get("value")
    if band_low is None:
        return "unknown"
    if base.get("higher_is_better", True):
        if base.get("gate_min") is not None and high < base["gate_min"]:
            return "below_gate"
        if high < band_low:
            return "degraded"
        if value < band_low:
            return "may_decline"
        return "better" if low > band_high else "within"
    if base.get("gate_max") is not None and low > base["gate_max"]:
        return "below_gate"
    if low > band_high:
        return "degraded"
    if value > band_high:
        return "may_decline"
    return "better" if high < band_low else "within"


def _with_status(metrics: dict[str, dict[str, Any]], baseline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, figure in metrics.items():
        base = baseline.get(name)
        if base is None:
            continue
        out[name] = {**figure, "label": base["label"], "baseline": base["value"], "band_low": base["low"],
                     "band_high": base["high"], "gate_min": base["gate_min"], "gate_max": base["gate_max"],
                     "higher_is_better": base["higher_is_better"], "status": metric_status(figure, base)}
    return out


def _labelled_hist(labelled: dict[str, list[float]]) -> dict[str, list[float]]:
    hist: dict[str, list[float]] = {}
    for key, (n, s1, s2, _loss, h) in labelled.items():
        cell = hist.setdefault(key.split("|")[0], [0, 0.0, 0.0, 0.0])
        cell[0] += n
        cell[1] += s1
        cell[2] += s2
        cell[3] += h
    return hist


def _performance(stats: dict[str, Any], agg: dict[str, Any], scored: int) -> dict[str, Any]:
    task, threshold = stats["task"], stats["threshold"]
    baseline = (stats.get("baseline") or {}).get("metrics") or {}
    labelled_agg = agg.get("labelled") or {}
    section: dict[str, Any] = {"kind": None, "reason": None, "realised": None, "estimated": None, "comparison": None,
                               "labelled": 0, "coverage": 0.0, "baseline_source": (stats.get("baseline") or {}).get("source")}
    if task == "classification":
        cells = labelled_cells(labelled_agg) if labelled_agg else None
        labelled = int(cells.rows) if cells else 0
        both = bool(cells and cells.pos.sum() > 0 and cells.neg.sum() > 0)
    else:
        errors = labelled_agg.get("errors")
        labelled = int(errors[0]) if errors else 0
        both = labelled >= 2
    section.update(labelled=labelled, coverage=labelled / scored if scored else 0.0)
    if labelled >= MIN_LABELLED_ROWS and both:
        if task == "classification":
            values = binned_metrics(cells, threshold)
            intervals = metric_interval(cells, threshold)
            figures = {k: {"value": v, "low": intervals[k][0], "high": intervals[k][1]} for k, v in values.items()}
        else:
            figures = regression_metrics(labelled_agg["errors"])
        section["realised"] = _with_status(figures, baseline)
        section["kind"] = "realised"
    elif labelled == 0:
        section["reason"] = (f"No outcomes have arrived yet for the {scored:,} predictions of this period, so there is "
                             "no realised performance figure" + (" (an estimate from the scores is shown instead)."
                                                                if task == "classification" else "."))
    else:
        section["reason"] = (f"Only {labelled:,} of the {scored:,} predictions of this period have an outcome"
                             + ("" if both else ", all of one kind") + f"; a realised figure needs at least "
                             f"{MIN_LABELLED_ROWS} with both outcomes.")
    calibration = stats.get("calibration")
    hist = agg.get("score_hist") or {}
    if task == "classification" and hist and calibration is not None:
        estimate: dict[str, Any] = {"assumption": CBPE_ASSUMPTION, "assumption_holds": calibration["holds"],
                                    "calibration": calibration["reason"], "is_estimate": True, "metrics": None}
        if calibration["holds"]:
            values = binned_metrics(expected_cells(hist), threshold)
            intervals = expected_interval(hist, threshold)
            estimate["metrics"] = _with_status(
                {k: {"value": v, "low": intervals[k][0], "high": intervals[k][1], "is_estimate": True}
                 for k, v in values.items()}, baseline)
            if section["kind"] is None:
                section["kind"] = "estimated"
        section["estimated"] = estimate
        if section["realised"] and calibration["holds"]:
            section["comparison"] = _compare(labelled_agg, section["realised"], threshold)
    elif task == "classification" and calibration is None and section["kind"] is None:
        section["reason"] = (section["reason"] or "") + " No estimate either: the version has no stored test scores to " \
                                                        "check its calibration on."
    return section


def _compare(labelled: dict[str, list[float]], realised: dict[str, dict[str, Any]], threshold: float) -> dict[str, Any]:
    """The estimate made from the scores of the rows that now have outcomes, beside what happened."""
    hist = _labelled_hist(labelled)
    estimated = binned_metrics(expected_cells(hist), threshold)
    interval = expected_interval(hist, threshold)
    out = {}
    for name, figure in realised.items():
        low, high = interval[name]
        out[name] = {"estimated": estimated[name], "realised": figure["value"],
                     "difference": figure["value"] - estimated[name], "low": low, "high": high,
                     "within": bool(low - 1e-9 <= figure["value"] <= high + 1e-9)}
    return out


def _cells_to_rows(cells: dict[str, Any], schema: dict[str, str]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    rows = cells["rows"]
    counts = np.array([r[-1] for r in rows], dtype=np.int64)
    total = int(counts.sum())
    if total > FAIRNESS_ROW_CAP:
        # Keep each cell's share: the floor of its scaled count, then the largest remainders.
        scaled = counts * FAIRNESS_ROW_CAP / total
        counts = np.floor(scaled).astype(np.int64)
        extra = FAIRNESS_ROW_CAP - int(counts.sum())
        counts[np.argsort(-(scaled - counts), kind="stable")[:extra]] += 1
    columns = cells["columns"]
    sensitive = {}
    for i, name in enumerate(columns):
        values = [r[i] for r in rows]
        if schema.get(name) == "number":
            sensitive[name] = np.repeat(np.array([np.nan if v is None else float(v) for v in values]), counts)
        else:
            sensitive[name] = np.repeat(np.array([np.nan if v is None else str(v) for v in values], dtype=object), counts)
    y = np.repeat(np.array([r[-3] for r in rows], dtype=np.int64), counts)
    decision = np.repeat(np.array([r[-2] for r in rows], dtype=np.float64), counts)
    return y, decision, pd.DataFrame(sensitive)


def _fairness(stats: dict[str, Any], agg: dict[str, Any], labelled: int) -> dict[str, Any]:
    section: dict[str, Any] = {"available": False, "reason": None, "verdict": None, "checks": [], "rows": 0}
    baseline = stats.get("fairness") or {}
    if stats["task"] != "classification":
        section["reason"] = "Fairness over time is measured for classifiers (yes/no decisions)."
        return section
    if not stats.get("sensitive"):
        missing = stats.get("sensitive_missing") or []
        section["reason"] = (f"The sensitive feature{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                             f"{'are' if len(missing) > 1 else 'is'} not a model input, so the prediction log does not "
                             "hold it and fairness cannot be followed in production." if missing else
                             "The spec names no sensitive features, so there is no fairness check to follow.")
        return section
    cells = agg.get("fairness")
    if not cells or labelled < MIN_LABELLED_ROWS:
        section["reason"] = ("Fairness needs outcomes: not enough have arrived for this period "
                             f"({labelled:,}; at least {MIN_LABELLED_ROWS})." if labelled else
                             "Fairness needs outcomes, and none have arrived for this period yet.")
        return section
    y, decisions, sensitive = _cells_to_rows(cells, stats["schema"])
    report = fairness_report(y, decisions, sensitive, features=list(cells["columns"]), task="classification",
                             policy=baseline.get("policy") or None, threshold=0.5, resamples=FAIRNESS_RESAMPLES)
    before = {(c["feature"], c["metric"]): c for c in baseline.get("checks") or []}
    checks = []
    for feature in report["features"]:
        for check in feature["checks"]:
            old = before.get((feature["feature"], check["metric"])) or {}
            checks.append({"feature": feature["feature"], "metric": check["metric"], "label": check["label"],
                           "value": check["value"], "low": check["low"], "high": check["high"],
                           "threshold": check["threshold"], "bound": check["bound"], "verdict": check["verdict"],
                           "reason": check["reason"], "baseline_verdict": old.get("verdict"),
                           "baseline_value": old.get("value")})
    section.update(available=True, verdict=report["verdict"], checks=checks, rows=int(len(y)),
                   sampled=bool(len(y) < labelled), not_computed=report["not_computed"])
    return section


def _score(stats: dict[str, Any], agg: dict[str, Any]) -> dict[str, Any]:
    hist = agg.get("score_hist") or {}
    ref = stats.get("score") or {}
    section: dict[str, Any] = {"reference_mean": ref.get("mean"), "reference_positive_share": ref.get("positive_share")}
    if hist:
        n = sum(v[0] for v in hist.values())
        cut = round(stats["threshold"] * SCORE_BINS)
        deciles = [0] * 10
        for key, value in hist.items():
            deciles[min(int(key) * 10 // SCORE_BINS, 9)] += value[0]
        section.update(mean=sum(v[1] for v in hist.values()) / n if n else None,
                       positive_share=sum(v[0] for k, v in hist.items() if int(k) >= cut) / n if n else None,
                       histogram=[{"low": i / 10, "high": (i + 1) / 10, "share": c / n if n else 0.0}
                                  for i, c in enumerate(deciles)])
    return section


def analyse_period(stats: dict[str, Any], agg: dict[str, Any]) -> dict[str, Any]:
    """Everything judged about one period of one version (without its alerts)."""
    volume = agg.get("volume") or {}
    rows = int(volume.get("n", 0))
    scored = int(sum(v[0] for v in (agg.get("score_hist") or {}).values())) if stats["task"] == "classification" \
        else rows - int(volume.get("errors", 0))
    performance = _performance(stats, agg, scored)
    return {
        "volume": {"predictions": rows, "errors": int(volume.get("errors", 0)),
                   "error_share": volume.get("errors", 0) / rows if rows else 0.0,
                   "simulated": int(volume.get("simulated", 0)),
                   "mean_latency_ms": volume.get("latency_sum", 0.0) / rows if rows else None,
                   "labelled": performance["labelled"], "coverage": performance["coverage"], "days": agg.get("days", 0)},
        "score": _score(stats, agg),
        "drift": _drift(stats, agg, rows),
        "performance": performance,
        "fairness": _fairness(stats, agg, performance["labelled"]),
    }
