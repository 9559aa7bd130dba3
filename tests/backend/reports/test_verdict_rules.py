"""The verdict rules that real data exposed, each on constructed data: small groups are named and
never void the rest, a rate needs enough cases in its own denominator, exact intervals keep their
coverage, the model is compared with the gap in the data, sensitive inputs are named, numbers
are banded at their quantiles, and headlines speak of judgeable groups in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from backend.reports import (
    FAIL,
    INSUFFICIENT,
    PASS,
    Labels,
    band_edges,
    band_labels,
    exact_interval,
    fairness_report,
    sensitive_inputs,
)
from backend.reports._groups import assign_bands


def _people(spec: dict[str, tuple[int, float, float]], seed: int = 0):
    """Rows per group: (size, share of real positives, selection rate), exact to the row."""
    rng = np.random.default_rng(seed)
    y, scores, groups = [], [], []
    for name, (n, base, selection) in spec.items():
        positives, selected = int(round(base * n)), int(round(selection * n))
        y.append(rng.permutation(np.r_[np.ones(positives, int), np.zeros(n - positives, int)]))
        scores.append(rng.permutation(np.r_[np.full(selected, 0.9), np.full(n - selected, 0.1)]))
        groups += [name] * n
    return np.concatenate(y), np.concatenate(scores), groups


def _checks(report, feature):
    entry = next(f for f in report["features"] if f["feature"] == feature)
    return entry, {c["metric"]: c for c in entry["checks"]}


def test_a_group_of_one_and_a_group_of_seven_do_not_void_the_verdict_on_race():
    y, scores, race = _people({"White": (950, 0.3, 0.42), "Black": (400, 0.3, 0.18), "Hispanic": (250, 0.3, 0.2),
                               "Other": (100, 0.3, 0.3), "Native American": (1, 1.0, 1.0), "Asian": (7, 0.3, 0.0)})
    report = fairness_report(y, scores, pd.DataFrame({"race": race}), features=["race"], positive_label="approved")
    entry, checks = _checks(report, "race")
    ratio = checks["demographic_parity_ratio"]
    assert ratio["verdict"] == FAIL and ratio["groups_judged"] == 4
    assert ratio["value"] == pytest.approx(0.18 / 0.42, abs=1e-9)
    assert ratio["high"] < 0.8
    assert "Too few to judge: 'Asian' (7 people) and 'Native American' (1 person)." in ratio["reason"]
    small = {g["group"]: g["count"] for g in entry["too_few"]}
    assert small == {"Native American": 1, "Asian": 7}  # named, with their counts
    # fairlearn's own value spans every group, so it is 0 here (the group of 7 selects nobody).
    assert ratio["fairlearn_value"] == 0.0
    assert report["verdict"] == FAIL


def test_missing_value_groups_of_seven_and_two_are_listed_not_voiding():
    y, scores, sex = _people({"Female": (3000, 0.3, 0.30), "Male": (3000, 0.3, 0.31)})
    frame = pd.DataFrame({"sex": sex, "region": np.tile(["north", "south"], 3000)})
    frame.loc[:6, "sex"] = None
    frame.loc[7:8, "region"] = None
    report = fairness_report(y, scores, frame, features=["sex", "region"])
    for feature in ("sex", "region"):
        entry, checks = _checks(report, feature)
        assert checks["demographic_parity_difference"]["groups_judged"] == 2
        assert checks["demographic_parity_difference"]["cause"] in ("judged", "straddles")
        assert [g["group"] for g in entry["too_few"]] == ["(missing)"]
    assert _checks(report, "sex")[1]["demographic_parity_difference"]["verdict"] == PASS
    assert "'(missing)' (7 people)" in _checks(report, "sex")[1]["demographic_parity_ratio"]["reason"]


def test_only_a_feature_with_fewer_than_two_judgeable_groups_lacks_evidence_as_a_whole():
    y, scores, groups = _people({"a": (500, 0.4, 0.4), "b": (12, 0.4, 0.1), "c": (9, 0.4, 0.9)})
    report = fairness_report(y, scores, pd.DataFrame({"g": groups}), features=["g"])
    entry, checks = _checks(report, "g")
    assert entry["verdict"] == INSUFFICIENT
    assert {c["cause"] for c in checks.values()} == {"too_few_groups"}
    assert checks["demographic_parity_difference"]["reason"].startswith(
        "Demographic parity difference for g cannot be judged: fewer than two groups have at least 30 people.")


def test_rows_are_not_evidence_for_a_rate_its_denominator_is():
    # The case: a true-positive rate of 1 of 1 against 0 of 2, in groups of hundreds.
    y, scores, groups = _people({"a": (300, 0.0, 0.2), "b": (300, 0.0, 0.2)})
    y[0], scores[0] = 1, 0.9                # a: 1 real positive, found
    y[300:302], scores[300:302] = 1, 0.1    # b: 2 real positives, both missed
    report = fairness_report(y, scores, pd.DataFrame({"g": groups}), features=["g"])
    entry, checks = _checks(report, "g")
    odds = checks["equalized_odds_difference"]
    assert odds["verdict"] != FAIL and odds["cause"] == "partial"
    assert "true-positive rates cannot be compared: fewer than two groups have at least 30 real positives" in \
        odds["reason"]
    assert "'a' (1 real positive) and 'b' (2 real positives)" in odds["reason"]
    a = entry["groups"][0]["true_positive_rate"]
    assert (a["k"], a["n"], a["value"], a["judged"]) == (1, 1, 1.0, False)
    assert a["low"] == pytest.approx(0.025, abs=1e-9)  # exact: 1 of 1 says little, not "0.82 to 1.00"
    assert checks["demographic_parity_difference"]["verdict"] == PASS  # 300 people each: judged


@pytest.mark.parametrize("n", [1, 2, 4, 7, 12, 30])
def test_exact_intervals_keep_their_coverage_on_small_counts(n):
    # The coverage of the interval for every true rate on a fine grid, computed exactly.
    k = np.arange(n + 1)
    low, high = exact_interval(k, np.full(n + 1, n))
    for p in np.linspace(0.001, 0.999, 999):
        covered = (low <= p) & (p <= high)
        assert binom.pmf(k, n, p)[covered].sum() >= 0.95 - 1e-12, p


def test_every_rate_carries_its_counts():
    y, scores, groups = _people({"a": (200, 0.25, 0.3), "b": (100, 0.5, 0.1)})
    report = fairness_report(y, scores, pd.DataFrame({"g": groups}), features=["g"])
    b = report["features"][0]["groups"][1]
    assert (b["selection_rate"]["k"], b["selection_rate"]["n"]) == (10, 100)
    assert (b["base_rate"]["k"], b["base_rate"]["n"]) == (50, 100)
    assert b["true_positive_rate"]["n"] == 50 and b["false_positive_rate"]["n"] == 50
    assert b["selection_rate"]["low"] < 0.1 < b["selection_rate"]["high"]


@pytest.mark.parametrize(("spec", "effect"), [
    ({"a": (3000, 0.3, 0.5), "b": (3000, 0.3, 0.1)}, "widens"),   # same outcomes, unequal decisions
    ({"a": (3000, 0.5, 0.4), "b": (3000, 0.1, 0.2)}, "narrows"),  # the model closes part of a real gap
    ({"a": (3000, 0.4, 0.4), "b": (3000, 0.2, 0.2)}, "keeps"),    # it mirrors the data
])
def test_the_summary_says_whether_the_model_widens_or_narrows_the_gap_in_the_data(spec, effect):
    y, scores, groups = _people(spec)
    report = fairness_report(y, scores, pd.DataFrame({"g": groups}), features=["g"], positive_label="yes")
    entry = report["features"][0]
    assert entry["data_gap"]["effect"] == effect
    assert entry["groups"][0]["base_rate"]["value"] == pytest.approx(spec["a"][1])
    assert any(f"the model {effect}" in s for s in report["summary"])


def test_headlines_name_judgeable_groups_with_their_sizes_and_the_feature_in_words():
    y, scores, afam = _people({"yes": (800, 0.3, 0.16), "no": (3000, 0.3, 0.034), "unknown": (3, 0.3, 1.0)})
    labels = Labels(target="approved", positive_label="1", subjects="applicants")
    report = fairness_report(y, scores, pd.DataFrame({"afam": afam}), features=["afam"], labels=labels)
    headline = next(s for s in report["summary"] if s.startswith("The widest gap"))
    assert headline == ("The widest gap in who is predicted 'approved = 1' is by afam: 16% of applicants with "
                        "afam = yes (800) against 3.4% of applicants with afam = no (3,000) (13 percentage points; "
                        "ratio 0.21).")
    assert "unknown" not in headline  # a group of 3 is never a headline
    assert not any("of 'yes'" in s for s in report["summary"])


def test_display_names_are_used_in_the_sentences():
    y, scores, status = _people({"Married-civ-spouse": (900, 0.4, 0.5), "Never-married": (900, 0.1, 0.1)})
    labels = Labels(outcome="earns over 50K", features={"marital_status": "marital status"},
                    values={"marital_status": {"Married-civ-spouse": "married", "Never-married": "never married"}})
    report = fairness_report(y, scores, pd.DataFrame({"marital_status": status}), features=["marital_status"],
                             labels=labels)
    text = " ".join(report["summary"])
    assert "people with marital status = married (900)" in text and "'earns over 50K'" in text
    assert "Married-civ-spouse" not in text and "marital_status" not in text
    assert report["labels"]["features"] == {"marital_status": "marital status"}


def test_a_sensitive_feature_used_as_an_input_and_a_close_proxy_are_named():
    rng = np.random.default_rng(0)
    race = rng.choice(["a", "b", "c"], 3000)
    zip_code = np.where(rng.random(3000) < 0.9, race, "z")  # follows race nine times in ten
    X = pd.DataFrame({"race": race, "zip": zip_code, "income": rng.normal(50, 10, 3000)})
    drivers = [{"feature": "income", "share": 0.5}, {"feature": "zip", "share": 0.3}, {"feature": "race", "share": 0.2}]
    found = sensitive_inputs(X, pd.DataFrame({"race": race}), ["race"], drivers)
    assert [(f["input"], f["kind"], f["rank"]) for f in found] == [("race", "same", 3), ("zip", "proxy", 2)]
    assert found[1]["association"] > 0.8 and found[1]["measure"] == "Cramér's V"
    assert all(f["input"] != "income" for f in found)  # unrelated to race


def test_the_fairness_summary_says_when_sensitive_features_are_inputs():
    y, scores, race = _people({"a": (500, 0.3, 0.3), "b": (500, 0.3, 0.3)})
    items = [{"sensitive": "race", "input": "race", "kind": "same", "association": 1.0, "measure": None, "rank": 3,
              "share": 0.1}]
    report = fairness_report(y, scores, pd.DataFrame({"race": race}), features=["race"], sensitive_inputs=items)
    assert "The model uses sensitive information as input: race itself, its 3rd strongest driver." in report["summary"]


def test_a_skewed_income_is_cut_at_its_quantiles_with_round_edges():
    income = np.round(np.random.default_rng(0).lognormal(10.6, 0.7, 20000), -1)
    edges = band_edges(income, min_group_size=30)
    shares = np.bincount(assign_bands(income, edges)) / len(income)
    assert len(edges) == 4 and shares.max() < 0.3  # no band holds 78% of people
    assert all(e == float(f"{e:.1g}") or e % 5000 == 0 for e in edges)  # round numbers
    labels = [b.label for b in band_labels(edges, whole=True)]
    assert labels[0] == f"under {edges[0]:,.0f}" and labels[1] == f"{edges[0]:,.0f}–{edges[1] - 1:,.0f}"
