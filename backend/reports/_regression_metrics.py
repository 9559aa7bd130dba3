"""Errors per group for a regression model, with Poisson-bootstrap intervals.

A regression model's group metrics depend on each row's error, so the rows are resampled with
Poisson(1) weights, as in :mod:`backend.pipeline.evaluation`.
"""

from __future__ import annotations

import numpy as np

from backend.reports._group_metrics import GroupStats, divide, value_range
from backend.reports._intervals import percentile_interval

__all__ = ["regression_group_stats", "REGRESSION_METRICS", "REGRESSION_DISPARITIES", "REGRESSION_WORK_LIMIT"]

REGRESSION_METRICS = ("share", "rmse", "mae", "mean_prediction")
REGRESSION_DISPARITIES = ("mae_difference", "mae_ratio")
#: Resamples stop when resamples × rows would pass this (the report says how many were used).
REGRESSION_WORK_LIMIT = 200_000_000


def _values(sums: np.ndarray) -> dict[str, np.ndarray]:
    """From per-group weighted sums shaped (..., groups, 4) as [n, Σe², Σ|e|, Σprediction]."""
    n = sums[..., 0]
    return {
        "share": divide(n, n.sum(axis=-1, keepdims=True)),
        "rmse": np.sqrt(divide(sums[..., 1], n)),
        "mae": divide(sums[..., 2], n),
        "mean_prediction": divide(sums[..., 3], n),
    }


def _disparities(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    top, bottom = value_range(values["mae"])
    return {"mae_difference": top - bottom, "mae_ratio": divide(bottom, top)}


def regression_group_stats(codes: np.ndarray, n_groups: int, y_true: np.ndarray, prediction: np.ndarray, *,
                           resamples: int = 1000, seed: int = 0, chunk: int = 50) -> GroupStats:
    """RMSE, MAE and the average prediction per group, with Poisson-bootstrap intervals.

    On very large test sets the number of resamples is lowered so that resamples × rows stays
    under :data:`REGRESSION_WORK_LIMIT`; ``GroupStats.resamples`` says how many were used.
    """
    y_true, prediction = np.asarray(y_true, np.float64), np.asarray(prediction, np.float64)
    codes = np.asarray(codes, np.int64)
    error = prediction - y_true
    columns = np.stack([np.ones_like(error), error**2, np.abs(error), prediction], axis=1)
    order = np.argsort(codes, kind="stable")
    present = np.flatnonzero(np.bincount(codes, minlength=n_groups))
    starts = np.searchsorted(codes[order], present)
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
    point, samples = _values(point_sums), _values(sample_sums)
    low, high = {}, {}
    for name, values in samples.items():
        low[name], high[name] = percentile_interval(values)
    point_gaps, sample_gaps = _disparities(point), _disparities(samples)
    disparities = {}
    for name, value in point_gaps.items():
        d_low, d_high = percentile_interval(sample_gaps[name])
        disparities[name] = (float(value), float(d_low), float(d_high))
    return GroupStats(counts=point_sums[:, 0].astype(np.int64), metrics=point, low=low, high=high,
                      disparities=disparities, resamples=resamples)
