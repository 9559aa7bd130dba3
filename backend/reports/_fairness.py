"""The fairness report: groups, their rates with counts and intervals, gaps and verdicts.

A verdict is one of three: **pass**, **fail**, or **insufficient evidence** (see
:mod:`backend.reports._checks`). Each gap is judged among the groups with enough evidence for
its rates; smaller groups are listed, with their counts, as too few to judge. A report never
pretends to know more than its data shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import Any

import numpy as np
import pandas as pd

from backend.errors import InvalidData
from backend.governance.policy import DEFAULT_POLICY
from backend.reports._checks import FAIL, INSUFFICIENT, PASS, judge_check
from backend.reports._group_metrics import (
    CLASSIFICATION_METRICS,
    RATE_DENOMINATORS,
    GroupStats,
    classification_group_stats,
)
from backend.reports._groups import SensitiveGroups, intersect_groups, sensitive_groups
from backend.reports._labels import Labels
from backend.reports._paired import paired_gap_changes
from backend.reports._regression_metrics import REGRESSION_METRICS, regression_group_stats
from backend.reports._summaries import fairness_summary

__all__ = ["fairness_report", "build_groups", "analyse_groups", "overall_verdict", "PASS", "FAIL", "INSUFFICIENT",
           "SCHEMA_VERSION", "Comparison"]

SCHEMA_VERSION = 2
#: A change in a gap smaller than this is "about the same" even when its interval excludes 0.
MEANINGFUL_CHANGE = 0.005

#: (version, roles such as ("production", "previous approved"), its scores or None, why it has none)
Comparison = tuple[int, tuple[str, ...], "np.ndarray | None", "str | None"]


def _policy(policy: dict[str, Any] | None) -> dict[str, Any]:
    merged = deepcopy(DEFAULT_POLICY["fairness"])
    merged.update(policy or {})
    return merged


def build_groups(sensitive: pd.DataFrame, features: Sequence[str], *, min_group_size: int,
                 not_computed: list[dict[str, str]]) -> list[SensitiveGroups]:
    """Groups for every sensitive feature that can be analysed, then the first two intersected.

    A feature that cannot be analysed is recorded in ``not_computed`` with the reason.
    """
    groups = []
    for feature in features:
        if feature not in sensitive.columns:
            shown = ", ".join(list(map(str, sensitive.columns))[:12]) or "none"
            not_computed.append({"item": f"sensitive feature '{feature}'",
                                 "reason": f"'{feature}' is not a column of the test data (sensitive columns "
                                           f"found: {shown}), so it could not be assessed."})
            continue
        try:
            groups.append(sensitive_groups(sensitive[feature], feature, min_group_size=min_group_size))
        except InvalidData as exc:
            not_computed.append({"item": f"sensitive feature '{feature}'", "reason": exc.message})
    if len(groups) >= 2:
        groups.append(intersect_groups(groups[0], groups[1]))
    return groups


def _stats(task: str, groups: SensitiveGroups, y_true: np.ndarray, scores: np.ndarray, threshold: float,
           resamples: int, seed: int, min_group_size: int) -> GroupStats:
    if task == "classification":
        return classification_group_stats(groups.codes, len(groups.names), y_true,
                                          (scores >= threshold).astype(np.int64), resamples=resamples, seed=seed,
                                          min_group_size=min_group_size)
    return regression_group_stats(groups.codes, len(groups.names), y_true, scores, resamples=resamples, seed=seed)


def _cell(stats: GroupStats, metric: str, i: int) -> dict[str, Any]:
    cell: dict[str, Any] = {"value": stats.metrics[metric][i], "low": stats.low[metric][i],
                            "high": stats.high[metric][i]}
    if metric in stats.numerators:
        cell.update({"k": int(stats.numerators[metric][i]), "n": int(stats.denominators[metric][i])})
        kind = RATE_DENOMINATORS.get(metric)
        if kind is not None and metric != "share":
            cell["judged"] = bool(stats.judgeable[kind][i])
    return cell


def _uniform(stats: GroupStats) -> str | None:
    rates = np.asarray(stats.metrics["selection_rate"], dtype=np.float64)[stats.judgeable["people"]]
    rates = rates[np.isfinite(rates)]
    if len(rates) and np.all(rates == 0):
        return "nobody"
    if len(rates) and np.all(rates == 1):
        return "everybody"
    return None


def _data_gap(stats: GroupStats) -> dict[str, Any] | None:
    """Is the gap in the model's decisions wider or narrower than the gap in the real outcomes?"""
    base, selection, change = (stats.data_gap.get(k) for k in ("base_rate", "selection_rate", "gap_change"))
    if base is None or not np.isfinite(base[0]) or not np.isfinite(selection[0]):
        return None
    value, low, high = change
    if np.isfinite(low) and np.isfinite(high) and low > 0 and value >= MEANINGFUL_CHANGE:
        effect = "widens"
    elif np.isfinite(low) and np.isfinite(high) and high < 0 and value <= -MEANINGFUL_CHANGE:
        effect = "narrows"
    else:
        effect = "keeps"
    return {"base_rate_gap": base[0], "selection_gap": selection[0], "change": value, "low": low, "high": high,
            "effect": effect}


