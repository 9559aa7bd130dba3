"""Verdicts: pass, fail, or insufficient evidence when a group is small or the interval undecided."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.reports import FAIL, INSUFFICIENT, PASS, fairness_report


def _population(sizes: dict[str, int], selection: dict[str, float], seed: int = 0):
    """Rows per group, half with a positive outcome, scored so each group's selection rate is exact."""
    rng = np.random.default_rng(seed)
    y, scores, groups = [], [], []
    for group, n in sizes.items():
        selected = int(round(selection[group] * n))
        s = np.r_[np.full(selected, 0.9), np.full(n - selected, 0.1)]
        y.append(rng.permutation(np.r_[np.ones(n // 2, int), np.zeros(n - n // 2, int)]))
        scores.append(s)
        groups += [group] * n
    return np.concatenate(y), np.concatenate(scores), pd.DataFrame({"group": groups})


def _checks(report, feature="group"):
    entry = next(f for f in report["features"] if f["feature"] == feature)
    return {c["metric"]: c for c in entry["checks"]}


def test_equal_treatment_passes():
    y, scores, sensitive = _population({"a": 5000, "b": 5000}, {"a": 0.3, "b": 0.3})
    report = fairness_report(y, scores, sensitive, features=["group"])
    checks = _checks(report)
    assert checks["demographic_parity_difference"]["verdict"] == PASS
    assert checks["demographic_parity_ratio"]["verdict"] == PASS
    assert checks["demographic_parity_difference"]["reason"].startswith("Demographic parity difference for group is 0.00")
    assert report["verdict"] in (PASS, INSUFFICIENT)


def test_a_clear_gap_fails_with_both_difference_and_ratio():
    y, scores, sensitive = _population({"a": 5000, "b": 5000}, {"a": 0.6, "b": 0.2})
    report = fairness_report(y, scores, sensitive, features=["group"], positive_label="approved")
    checks = _checks(report)
    assert checks["demographic_parity_difference"]["value"] == pytest.approx(0.4)
    assert checks["demographic_parity_ratio"]["value"] == pytest.approx(1 / 3)
    assert {c["verdict"] for c in checks.values()} == {FAIL}
    assert "above the maximum of 0.10 set in the policy" in checks["demographic_parity_difference"]["reason"]
    assert "below the minimum of 0.80" in checks["demographic_parity_ratio"]["reason"]
    assert report["verdict"] == FAIL
    share = report["features"][0]["groups"][0]["share"]
    assert share["value"] == 0.5 and share["low"] < 0.5 < share["high"]
    assert any("60% of people with group = a (5,000) against 20% of people with group = b (5,000) "
               "(40 percentage points; ratio 0.33)" in s for s in report["summary"])


def test_a_group_below_the_minimum_size_is_too_few_to_judge_and_the_rest_is_judged():
    y, scores, sensitive = _population({"a": 5000, "b": 5000, "c": 12}, {"a": 0.6, "b": 0.2, "c": 0.5})
    report = fairness_report(y, scores, sensitive, features=["group"])
    for check in _checks(report).values():
        assert check["verdict"] == FAIL
        assert "Too few to judge: 'c' (" in check["reason"]
    assert report["verdict"] == FAIL
    assert report["features"][0]["too_few"][0]["group"] == "c"


def test_the_minimum_group_size_comes_from_the_policy():
    y, scores, sensitive = _population({"a": 5000, "b": 5000, "c": 12}, {"a": 0.6, "b": 0.2, "c": 0.5})
    report = fairness_report(y, scores, sensitive, features=["group"], policy={"min_group_size": 10})
    assert _checks(report)["demographic_parity_difference"]["verdict"] == FAIL


def test_an_interval_that_straddles_the_threshold_is_undecided():
    y, scores, sensitive = _population({"a": 300, "b": 300}, {"a": 0.30, "b": 0.20})
    report = fairness_report(y, scores, sensitive, features=["group"])
    check = _checks(report)["demographic_parity_difference"]
    assert check["value"] == pytest.approx(0.1)
    assert check["low"] < 0.1 < check["high"]
    assert check["verdict"] == INSUFFICIENT
    assert "the interval includes the maximum of 0.10" in check["reason"]


def test_thresholds_come_from_the_policy():
    y, scores, sensitive = _population({"a": 5000, "b": 5000}, {"a": 0.6, "b": 0.2})
    report = fairness_report(y, scores, sensitive, features=["group"],
                             policy={"min": {"demographic_parity_ratio": 0.3},
                                     "max": {"demographic_parity_difference": 0.5}})
    checks = _checks(report)
    assert set(checks) == {"demographic_parity_ratio", "demographic_parity_difference"}
    assert checks["demographic_parity_difference"]["threshold"] == 0.5
    assert {c["verdict"] for c in checks.values()} == {PASS}


def test_a_sensitive_feature_that_is_not_a_column_is_reported_and_the_rest_is_written():
    y, scores, sensitive = _population({"a": 500, "b": 500}, {"a": 0.5, "b": 0.5})
    report = fairness_report(y, scores, sensitive, features=["group", "zip_code"])
    assert [f["feature"] for f in report["features"]] == ["group"]
    assert report["not_computed"] == [{"item": "sensitive feature 'zip_code'", "reason": (
        "'zip_code' is not a column of the test data (sensitive columns found: group), so it could not be assessed.")}]
    assert any("zip_code" in s for s in report["summary"])


def test_a_sensitive_feature_with_a_single_value_is_reported():
    y, scores, sensitive = _population({"a": 500, "b": 500}, {"a": 0.5, "b": 0.5})
    sensitive["country"] = "DE"
    report = fairness_report(y, scores, sensitive, features=["country", "group"])
    assert [f["feature"] for f in report["features"]] == ["group"]
    assert "'country' has a single value ('DE')" in report["not_computed"][0]["reason"]


def test_a_test_set_smaller_than_the_minimum_group_size():
    y, scores, sensitive = _population({"a": 10, "b": 10}, {"a": 0.5, "b": 0.2})
    report = fairness_report(y, scores, sensitive, features=["group"])
    assert report["not_computed"][0]["reason"] == ("The test set has 20 rows, fewer than the minimum group size of 30: "
                                                   "no group is large enough for a verdict.")
    assert {c["verdict"] for c in _checks(report).values()} == {INSUFFICIENT}
    assert report["features"][0]["groups"][0]["count"] == 10  # the numbers are still there to read


def test_missing_values_are_a_group_and_a_warning_in_the_report():
    y, scores, sensitive = _population({"a": 500, "b": 500}, {"a": 0.5, "b": 0.4})
    sensitive.loc[:39, "group"] = None
    report = fairness_report(y, scores, sensitive, features=["group"])
    assert [g["group"] for g in report["features"][0]["groups"]] == ["a", "b", "(missing)"]
    assert report["warnings"] == ["40 test rows have no value for 'group'; they form their own group, '(missing)'."]


def test_the_first_two_features_are_also_judged_together():
    y, scores, sensitive = _population({"a": 600, "b": 600}, {"a": 0.5, "b": 0.5})
    sensitive["region"] = np.tile(["north", "south"], 600)
    sensitive["third"] = np.tile(["x", "y", "z"], 400)
    report = fairness_report(y, scores, sensitive, features=["group", "region", "third"])
    assert [f["feature"] for f in report["features"]] == ["group", "region", "third", "group × region"]
    assert report["features"][-1]["kind"] == "intersection"


def test_regression_reports_errors_by_group_without_parity_checks():
    rng = np.random.default_rng(1)
    y = rng.normal(100, 10, 2000)
    groups = pd.DataFrame({"group": np.repeat(["a", "b"], 1000)})
    prediction = y + np.r_[rng.normal(0, 1, 1000), rng.normal(0, 5, 1000)]
    report = fairness_report(y, prediction, groups, features=["group"], task="regression")
    entry = report["features"][0]
    assert entry["checks"] == [] and report["verdict"] == "not_assessed"
    a, b = entry["groups"]
    assert a["mae"]["value"] == pytest.approx(np.abs(prediction - y)[:1000].mean())
    assert b["rmse"]["value"] == pytest.approx(np.sqrt(((prediction - y)[1000:] ** 2).mean()))
    assert a["mae"]["low"] < a["mae"]["value"] < a["mae"]["high"]
    assert 3 <= len(report["summary"]) <= 5
    assert any("average error ranges from" in s for s in report["summary"])


@pytest.mark.parametrize("selection", [{"a": 0.3, "b": 0.3}, {"a": 0.6, "b": 0.2}])
def test_summary_has_three_to_five_sentences(selection):
    y, scores, sensitive = _population({"a": 800, "b": 800}, selection)
    report = fairness_report(y, scores, sensitive, features=["group"])
    assert 3 <= len(report["summary"]) <= 5
    assert all(s.endswith(".") for s in report["summary"])


def test_a_model_that_flags_nobody_is_not_called_fair():
    y, scores, sensitive = _population({"a": 3000, "b": 3000}, {"a": 0.0, "b": 0.0})
    report = fairness_report(y, scores, sensitive, features=["group"])
    checks = _checks(report)
    for check in checks.values():
        assert check["verdict"] == INSUFFICIENT
        assert "flags nobody in every group" in check["reason"]
    assert ("Every group group that can be judged is predicted 'the positive outcome' at the same rate, 0%: the "
            "model flags nobody at this threshold.") in report["summary"]
    assert not any(" against " in sentence for sentence in report["summary"])
