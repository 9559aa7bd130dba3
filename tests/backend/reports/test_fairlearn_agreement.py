"""The fairness numbers equal fairlearn's own, to 1e-9, wherever fairlearn defines them: on the
Adult census data, and on constructed cases with a group of 1, a group of 7 and a group with no
real negatives (or no real positives)."""

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

from backend.reports import INSUFFICIENT, fairness_report, group_labels, group_metrics

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
    assert ours.disparities["demographic_parity_difference"]["fairlearn"] == pytest.approx(
        demographic_parity_difference(y, y_pred, **kwargs), abs=TOLERANCE)
    assert ours.disparities["demographic_parity_ratio"]["fairlearn"] == pytest.approx(
        demographic_parity_ratio(y, y_pred, **kwargs), abs=TOLERANCE)
    assert ours.disparities["equalized_odds_difference"]["fairlearn"] == pytest.approx(
        equalized_odds_difference(y, y_pred, **kwargs), abs=TOLERANCE)
    # With every group judgeable (a minimum of 1), the judged gaps are fairlearn's too.
    every = group_metrics(y, y_pred, sensitive[feature], resamples=50, min_group_size=1)
    for name, cell in every.disparities.items():
        assert cell["value"] == pytest.approx(cell["fairlearn"], abs=TOLERANCE), name


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
        values = {c["metric"]: c["fairlearn_value"] for c in feature["checks"]}
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


def _agreement(y, y_pred, groups, report_feature="group"):
    """Every value of our report that fairlearn defines, against fairlearn's, to 1e-9."""
    sensitive = pd.DataFrame({report_feature: groups})
    report = fairness_report(y, y_pred.astype(float), sensitive, features=[report_feature], resamples=50)
    entry = report["features"][0]
    checks = {c["metric"]: c for c in entry["checks"]}
    sf = sensitive[report_feature]
    assert checks["equalized_odds_difference"]["fairlearn_value"] == pytest.approx(
        equalized_odds_difference(y, y_pred, sensitive_features=sf), abs=TOLERANCE)
    assert checks["demographic_parity_difference"]["fairlearn_value"] == pytest.approx(
        demographic_parity_difference(y, y_pred, sensitive_features=sf), abs=TOLERANCE)
    ratio = demographic_parity_ratio(y, y_pred, sensitive_features=sf)
    if np.isfinite(ratio):
        assert checks["demographic_parity_ratio"]["fairlearn_value"] == pytest.approx(ratio, abs=TOLERANCE)
    by_group = MetricFrame(metrics=METRICS, y_true=y, y_pred=y_pred, sensitive_features=sf).by_group
    ours = {g["group"]: g for g in entry["groups"]}
    for name, row in by_group.iterrows():
        assert ours[str(name)]["count"] == row["count"]
        for metric in ("selection_rate", "accuracy", "true_positive_rate", "false_positive_rate"):
            cell = ours[str(name)][metric]
            if cell["n"] == 0:  # undefined: fairlearn shows 0, the report says it has no value
                assert cell["value"] is None or not np.isfinite(cell["value"])
                continue
            assert cell["value"] == pytest.approx(row[metric], abs=TOLERANCE), (name, metric)
    return report, checks


def test_equalized_odds_follows_fairlearn_when_a_group_has_no_negatives():
    # 11 rows: group a has only real positives, so its false-positive rate is undefined.
    y = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0])
    y_pred = np.array([1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1])
    groups = np.array(["a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"])
    report, checks = _agreement(y, y_pred, groups)
    assert checks["equalized_odds_difference"]["fairlearn_value"] == pytest.approx(0.5, abs=TOLERANCE)
    assert checks["equalized_odds_difference"]["undefined"] == [
        {"group": "a", "rate": "false_positive_rate", "denominator": "negatives"}]
    assert "'a' has no real negatives, so its false-positive rate is undefined" in \
        checks["equalized_odds_difference"]["reason"]
    # Eleven rows are no evidence for a verdict either way.
    assert {c["verdict"] for c in checks.values()} == {INSUFFICIENT}


def test_agreement_with_a_group_of_one_a_group_of_seven_and_a_group_without_positives():
    rng = np.random.default_rng(3)
    sizes = {"White": 950, "Black": 400, "Hispanic": 250, "Other": 100, "Native American": 1, "Asian": 7}
    groups = np.concatenate([np.full(n, name, dtype=object) for name, n in sizes.items()])
    y = rng.integers(0, 2, len(groups))
    y[groups == "Asian"] = 0  # no real positives: its true-positive rate is undefined
    y_pred = (rng.random(len(groups)) < np.where(groups == "White", 0.5, 0.2)).astype(int)
    report, checks = _agreement(y, y_pred, groups)
    # fairlearn's values span every group, the tiny ones included; the verdicts do not.
    assert checks["demographic_parity_difference"]["groups_judged"] == 4
    assert {i["group"] for i in checks["demographic_parity_difference"]["too_few"]} == {"Native American", "Asian"}