def analyse_groups(groups: SensitiveGroups, *, task: str, y_true: np.ndarray, scores: np.ndarray,
                   policy: dict[str, Any], threshold: float = 0.5, resamples: int = 1000, seed: int = 0,
                   labels: Labels | None = None) -> dict[str, Any]:
    """The report entry of one feature: its groups, gaps and checks."""
    labels = labels or Labels()
    min_size = int(policy["min_group_size"])
    stats = _stats(task, groups, y_true, scores, threshold, resamples, seed, min_size)
    names = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    rows = []
    for i, name in enumerate(groups.names):
        row: dict[str, Any] = {"group": name, "count": int(stats.counts[i]),
                               "judged": bool(stats.counts[i] >= min_size)}
        for metric in names:
            row[metric] = _cell(stats, metric, i)
        rows.append(row)
    checks = []
    entry: dict[str, Any] = {
        "feature": groups.feature,
        "kind": groups.kind,
        "parts": list(groups.parts),
        "bands": [{"label": b.label, "low": b.low, "high": b.high} for b in groups.bands],
        "groups": rows,
        "disparities": {k: {"value": v[0], "low": v[1], "high": v[2], "fairlearn": stats.fairlearn.get(k)}
                        for k, v in stats.disparities.items()},
        "too_few": [],
        "data_gap": None,
        "warnings": list(groups.warnings),
        "resamples": stats.resamples,
        "min_group_size": min_size,
    }
    if task == "classification":
        uniform = _uniform(stats)
        for bound in ("min", "max"):
            for metric, limit in sorted(policy.get(bound, {}).items()):
                if metric in stats.disparities:
                    checks.append(judge_check(metric, bound, float(limit), groups, stats, labels, uniform))
        entry["too_few"] = [{"group": name, "count": int(stats.counts[i]),
                             "positives": int(stats.denominators["true_positive_rate"][i]),
                             "negatives": int(stats.denominators["false_positive_rate"][i]),
                             "short_of": [kind for kind in ("people", "positives", "negatives")
                                          if not stats.judgeable[kind][i]]}
                            for i, name in enumerate(groups.names)
                            if not all(stats.judgeable[kind][i] for kind in ("people", "positives", "negatives"))]
        entry["data_gap"] = _data_gap(stats)
        entry["judgeable"] = {k: int(v.sum()) for k, v in stats.judgeable.items()}
    entry["checks"] = checks
    entry["verdict"] = overall_verdict(checks)
    entry["_stats"] = stats  # removed before the report is stored; used for the comparisons
    return entry


def overall_verdict(checks: list[dict[str, Any]]) -> str:
    """fail if any check fails, else insufficient evidence if any is undecided, else pass."""
    verdicts = {c["verdict"] for c in checks}
    if not verdicts:
        return "not_assessed"
    for verdict in (FAIL, INSUFFICIENT):
        if verdict in verdicts:
            return verdict
    return PASS


def _direction(metric: str, change: float, low: float, high: float) -> str:
    """fairer / less fair / no clear change, from the interval of the change in a gap."""
    if not (np.isfinite(change) and np.isfinite(low) and np.isfinite(high)) or abs(change) < MEANINGFUL_CHANGE:
        return "no clear change"
    if low <= 0 <= high:
        return "no clear change"
    higher_is_fairer = metric == "demographic_parity_ratio"
    return "fairer" if (change > 0) == higher_is_fairer else "less fair"


def _changes(current: list[dict[str, Any]], other: list[dict[str, Any]], paired: dict[str, dict]) -> list[dict]:
    before = {(f["feature"], c["metric"]): c for f in other for c in f["checks"]}
    changes = []
    for feature in current:
        for check in feature["checks"]:
            old = before.get((feature["feature"], check["metric"]))
            if old is None:
                continue
            change, low, high = paired.get(feature["feature"], {}).get(check["metric"], (np.nan, np.nan, np.nan))
            changes.append({"feature": feature["feature"], "metric": check["metric"], "label": check["label"],
                            "before": old["value"], "after": check["value"], "change": change, "low": low,
                            "high": high, "direction": _direction(check["metric"], change, low, high),
                            "verdict_before": old["verdict"], "verdict_after": check["verdict"]})
    return changes


def _compare(version: int, roles: tuple[str, ...], other_scores: np.ndarray, analysed: list[dict[str, Any]],
             groups: list[SensitiveGroups], y_true: np.ndarray, scores: np.ndarray, analyse, threshold: float,
             resamples: int, seed: int) -> dict[str, Any]:
    before = analyse(np.asarray(other_scores, dtype=np.float64))
    paired = {}
    new, old = (scores >= threshold).astype(np.int64), (np.asarray(other_scores) >= threshold).astype(np.int64)
    for g, entry in zip(groups, analysed, strict=True):
        paired[g.feature] = paired_gap_changes(g.codes, len(g.names), y_true, new, old, entry["_stats"].judgeable,
                                               resamples=resamples, seed=seed)
    changes = _changes(analysed, before, paired)
    for entry in before:
        entry.pop("_stats", None)
    return {"version": version, "roles": list(roles), "features": before,
            "verdict": overall_verdict([c for f in before for c in f["checks"]]), "changes": changes}


