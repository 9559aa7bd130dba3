"""Metrics agree with scikit-learn; the bootstrap tells better from chance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from backend.pipeline.evaluation import (
    classification_metrics,
    compare,
    paired_bootstrap,
    regression_metrics,
)


@pytest.fixture
def scored():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 2000)
    score = np.clip(0.3 * y + rng.random(2000) * 0.7, 0, 1).round(2)  # rounded: many ties
    return y, score


def test_classification_metrics_match_scikit_learn(scored):
    y, score = scored
    ours = classification_metrics(y, score)
    pred = score >= 0.5
    expected = {
        "roc_auc": skm.roc_auc_score(y, score),
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
    }
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, abs=1e-12), name


def test_regression_metrics_match_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.normal(size=500)
    pred = y + rng.normal(scale=0.5, size=500)
    ours = regression_metrics(y, pred)
    assert ours["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)), abs=1e-12)
    assert ours["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), abs=1e-12)
    assert ours["r2"] == pytest.approx(skm.r2_score(y, pred), abs=1e-12)


def test_same_model_shows_no_clear_difference(scored):
    y, score = scored
    result = paired_bootstrap("classification", y, score, score, resamples=200)
    assert result["roc_auc"]["low"] == result["roc_auc"]["high"] == 0
    assert compare(result["roc_auc"], higher_is_better=True) == "no clear difference"


def test_clearly_better_model_is_better(scored):
    y, score = scored
    noisy = np.clip(score + np.random.default_rng(9).normal(scale=0.4, size=len(y)), 0, 1)
    result = paired_bootstrap("classification", y, score, noisy, resamples=300)
    assert result["roc_auc"]["difference"] > 0
    assert compare(result["roc_auc"], higher_is_better=True) == "better"
    assert compare(result["log_loss"], higher_is_better=False) == "better"
    reverse = paired_bootstrap("classification", y, noisy, score, resamples=300)
    assert compare(reverse["roc_auc"], higher_is_better=True) == "worse"


def test_interval_covers_the_difference(scored):
    y, score = scored
    other = np.clip(score + np.random.default_rng(2).normal(scale=0.05, size=len(y)), 0, 1)
    result = paired_bootstrap("classification", y, score, other, resamples=400)
    for interval in result.values():
        assert interval["low"] <= interval["difference"] <= interval["high"]
