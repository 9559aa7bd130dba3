"""Metrics per group with bootstrap intervals, fast enough for a million rows.

For a yes/no model every group metric (selection rate, true- and false-positive rate,
accuracy) depends only on how many rows fall in each (group, outcome, decision) cell. Drawing
N rows with replacement is then the same as one multinomial draw over those cells, so a
thousand resamples cost a thousand small draws instead of a thousand passes over the rows.
The point values equal fairlearn's (a test checks this to 1e-9).

For a regression model the metrics depend on each row's error, so the rows are resampled with
Poisson(1) weights, as in :mod:`backend.pipeline.evaluation`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["GroupStats", "classification_group_stats", "regression_group_stats", "CLASSIFICATION_METRICS",
           "REGRESSION_METRICS", "CLASSIFICATION_DISPARITIES", "REGRESSION_DISPARITIES"]

CLASSIFICATION_METRICS = ("share", "selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
REGRESSION_METRICS = ("share", "rmse", "mae", "mean_prediction")
CLASSIFICATION_DISPARITIES = ("demographic_parity_difference", "demographic_parity_ratio",
                              "equalized_odds_difference")
REGRESSION_DISPARITIES = ("mae_difference", "mae_ratio")
#: Regression resamples stop when resamples × rows would pass this (the report says how many).
REGRESSION_WORK_LIMIT = 200_000_000


@dataclass
class GroupStats:
    """Per-group values with 95% intervals, and the disparities between groups.

    ``metrics[name]``, ``low[name]`` and ``high[name]`` are arrays with one entry per group;
    ``disparities[name]`` is ``(value, low, high)``.
    """

    counts: np.ndarray
    metrics: dict[str, np.ndarray]
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    disparities: dict[str, tuple[float, float, float]]
    resamples: int


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _interval(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles over the first axis, ignoring resamples where it is undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a group absent from every resample: all NaN
        low, high = np.nanpercentile(samples, [2.5, 97.5], axis=0)
    return low, high


def _range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest and smallest value over the last axis, ignoring undefined (NaN) groups."""
    undefined = np.isnan(values)
    top = np.where(undefined, -np.inf, values).max(axis=-1)
    bottom = np.where(undefined, np.inf, values).min(axis=-1)
    valid = np.isfinite(top) & np.isfinite(bottom)
    return np.where(valid, top, np.nan), np.where(valid, bottom, np.nan)


