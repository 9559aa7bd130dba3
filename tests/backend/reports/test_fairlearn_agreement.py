"""The fairness numbers equal fairlearn's own, on the Adult census data, to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from backend.reports import fairness_report, group_labels, group_metrics

TOLERANCE = 1e-9
METRICS = {"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
           "false_positive_rate": false_positive_rate, "accuracy": accuracy_score, "count": count}


@pytest.fixture(scope="module")
def adult_decisions(adult, adult_logistic):
    _, scores = adult_logistic
    sensitive = adult.test.raw[["sex", "race", "age"]].reset_index(drop=True)
    return adult.test.y, (scores >= 0.5).astype(int), scores, sensitive


@pytest.mark.parametrize("feature", ["sex", "race"])
def test_group_metrics_equal_metricframe(adult_decisions, feature):
    y, y_pred, _, sensitive = adult_decisions
    ours = group_metrics(y, y_pred, sensitive[feature], resamples=200)
    frame = MetricFrame(metrics=METRICS, y_true=y, y_pred=y_pred, sensitive_features=sensitive[feature])
    theirs = frame.by_group
    assert list(ours.table.index) == [str(g) for g in theirs.index]
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"):
        np.testing.assert_allclose(ours.table[metric].to_numpy(), theirs[metric].to_numpy(dtype=float),
                                   rtol=0, atol=TOLERANCE, err_msg=metric)
    np.testing.assert_array_equal(ours.table["count"].to_numpy(), theirs["count"].to_numpy(dtype=int))
    kwargs = {"sensitive_features": sensitive[feature]}
    assert ours.disparities["demographic_parity_difference"]["value"] == pytest.approx(
        demographic_parity_difference(y, y_pred, **kwargs), abs=TOLERANCE)
    assert ours.disparities["demographic_parity_ratio"]["value"] == pytest.approx(
        demographic_parity_ratio(y, y_pred, **kwargs), abs=TOLERANCE)
    assert ours.disparities["equalized_odds_difference"]["value"] == pytest.approx(
        equalized_odds_difference(y, y_pred, **kwargs), abs=TOLERANCE)


def test_report_disparities_equal_fairlearn_for_features_bands_and_intersection(adult_decisions):
    y, y_pred, scores, sensitive = adult_decisions
    report = fairness_report(y, scores, sensitive, features=["sex", "race", "age"], resamples=200,
                             positive_label=">50K")
    assert [f["feature"] for f in report["features"]] == ["sex", "race", "age", "sex × race"]
    labels = group_labels(sensitive, ["sex", "race", "age"])
    # age is banded; the intersection is of the first two features: fairlearn gets both columns.
    fairlearn_features = {"sex": sensitive["sex"], "race": sensitive["race"], "age": pd.Series(labels["age"]),
                          "sex × race": sensitive[["sex", "race"]]}
    for feature in report["features"]:
        sf = fairlearn_features[feature["feature"]]
        values = {c["metric"]: c["value"] for c in feature["checks"]}
        assert values["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y, y_pred, sensitive_features=sf), abs=TOLERANCE)
        assert values["demographic_parity_ratio"] == pytest.approx(
            demographic_parity_ratio(y, y_pred, sensitive_features=sf), abs=TOLERANCE)
        assert values["equalized_odds_difference"] == pytest.approx(
            equalized_odds_difference(y, y_pred, sensitive_features=sf), abs=TOLERANCE)
        by_group = MetricFrame(metrics=METRICS, y_true=y, y_pred=y_pred, sensitive_features=sf).by_group
        ours = {g["group"]: g for g in feature["groups"]}
        assert len(ours) == len(by_group)
        for key, row in by_group.iterrows():
            name = " · ".join(map(str, key)) if isinstance(key, tuple) else str(key)
            assert ours[name]["count"] == row["count"]
            for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"):
                assert ours[name][metric]["value"] == pytest.approx(row[metric], abs=TOLERANCE), (name, metric)


def test_intervals_surround_the_values(adult_decisions):
    y, y_pred, _, sensitive = adult_decisions
    result = group_metrics(y, y_pred, sensitive["race"], resamples=500)
    table = result.table
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"):
        assert (table[f"{metric}_low"] <= table[metric] + 1e-12).all()
        assert (table[metric] <= table[f"{metric}_high"] + 1e-12).all()
    # The smallest group has the widest interval: fewer people, less certainty.
    widths = table["selection_rate_high"] - table["selection_rate_low"]
    assert widths.idxmax() == table["count"].idxmin()
