"""Explanations: the right explainer per family, one-hot columns folded back, additivity checked."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from backend.reports import _shap_values as shap_values_module
from backend.reports import explain_model


def _households(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature names that share prefixes and categories with underscores: a trap for name parsing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "home": rng.choice(["rent", "own", "family"], n, p=[0.5, 0.45, 0.05]).astype(object),
        "home_region": rng.choice(["north_east", "south", "west_coast", "rare_isle"], n,
                                  p=[0.4, 0.3, 0.28, 0.02]).astype(object),
        "owns_car": rng.choice(["yes", "no"], n).astype(object),
        "income": rng.normal(50, 15, n),
    })
    logit = (0.04 * (frame["income"] - 50) + np.where(frame["home"] == "own", 0.8, 0.0)
             + np.where(frame["home_region"] == "south", -0.6, 0.2) + np.where(frame["owns_car"] == "yes", 0.3, 0))
    return frame, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _linear_pipeline() -> Pipeline:
    return Pipeline([
        ("prepare", ColumnTransformer([
            # min_frequency groups 'family' and 'rare_isle' as infrequent; if_binary drops a column.
            ("category", OneHotEncoder(handle_unknown="ignore", min_frequency=40, drop="if_binary",
                                       sparse_output=False), make_column_selector(dtype_include=object)),
            ("number", StandardScaler(), make_column_selector(dtype_include="number")),
        ])),
        ("model", LogisticRegression(max_iter=1000)),
    ])


def test_one_hot_columns_are_folded_back_through_the_fitted_encoder():
    X, y = _households(1200, seed=0)
    model = _linear_pipeline().fit(X, y)
    test, _ = _households(400, seed=1)
    scores = model.predict_proba(test)[:, 1]
    report = explain_model(model, test, scores, background=X, row_cap=1000)
    assert report["explainer"] == "LinearExplainer" and report["units"] == "log-odds"
    assert set(report["features"]) == {"home", "home_region", "owns_car", "income"}
    assert report["folding"]["home_region"] == [
        "category__home_region_north_east", "category__home_region_south", "category__home_region_west_coast",
        "category__home_region_infrequent_sklearn"]
    assert report["folding"]["owns_car"] == ["category__owns_car_yes"]

    # Independent of any column mapping: a feature's folded value is how much the log-odds move
    # when it is blanked out (an unknown category, or the mean income), relative to the average move.
    def blanked_move(frame: pd.DataFrame, feature: str) -> np.ndarray:
        blank = frame.copy()
        blank[feature] = X["income"].mean() if feature == "income" else "never-seen"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the unknown category is the point
            return model.decision_function(frame) - model.decision_function(blank)

    for entry in report["global"]:
        feature = entry["feature"]
        expected = blanked_move(test, feature) - blanked_move(X, feature).mean()
        assert entry["importance"] == pytest.approx(np.abs(expected).mean(), rel=1e-9, abs=1e-12), feature
        assert entry["mean_effect"] == pytest.approx(expected.mean(), rel=1e-9, abs=1e-12), feature
    assert sum(e["share"] for e in report["global"]) == pytest.approx(1.0)


def test_tree_ensemble_uses_tree_explainer_without_background_and_adds_up(adult, adult_boosting):
    model, scores = adult_boosting
    report = explain_model(model, adult.test.X, scores, background=adult.train.X, positive_label=">50K")
    assert report["explainer"] == "TreeExplainer" and "no background set" in report["explainer_reason"]
    assert report["units"] == "log-odds"
    assert report["additivity"]["max_abs_error"] < 1e-8 and report["additivity"]["ok"]
    assert set(report["features"]) == set(adult.test.X.columns)  # original names, not one-hot columns
    importances = [e["importance"] for e in report["global"]]
    assert importances == sorted(importances, reverse=True)
    assert report["rows_explained"] == 2000 and report["sampled"]
    assert report["notes"][0] == ("The test set has 16,281 rows; a fixed random sample of 2,000 of them (seed 0) "
                                  "was explained, so the same model always gets the same report.")
    top = report["effects"][0]
    assert top["feature"] == report["global"][0]["feature"] and top["by_value"] and len(top["points"]) == 200
    spread = report["global"][0]["spread"]
    assert spread["p5"] <= spread["p25"] <= spread["p50"] <= spread["p75"] <= spread["p95"]
    assert 3 <= len(report["summary"]) <= 5


def test_cases_run_from_the_base_rate_to_the_score(adult, adult_boosting):
    model, scores = adult_boosting
    report = explain_model(model, adult.test.X, scores, row_cap=300, positive_label=">50K")
    kinds = [c["kind"] for c in report["cases"]]
    assert kinds == ["clearly_positive"] * 2 + ["clearly_negative"] * 2 + ["borderline"] * 2
    assert report["cases"][0]["title"] == "Clear case predicted '>50K'"
    by_kind = {k: [c["score"] for c in report["cases"] if c["kind"] == k] for k in set(kinds)}
    assert min(by_kind["clearly_positive"]) > max(by_kind["borderline"]) > max(by_kind["clearly_negative"])
    assert all(abs(s - 0.5) < 0.05 for s in by_kind["borderline"])
    for case in report["cases"]:
        effects = sum(c["effect"] for c in case["contributions"]) + case["other"]["effect"]
        assert effects == pytest.approx(case["output_value"] - case["base_value"], abs=1e-9)
        points = sum(c["effect_points"] for c in case["contributions"]) + case["other"]["effect_points"]
        assert points == pytest.approx(case["score"] - case["base_score"], abs=1e-6)
        assert case["score"] == pytest.approx(scores[case["row"]])
        assert len(case["contributions"]) == 8 and case["other"]["features"] == len(adult.test.X.columns) - 8


def test_additivity_error_is_measured_not_assumed(adult, adult_boosting, monkeypatch):
    model, scores = adult_boosting
    original = shap_values_module._positive_output

    def off_by_a_bit(values, base):
        v, b = original(values, base)
        return v + 0.01, b

    monkeypatch.setattr(shap_values_module, "_positive_output", off_by_a_bit)
    report = explain_model(model, adult.test.X.head(200), scores[:200])
    columns = sum(len(v) for v in report["folding"].values())  # every transformed column is off by 0.01
    assert report["additivity"]["max_abs_error"] == pytest.approx(0.01 * columns, rel=1e-6)
    assert not report["additivity"]["ok"]


def test_case_titles_follow_the_decision_not_only_the_rank():
    from backend.reports._explain import _case_title

    assert _case_title("clearly_positive", "classification", "bad", 0.8) == "Clear case predicted 'bad'"
    assert _case_title("clearly_positive", "classification", "bad", 0.47) == "Highest score, still not predicted 'bad'"
    assert _case_title("clearly_negative", "classification", "bad", 0.6) == "Lowest score, still predicted 'bad'"


def test_rows_beyond_the_cap_are_sampled_and_the_report_says_so(adult, adult_logistic):
    model, scores = adult_logistic
    report = explain_model(model, adult.test.X, scores, background=adult.train.X, row_cap=500)
    assert report["explainer"] == "LinearExplainer"
    assert (report["rows_explained"], report["test_rows"], report["row_cap"]) == (500, 16281, 500)
    assert "a fixed random sample of 500 of them (seed 0)" in report["notes"][0]
    assert any("a fixed sample of 500 of the 16,281 test rows (drawn with seed 0" in s for s in report["summary"])


def test_the_same_model_gets_the_same_report(adult, adult_boosting):
    model, scores = adult_boosting
    first = explain_model(model, adult.test.X, scores, row_cap=300)
    second = explain_model(model, adult.test.X, scores, row_cap=300)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    other_seed = explain_model(model, adult.test.X, scores, row_cap=300, seed=1)
    assert other_seed["global"] != first["global"]  # the seed, not the clock, picks the rows


def test_a_costly_forest_explains_a_fixed_smaller_sample_set_by_its_size(adult, adult_boosting, monkeypatch):
    model, scores = adult_boosting
    import shap

    work = shap_values_module.tree_work_per_row(shap.TreeExplainer(model[-1]))
    monkeypatch.setattr(shap_values_module, "TREE_WORK", work * 150)  # affords 150 rows, whatever the machine
    report = explain_model(model, adult.test.X, scores, row_cap=2000)
    assert report["rows_explained"] == 150 and report["sampled"]
    assert any("a fixed sample of 150 rows is explained (set by the model's size, never by the clock" in n
               for n in report["notes"])
    again = explain_model(model, adult.test.X, scores, row_cap=2000)
    assert again["global"] == report["global"]


def test_two_identical_rows_are_one_case_not_two():
    X, y = _households(400, seed=4)
    model = _linear_pipeline().fit(X, y)
    test = pd.concat([X.head(50), X.head(50)], ignore_index=True)  # every row twice
    report = explain_model(model, test, model.predict_proba(test)[:, 1], background=X)
    rows = [test.iloc[c["row"]].tolist() for c in report["cases"]]
    assert len(rows) == len({tuple(map(str, r)) for r in rows}) == 6


def test_other_models_get_a_permutation_explainer():
    X, y = _households(600, seed=2)
    model = Pipeline([("prepare", _linear_pipeline()[0]), ("model", KNeighborsClassifier(15))]).fit(X, y)
    test = X.head(60)
    report = explain_model(model, test, model.predict_proba(test)[:, 1], background=X)
    assert report["explainer"] == "PermutationExplainer"
    assert "50 background rows" in report["explainer_reason"]
    assert report["units"] == "probability" and report["additivity"]["max_abs_error"] < 1e-6
    assert set(report["features"]) == {"home", "home_region", "owns_car", "income"}


def test_a_model_no_explainer_supports_is_reported_and_the_report_still_written():
    X, y = _households(200, seed=3)
    model = DummyClassifier(strategy="prior").fit(X, y)  # takes the raw text columns as they are
    report = explain_model(model, X, model.predict_proba(X)[:, 1])
    assert report["explainer"] is None and report["global"] == [] and report["cases"] == []
    reason = report["not_computed"][0]["reason"]
    assert reason.startswith("No explainer supports DummyClassifier as built: it receives text columns "
                             "(home, home_region, owns_car)")
    assert report["summary"][0] == "No explanations could be computed for this model."
    assert 3 <= len(report["summary"]) <= 5
