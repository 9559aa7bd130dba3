"""The fairness report: groups, their metrics with intervals, disparities and verdicts.

A verdict is one of three: **pass**, **fail**, or **insufficient evidence** when a group is
smaller than the policy's minimum size or the 95% interval of the disparity straddles the
threshold. A report never pretends to know more than its data shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import Any

import numpy as np
import pandas as pd

from backend.errors import InvalidData
from backend.governance.policy import DEFAULT_POLICY
from backend.metrics import METRICS
from backend.reports._group_metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    GroupStats,
    classification_group_stats,
    regression_group_stats,
)
from backend.reports._groups import SensitiveGroups, intersect_groups, sensitive_groups
from backend.reports._summaries import fairness_summary

__all__ = ["fairness_report", "build_groups", "analyse_groups", "PASS", "FAIL", "INSUFFICIENT", "SCHEMA_VERSION"]

PASS, FAIL, INSUFFICIENT = "pass", "fail", "insufficient_evidence"
SCHEMA_VERSION = 1


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


def _check(metric: str, bound: str, threshold: float, value: tuple[float, float, float],
           groups: SensitiveGroups, counts: np.ndarray, min_size: int, uniform: str | None = None) -> dict[str, Any]:
    point, low, high = value
    info = METRICS[metric]
    limit = f"the {'minimum' if bound == 'min' else 'maximum'} of {threshold:.2f}"
    small = [(name, int(c)) for name, c in zip(groups.names, counts, strict=True) if c < min_size]
    span = f"95% interval {low:.2f}–{high:.2f}"
    if small:
        name, size = min(small, key=lambda item: item[1])
        others = f" and {len(small) - 1} other group{'s' if len(small) > 2 else ''}" if len(small) > 1 else ""
        verdict, reason = INSUFFICIENT, (
            f"Not enough evidence on {info.label.lower()} for {groups.feature}: the group '{name}' has {size} "
            f"{'person' if size == 1 else 'people'}{others}, fewer than the {min_size} the policy needs for a verdict.")
    elif uniform is not None:
        # Equal rates of zero are not fairness: a model that flags nobody treats everyone alike
        # only because it decides nothing.
        verdict, reason = INSUFFICIENT, (
            f"{info.label} for {groups.feature} cannot be judged: the model flags {uniform} in every group at "
            "this threshold, so its decisions cannot show whether it treats the groups alike.")
    elif not (np.isfinite(point) and np.isfinite(low) and np.isfinite(high)):
        verdict, reason = INSUFFICIENT, (
            f"{info.label} for {groups.feature} cannot be measured: a group has no positive (or no negative) "
            "cases, or the model selects no one.")
    else:
        passes_all = low >= threshold if bound == "min" else high <= threshold
        fails_all = high < threshold if bound == "min" else low > threshold
        shown = f"{info.label} for {groups.feature} is {point:.2f} ({span})"
        if passes_all:
            verdict, reason = PASS, f"{shown}, {'at or above' if bound == 'min' else 'within'} {limit}."
        elif fails_all:
            side = "below" if bound == "min" else "above"
            verdict, reason = FAIL, f"{shown}, {side} {limit} set in the policy."
        else:
            verdict, reason = INSUFFICIENT, (f"{shown}; the interval includes {limit}, so the data cannot "
                                             "tell whether the model meets it.")
    return {"metric": metric, "label": info.label, "bound": bound, "threshold": threshold, "value": point,
            "low": low, "high": high, "verdict": verdict, "reason": reason}


def _stats(task: str, groups: SensitiveGroups, y_true: np.ndarray, scores: np.ndarray, threshold: float,
           resamples: int, seed: int) -> GroupStats:
    if task == "classification":
        return classification_group_stats(groups.codes, len(groups.names), y_true,
                                          (scores >= threshold).astype(np.int64), resamples=resamples, seed=seed)
    return regression_group_stats(groups.codes, len(groups.names), y_true, scores, resamples=resamples, seed=seed)


def analyse_groups(groups: SensitiveGroups, *, task: str, y_true: np.ndarray, scores: np.ndarray,
                   policy: dict[str, Any], threshold: float = 0.5, resamples: int = 1000,
                   seed: int = 0) -> dict[str, Any]:
    """The report entry of one feature: its groups, disparities and checks."""
    stats = _stats(task, groups, y_true, scores, threshold, resamples, seed)
    names = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    rows = []
    for i, name in enumerate(groups.names):
        row: dict[str, Any] = {"group": name, "count": int(stats.counts[i])}
        for metric in names:
            row[metric] = {"value": stats.metrics[metric][i], "low": stats.low[metric][i],
                           "high": stats.high[metric][i]}
        rows.append(row)
    min_size = int(policy["min_group_size"])
    checks = []
    if task == "classification":
        rates = np.asarray(stats.metrics["selection_rate"], dtype=np.float64)
        rates = rates[np.isfinite(rates)]
        uniform = "nobody" if len(rates) and np.all(rates == 0) else "everybody" if len(rates) and np.all(rates == 1) else None
        for bound in ("min", "max"):
            for metric, limit in sorted(policy.get(bound, {}).items()):
                if metric in stats.disparities:
                    checks.append(_check(metric, bound, float(limit), stats.disparities[metric], groups,
                                         stats.counts, min_size, uniform))
    return {
        "feature": groups.feature,
        "kind": groups.kind,
        "parts": list(groups.parts),
        "bands": [{"label": b.label, "low": b.low, "high": b.high} for b in groups.bands],
        "groups": rows,
        "disparities": {k: {"value": v[0], "low": v[1], "high": v[2]} for k, v in stats.disparities.items()},
        "checks": checks,
        "verdict": overall_verdict(checks),
        "warnings": list(groups.warnings),
        "resamples": stats.resamples,
    }


def overall_verdict(checks: list[dict[str, Any]]) -> str:
    """fail if any check fails, else insufficient evidence if any is undecided, else pass."""
    verdicts = {c["verdict"] for c in checks}
    if not verdicts:
        return "not_assessed"
    for verdict in (FAIL, INSUFFICIENT):
        if verdict in verdicts:
            return verdict
    return PASS


def _changes(current: list[dict[str, Any]], production: list[dict[str, Any]]) -> list[dict[str, Any]]:
    before = {(f["feature"], c["metric"]): c for f in production for c in f["checks"]}
    changes = []
    for feature in current:
        for check in feature["checks"]:
            old = before.get((feature["feature"], check["metric"]))
            if old is None:
                continue
            changes.append({"feature": feature["feature"], "metric": check["metric"], "label": check["label"],
                            "before": old["value"], "after": check["value"],
                            "change": check["value"] - old["value"],
                            "verdict_before": old["verdict"], "verdict_after": check["verdict"]})
    return changes


def fairness_report(y_true: np.ndarray, scores: np.ndarray, sensitive: pd.DataFrame, *, features: Sequence[str],
                    task: str = "classification", policy: dict[str, Any] | None = None, threshold: float = 0.5,
                    positive_label: str | None = None, production_scores: np.ndarray | None = None,
                    production_version: int | None = None, production_error: str | None = None,
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
    production_scores : numpy.ndarray, optional
        The production version's scores on the same rows, for the comparison.
    production_version, production_error : optional
        Which version that is, or why it could not be scored.
    resamples, seed : int
        Bootstrap resamples and seed.

    Returns
    -------
    dict
        ``features`` (one entry per feature and the intersection of the first two, each with
        ``groups``, ``disparities``, ``checks`` and ``verdict``), ``verdict``,
        ``not_computed``, ``warnings``, ``production``, ``changes`` and ``summary``.
    """
    policy = _policy(policy)
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
                               resamples=resamples, seed=seed) for g in groups]

    analysed = analyse(scores)
    checks = [c for f in analysed for c in f["checks"]]
    report: dict[str, Any] = {
        "kind": "fairness_report",
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "positive_label": positive_label,
        "threshold": threshold if task == "classification" else None,
        "test_rows": int(len(y_true)),
        "resamples": resamples,
        "confidence": 0.95,
        "policy": policy,
        "features": analysed,
        "verdict": overall_verdict(checks),
        "not_computed": not_computed,
        "warnings": [w for g in groups for w in g.warnings],
        "production": None,
        "changes": [],
    }
    if task == "regression":
        report["notes"] = ["Demographic parity and equalized odds judge yes/no decisions; for a regression model "
                           "the report shows the size of the errors in each group instead."]
    if production_error is not None:
        report["production"] = {"version": production_version, "error": production_error}
    elif production_scores is not None:
        before = analyse(np.asarray(production_scores, dtype=np.float64))
        report["production"] = {"version": production_version, "features": before,
                                "verdict": overall_verdict([c for f in before for c in f["checks"]])}
        report["changes"] = _changes(analysed, before)
    report["summary"] = fairness_summary(report)
    return report
