"""The cell-count bootstrap gives the intervals that resampling the rows gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.reports import group_metrics


@pytest.fixture(scope="module")
def decisions():
    rng = np.random.default_rng(3)
    n = 4000
    group = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    y = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < np.where(group == "a", 0.5, 0.3) + 0.2 * y).astype(int)
    return y, y_pred, pd.Series(group, name="group")


def _row_bootstrap(y, y_pred, group, resamples=1000, seed=11):
    """The textbook bootstrap: draw rows with replacement and recompute each group's selection rate."""
    rng = np.random.default_rng(seed)
    names = sorted(set(group))
    rates, gaps = [], []
    for _ in range(resamples):
        rows = rng.integers(0, len(y), len(y))
        sel = [y_pred[rows][group[rows] == g].mean() for g in names]
        rates.append(sel)
        gaps.append(max(sel) - min(sel))
    return np.percentile(rates, [2.5, 97.5], axis=0), np.percentile(gaps, [2.5, 97.5])


def test_intervals_match_resampling_the_rows(decisions):
    y, y_pred, group = decisions
    ours = group_metrics(y, y_pred, group, resamples=1000)
    (low, high), gap = _row_bootstrap(y, y_pred, group.to_numpy())
    np.testing.assert_allclose(ours.table["selection_rate_low"], low, atol=0.012)
    np.testing.assert_allclose(ours.table["selection_rate_high"], high, atol=0.012)
    dp = ours.disparities["demographic_parity_difference"]
    assert (dp["low"], dp["high"]) == pytest.approx(tuple(gap), abs=0.012)


def test_same_seed_same_intervals(decisions):
    y, y_pred, group = decisions
    first = group_metrics(y, y_pred, group, resamples=200, seed=4)
    again = group_metrics(y, y_pred, group, resamples=200, seed=4)
    pd.testing.assert_frame_equal(first.table, again.table)


def test_regression_groups_match_direct_computation():
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, 3000)
    prediction = y + rng.normal(0, 0.5, 3000)
    group = pd.Series(rng.choice(["x", "y"], 3000), name="segment")
    result = group_metrics(y, prediction, group, task="regression", resamples=300)
    for name, row in result.table.iterrows():
        mask = (group == name).to_numpy()
        error = prediction[mask] - y[mask]
        assert row["rmse"] == pytest.approx(np.sqrt((error**2).mean()))
        assert row["mae"] == pytest.approx(np.abs(error).mean())
        assert row["mean_prediction"] == pytest.approx(prediction[mask].mean())
        assert row["mae_low"] < row["mae"] < row["mae_high"]
    assert set(result.disparities) == {"mae_difference", "mae_ratio"}