def _rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Group metrics from cell counts shaped (..., groups, 4) as [tn, fp, fn, tp]."""
    tn, fp, fn, tp = (cells[..., i].astype(np.float64) for i in range(4))
    n = tn + fp + fn + tp
    return {
        "share": _divide(n, n.sum(axis=-1, keepdims=True)),
        "selection_rate": _divide(fp + tp, n),
        "true_positive_rate": _divide(tp, tp + fn),
        "false_positive_rate": _divide(fp, fp + tn),
        "accuracy": _divide(tn + tp, n),
    }


def _classification_disparities(rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sel_top, sel_bottom = _range(rates["selection_rate"])
    tpr_top, tpr_bottom = _range(rates["true_positive_rate"])
    fpr_top, fpr_bottom = _range(rates["false_positive_rate"])
    return {
        "demographic_parity_difference": sel_top - sel_bottom,
        "demographic_parity_ratio": _divide(sel_bottom, sel_top),
        # fairlearn's "worst case": the larger of the two gaps.
        "equalized_odds_difference": np.fmax(tpr_top - tpr_bottom, fpr_top - fpr_bottom),
    }


def _summarise(counts: np.ndarray, point: dict[str, np.ndarray], samples: dict[str, np.ndarray],
               point_disparities: dict[str, np.ndarray], sample_disparities: dict[str, np.ndarray],
               resamples: int) -> GroupStats:
    low, high = {}, {}
    for name, values in samples.items():
        low[name], high[name] = _interval(values)
    disparities = {}
    for name, value in point_disparities.items():
        d_low, d_high = _interval(sample_disparities[name])
        disparities[name] = (float(value), float(d_low), float(d_high))
    return GroupStats(counts=counts, metrics=point, low=low, high=high, disparities=disparities,
                      resamples=resamples)


def classification_group_stats(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray, *,
                               resamples: int = 1000, seed: int = 0) -> GroupStats:
    """Selection rate, TPR, FPR and accuracy per group, and the parity disparities.

    Parameters
    ----------
    codes : numpy.ndarray
        Each row's group, 0 … ``n_groups`` − 1.
    n_groups : int
        How many groups there are.
    y_true, y_pred : numpy.ndarray
        The real outcome and the model's decision, each 0 or 1.
    resamples : int
        Bootstrap resamples for the 95% intervals.
    seed : int
        Seed of the random draws, so a report can be reproduced.

    Returns
    -------
    GroupStats
    """
    cell = codes.astype(np.int64) * 4 + np.asarray(y_true, np.int64) * 2 + np.asarray(y_pred, np.int64)
    cells = np.bincount(cell, minlength=n_groups * 4).reshape(n_groups, 4)
    total = int(cells.sum())
    point = _rates(cells)
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(total, cells.ravel() / total, size=resamples).reshape(resamples, n_groups, 4)
    samples = _rates(drawn)
    return _summarise(cells.sum(axis=1), point, samples, _classification_disparities(point),
                      _classification_disparities(samples), resamples)


def _regression_values(sums: np.ndarray) -> dict[str, np.ndarray]:
    """From per-group weighted sums shaped (..., groups, 4) as [n, Σe², Σ|e|, Σprediction]."""
    n = sums[..., 0]
    return {
        "share": _divide(n, n.sum(axis=-1, keepdims=True)),
        "rmse": np.sqrt(_divide(sums[..., 1], n)),
        "mae": _divide(sums[..., 2], n),
        "mean_prediction": _divide(sums[..., 3], n),
    }


def _regression_disparities(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    top, bottom = _range(values["mae"])
    return {"mae_difference": top - bottom, "mae_ratio": _divide(bottom, top)}


def regression_group_stats(codes: np.ndarray, n_groups: int, y_true: np.ndarray, prediction: np.ndarray, *,
                           resamples: int = 1000, seed: int = 0, chunk: int = 50) -> GroupStats:
    """RMSE, MAE and the average prediction per group, with Poisson-bootstrap intervals.

    On very large test sets the number of resamples is lowered so that resamples × rows stays
    under :data:`REGRESSION_WORK_LIMIT`; ``GroupStats.resamples`` says how many were used.
    """
    y_true, prediction = np.asarray(y_true, np.float64), np.asarray(prediction, np.float64)
    error = prediction - y_true
    columns = np.stack([np.ones_like(error), error**2, np.abs(error), prediction], axis=1)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    present = np.flatnonzero(np.bincount(codes, minlength=n_groups))
    starts = np.searchsorted(sorted_codes, present)
    ordered = columns[order]

    def group_sums(weights: np.ndarray) -> np.ndarray:  # weights: (k, rows) in sorted order
        out = np.zeros((weights.shape[0], n_groups, 4))
        for j in range(4):
            out[:, present, j] = np.add.reduceat(weights * ordered[:, j], starts, axis=1)
        return out

    point_sums = group_sums(np.ones((1, len(error))))[0]
    resamples = int(max(100, min(resamples, REGRESSION_WORK_LIMIT // max(len(error), 1))))
    rng = np.random.default_rng(seed)
    parts = []
    for done in range(0, resamples, chunk):
        weights = rng.poisson(1.0, size=(min(chunk, resamples - done), len(error))).astype(np.float64)
        parts.append(group_sums(weights))
    sample_sums = np.concatenate(parts)
    point, samples = _regression_values(point_sums), _regression_values(sample_sums)
    return _summarise(point_sums[:, 0].astype(np.int64), point, samples, _regression_disparities(point),
                      _regression_disparities(samples), resamples)