def fairness_report(y_true: np.ndarray, scores: np.ndarray, sensitive: pd.DataFrame, *, features: Sequence[str],
                    task: str = "classification", policy: dict[str, Any] | None = None, threshold: float = 0.5,
                    positive_label: str | None = None, comparisons: Sequence[Comparison] = (),
                    labels: Labels | None = None, sensitive_inputs: list[dict[str, Any]] | None = None,
                    resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The fairness report of one model version on its test rows, as a JSON-ready dict.

    Parameters
    ----------
    y_true : numpy.ndarray
        Real outcomes (0/1 for classification).
    scores : numpy.ndarray
        The model's probability of the positive outcome (classification) or prediction.
    sensitive : pandas.DataFrame
        The sensitive columns of the same rows, raw.
    features : sequence of str
        The sensitive features the spec names; one missing from ``sensitive`` is reported.
    task : {"classification", "regression"}
    policy : dict, optional
        ``{"min": {...}, "max": {...}, "min_group_size": 30, "blocks": False}``; organisation
        defaults fill what is not given.
    threshold : float
        Score at or above which the model's decision is "positive".
    positive_label : str, optional
        What a positive decision means, for the sentences.
    comparisons : sequence of (version, roles, scores, error)
        Earlier versions to compare with on the same rows (production, the previous approved
        version ...): their scores, or why they could not be scored.
    labels : Labels, optional
        Display names for features, values and the outcome.
    sensitive_inputs : list of dict, optional
        Sensitive features (or close proxies) the model takes as inputs, from
        :func:`backend.reports.sensitive_inputs`.
    resamples, seed : int
        Bootstrap resamples and seed.

    Returns
    -------
    dict
        ``features`` (one entry per feature and the intersection of the first two, each with
        ``groups``, ``disparities``, ``checks``, ``too_few``, ``data_gap`` and ``verdict``),
        ``verdict``, ``not_computed``, ``warnings``, ``comparisons``, ``sensitive_inputs``,
        ``labels`` and ``summary``.
    """
    policy = _policy(policy)
    labels = labels or Labels(positive_label=positive_label)
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=np.float64)
    not_computed: list[dict[str, str]] = []
    min_size = int(policy["min_group_size"])
    if len(y_true) < min_size:
        not_computed.append({"item": "fairness verdicts",
                             "reason": f"The test set has {len(y_true)} rows, fewer than the minimum group size of "
                                       f"{min_size}: no group is large enough for a verdict."})
    sensitive = sensitive.reset_index(drop=True)
    groups = build_groups(sensitive, features, min_group_size=min_size, not_computed=not_computed)
    if not groups and features:
        not_computed.append({"item": "fairness report", "reason": "None of the sensitive features could be "
                                                                  "assessed, so there is no fairness verdict."})
    if not features:
        not_computed.append({"item": "fairness report", "reason": "The spec names no sensitive features "
                                                                  "([data].sensitive_features)."})

    def analyse(values: np.ndarray) -> list[dict[str, Any]]:
        return [analyse_groups(g, task=task, y_true=y_true, scores=values, policy=policy, threshold=threshold,
                               resamples=resamples, seed=seed, labels=labels) for g in groups]

    analysed = analyse(scores)
    report: dict[str, Any] = {
        "kind": "fairness_report",
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "positive_label": positive_label,
        "threshold": threshold if task == "classification" else None,
        "test_rows": int(len(y_true)),
        "resamples": resamples,
        "confidence": 0.95,
        "interval_method": "exact (Clopper–Pearson) for each group's rates; bootstrap for the gaps between groups",
        "policy": policy,
        "labels": labels.to_dict(),
        "sensitive_inputs": list(sensitive_inputs or []),
        "features": analysed,
        "verdict": overall_verdict([c for f in analysed for c in f["checks"]]),
        "not_computed": not_computed,
        "warnings": [w for g in groups for w in g.warnings],
        "comparisons": [],
    }
    if task == "regression":
        report["notes"] = ["Demographic parity and equalized odds judge yes/no decisions; for a regression model "
                           "the report shows the size of the errors in each group instead."]
    for version, roles, other_scores, error in comparisons:
        if error is not None or other_scores is None:
            report["comparisons"].append({"version": version, "roles": list(roles),
                                          "error": error or "it could not be scored"})
        elif task == "classification":
            report["comparisons"].append(_compare(version, roles, other_scores, analysed, groups, y_true, scores,
                                                  analyse, threshold, resamples, seed))
    for entry in analysed:
        entry.pop("_stats", None)
    report["summary"] = fairness_summary(report)
    return report
