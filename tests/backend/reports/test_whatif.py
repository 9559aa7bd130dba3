"""The threshold what-if: from stored scores only, equal to counting by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.errors import InvalidData
from backend.reports import ALL_GROUPS, fairness_report, threshold_whatif


@pytest.fixture
def stored_scores():
    rng = np.random.default_rng(0)
    n = 3000
    group = rng.choice(["a", "b", "c"], n)
    y = rng.integers(0, 2, n)
    score = np.clip(rng.normal(0.35 + 0.3 * y + np.where(group == "a", 0.1, 0), 0.2), 0, 1)
    return pd.DataFrame({"y_true": y, "score": score, "sensitive:group": group, "group:group": group})


def test_rates_equal_counting_by_hand(stored_scores):
    table = threshold_whatif(stored_scores, [0.3, 0.5, 0.7], sensitive="group")
    assert list(table["group"].unique()) == [ALL_GROUPS, "a", "b", "c"]
    for _, row in table.iterrows():
        rows = stored_scores if row["group"] == ALL_GROUPS else stored_scores[stored_scores["group:group"] == row["group"]]
        flagged = rows["score"] >= row["threshold"]
        positive = rows["y_true"] == 1
        assert row["count"] == len(rows)
        assert row["selection_rate"] == pytest.approx(flagged.mean())
        assert row["true_positive_rate"] == pytest.approx(flagged[positive].mean())
        assert row["false_positive_rate"] == pytest.approx(flagged[~positive].mean())
        assert row["false_negative_rate"] == pytest.approx(1 - flagged[positive].mean())
        assert row["accuracy"] == pytest.approx((flagged == positive).mean())


def test_at_the_pipeline_threshold_it_matches_the_fairness_report(stored_scores):
    report = fairness_report(stored_scores["y_true"].to_numpy(), stored_scores["score"].to_numpy(),
                             stored_scores[["sensitive:group"]].rename(columns={"sensitive:group": "group"}),
                             features=["group"], resamples=50)
    table = threshold_whatif(stored_scores, [0.5], sensitive="group").set_index("group")
    for group in report["features"][0]["groups"]:
        assert table.loc[group["group"], "selection_rate"] == pytest.approx(group["selection_rate"]["value"])
        assert table.loc[group["group"], "true_positive_rate"] == pytest.approx(group["true_positive_rate"]["value"])


def test_raising_the_threshold_never_selects_more(stored_scores):
    table = threshold_whatif(stored_scores, sensitive="group")
    for _, rates in table.groupby("group"):
        assert rates["selection_rate"].is_monotonic_decreasing


def test_without_a_group_column_the_raw_values_are_grouped(stored_scores):
    frame = stored_scores.drop(columns=["group:group"])
    table = threshold_whatif(frame, [0.5], sensitive="group")
    assert set(table["group"]) == {ALL_GROUPS, "a", "b", "c"}


def test_unknown_feature_and_regression_scores_are_refused(stored_scores):
    with pytest.raises(InvalidData, match="no sensitive feature 'zip' \\(they have: group\\)"):
        threshold_whatif(stored_scores, sensitive="zip")
    regression = stored_scores.assign(y_true=stored_scores["score"] * 100)
    with pytest.raises(InvalidData, match="classification"):
        threshold_whatif(regression)
