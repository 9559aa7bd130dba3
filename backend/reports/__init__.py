"""Fairness and explainability reports, and the model card.

The pipeline's ``reports`` stage computes and stores everything here; the portal only reads
it back (:func:`load_reports`, :func:`load_test_scores`, :func:`load_model_card`) and runs the
cheap threshold what-if on the stored scores. No page ever computes a SHAP value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backend.reports._annex_iv import ANNEX_IV_HEADINGS
from backend.reports._audit_pack import audit_pack_filename, build_audit_pack
from backend.reports._card_render import VERDICT_LABELS
from backend.reports._card_writer import (
    WrittenModelCard,
    build_model_card,
    refresh_model_card,
    write_model_card,
)
from backend.reports._explain import ROW_CAP, explain_model
from backend.reports._fairness import FAIL, INSUFFICIENT, PASS, build_groups, fairness_report
from backend.reports._group_metrics import CLASSIFICATION_METRICS, classification_group_stats
from backend.reports._groups import (
    MISSING_GROUP,
    Band,
    SensitiveGroups,
    band_edges,
    band_labels,
    intersect_groups,
    sensitive_groups,
)
from backend.reports._intervals import exact_interval
from backend.reports._labels import Labels
from backend.reports._leaders import leaders_overview
from backend.reports._path_history import path_history
from backend.reports._portfolio import portfolio
from backend.reports._proxies import PROXY_THRESHOLD, cramers_v, sensitive_inputs
from backend.reports._readiness import readiness_score
from backend.reports._regression_metrics import REGRESSION_METRICS, regression_group_stats
from backend.reports._store import (
    ModelCardFile,
    VersionReports,
    jsonable,
    load_model_card,
    load_reports,
    load_test_scores,
    store_json,
)
from backend.reports._summaries import describe_input, explainability_summary, fairness_summary
from backend.reports._whatif import ALL_GROUPS, DEFAULT_THRESHOLDS, threshold_whatif

__all__ = [
    "fairness_report",
    "explain_model",
    "group_metrics",
    "GroupMetrics",
    "group_labels",
    "sensitive_groups",
    "intersect_groups",
    "SensitiveGroups",
    "Band",
    "MISSING_GROUP",
    "threshold_whatif",
    "DEFAULT_THRESHOLDS",
    "ALL_GROUPS",
    "load_reports",
    "VersionReports",
    "load_test_scores",
    "load_model_card",
    "ModelCardFile",
    "write_model_card",
    "build_model_card",
    "WrittenModelCard",
    "store_json",
    "jsonable",
    "fairness_summary",
    "explainability_summary",
    "VERDICT_LABELS",
    "PASS",
    "FAIL",
    "INSUFFICIENT",
    "ROW_CAP",
    "Labels",
    "exact_interval",
    "band_edges",
    "band_labels",
    "sensitive_inputs",
    "cramers_v",
    "PROXY_THRESHOLD",
    "describe_input",
    "portfolio",
    "path_history",
    "leaders_overview",
    "refresh_model_card",
    "readiness_score",
    "build_audit_pack",
    "audit_pack_filename",
    "ANNEX_IV_HEADINGS",
]


@dataclass(frozen=True)
class GroupMetrics:
    """Per-group metrics of one sensitive feature.

    ``table`` has one row per group (index: the group name) with ``count`` and, for each
    metric (the group's ``share`` of the rows included), its value and the ``<metric>_low`` /
    ``<metric>_high`` bounds of its 95% interval; for a yes/no model also ``<metric>_k`` and
    ``<metric>_n``, the counts the rate is made of. ``disparities`` maps a disparity name to
    ``{"value", "low", "high", "fairlearn"}``: the gap among the groups with at least
    ``min_group_size`` people (real positives, real negatives) behind each rate, and the gap over
    every group as fairlearn defines it.
    """

    feature: str
    table: pd.DataFrame
    disparities: dict[str, dict[str, float]]
    resamples: int


def group_metrics(y_true: np.ndarray, y_pred: np.ndarray, sensitive: pd.Series, *, task: str = "classification",
                  resamples: int = 1000, seed: int = 0, min_group_size: int = 30) -> GroupMetrics:
    """Group metrics with bootstrap intervals for one sensitive feature.

    Parameters
    ----------
    y_true : array-like
        Real outcomes: 0/1 for classification, numbers for regression.
    y_pred : array-like
        The model's decisions (0/1) for classification, its predictions for regression.
    sensitive : pandas.Series
        The feature's raw values; numbers with many values are banded, missing values grouped.
    task : {"classification", "regression"}
    resamples, seed : int
        Bootstrap resamples and the seed of their draws.
    min_group_size : int
        Bands of a numeric feature are merged until each holds this many rows, and a rate counts
        in a gap only with this many cases in its denominator.

    Returns
    -------
    GroupMetrics

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> result = group_metrics(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]),
    ...                        pd.Series(["a", "a", "b", "b"]), resamples=10)
    >>> result.table["selection_rate"].tolist()
    [0.5, 0.0]
    """
    name = str(sensitive.name) if sensitive.name is not None else "sensitive feature"
    groups = sensitive_groups(sensitive, name, min_group_size=min_group_size)
    if task == "classification":
        stats = classification_group_stats(groups.codes, len(groups.names), np.asarray(y_true), np.asarray(y_pred),
                                           resamples=resamples, seed=seed, min_group_size=min_group_size)
        metrics = CLASSIFICATION_METRICS
    else:
        stats = regression_group_stats(groups.codes, len(groups.names), np.asarray(y_true), np.asarray(y_pred),
                                       resamples=resamples, seed=seed)
        metrics = REGRESSION_METRICS
    columns = {"count": stats.counts}
    for metric in metrics:
        columns[metric] = stats.metrics[metric]
        columns[f"{metric}_low"] = stats.low[metric]
        columns[f"{metric}_high"] = stats.high[metric]
        if metric in stats.numerators:
            columns[f"{metric}_k"] = stats.numerators[metric]
            columns[f"{metric}_n"] = stats.denominators[metric]
    table = pd.DataFrame(columns, index=pd.Index(groups.names, name=name))
    disparities = {k: {"value": v[0], "low": v[1], "high": v[2], "fairlearn": stats.fairlearn.get(k)}
                   for k, v in stats.disparities.items()}
    return GroupMetrics(feature=name, table=table, disparities=disparities, resamples=stats.resamples)


def group_labels(sensitive: pd.DataFrame, features: list[str], *,
                 min_group_size: int = 30) -> dict[str, pd.Categorical]:
    """Each row's group for every analysable feature and the intersection of the first two.

    The same groups, in the same order, as the fairness report (keys like ``"sex"``, ``"age"``,
    ``"sex × race"``); stored beside the test scores so the what-if compares exactly those.
    """
    ignored: list[dict[str, str]] = []
    groups = build_groups(sensitive.reset_index(drop=True), features, min_group_size=min_group_size,
                          not_computed=ignored)
    return {g.feature: pd.Categorical.from_codes(g.codes, categories=g.names) for g in groups}
