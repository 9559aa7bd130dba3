"""Sensitive features as groups: readable bands, a group for missing values, clear refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.errors import InvalidData
from backend.reports import MISSING_GROUP, intersect_groups, sensitive_groups


def test_age_is_cut_into_readable_bands(adult):
    groups = sensitive_groups(adult.test.raw["age"], "age")
    assert groups.kind == "banded"
    assert groups.names == ["under 25", "25–34", "35–39", "40–49", "50 and over"]
    edges = [b.high for b in groups.bands[:-1]]
    assert all(float(e) % 5 == 0 for e in edges), "edges are round numbers"
    ages = adult.test.raw["age"].to_numpy()
    for code, band in enumerate(groups.bands):
        members = ages[groups.codes == code]
        assert band.low is None or members.min() >= band.low
        assert band.high is None or members.max() < band.high


def test_bands_smaller_than_the_minimum_are_merged():
    rng = np.random.default_rng(0)
    values = pd.Series(np.r_[rng.integers(20, 60, 200), [95, 96, 97]].astype(float))  # a few very old people
    groups = sensitive_groups(values, "age", min_group_size=30)
    assert groups.counts.min() >= 30
    assert groups.names[-1].endswith("and over")


def test_a_few_numeric_values_stay_categories():
    groups = sensitive_groups(pd.Series([0.0, 1.0, 1.0, 0.0]), "is_foreign")
    assert groups.kind == "category" and groups.names == ["0", "1"]


def test_missing_values_form_their_own_group_with_a_warning():
    values = pd.Series(["a", None, "b", "a", np.nan])
    groups = sensitive_groups(values, "region")
    assert groups.names == ["a", "b", MISSING_GROUP]
    assert groups.labels().tolist() == ["a", MISSING_GROUP, "b", "a", MISSING_GROUP]
    assert groups.warnings == ["2 test rows have no value for 'region'; they form their own group, '(missing)'."]


def test_missing_values_of_a_banded_feature_are_a_group_too():
    values = pd.Series(np.r_[np.arange(18, 80, dtype=float), [np.nan] * 3])
    groups = sensitive_groups(values, "age", min_group_size=5)
    assert groups.names[-1] == MISSING_GROUP and groups.counts[-1] == 3


def test_a_single_value_is_refused_by_name():
    with pytest.raises(InvalidData, match=r"'country' has a single value \('DE'\) in the test data"):
        sensitive_groups(pd.Series(["DE"] * 40), "country")


def test_a_feature_without_values_is_refused():
    with pytest.raises(InvalidData, match="'country' has no values"):
        sensitive_groups(pd.Series([None] * 5, dtype=object), "country")


def test_intersection_names_both_groups_and_keeps_only_observed_ones():
    sex = sensitive_groups(pd.Series(["F", "M", "M", "F"]), "sex")
    region = sensitive_groups(pd.Series(["n", "n", "s", "n"]), "region")
    both = intersect_groups(sex, region)
    assert both.feature == "sex × region" and both.parts == ("sex", "region")
    assert both.names == ["F · n", "M · n", "M · s"]  # no woman from the south in the data
    assert both.labels().tolist() == ["F · n", "M · n", "M · s", "F · n"]
