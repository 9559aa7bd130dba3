"""The spec form's answers become a greenlight.toml that the CLI's own validator accepts, and a
bad answer is refused by that validator with the field it names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.errors import InvalidSpec
from backend.onboarding import SpecAnswers, spec_from_answers
from backend.pipeline.spec import load_spec

GOOD = SpecAnswers(
    name="churn-risk", title="Customer churn risk", description="Who may leave within a year.",
    owner="customer-analytics", risk_tier="high", task="classification", train="data/train.csv",
    test="data/test.parquet", target="churned", positive_label="yes", sensitive_features="sex, age band",
    factory="model:build", gates="roc_auc >= 0.75; model_size_mb <= 20, equalized_odds_difference <= 0.08",
    outcome="leaves within a year", subjects="customers",
    feature_names="tenure_months = months as a customer\n\n\"odd\" column = An [odd] name")


def test_the_answers_become_a_spec_the_cli_loads_with_every_label(tmp_path):
    draft = spec_from_answers(GOOD)
    assert draft.valid, draft.problems
    (tmp_path / "greenlight.toml").write_text(draft.toml)
    spec = load_spec(tmp_path / "greenlight.toml")  # what `greenlight pipeline run` reads first
    assert (spec.model.name, spec.model.title, spec.model.owner, spec.model.risk_tier) == (
        "churn-risk", "Customer churn risk", "customer-analytics", "high")
    assert spec.data.train == tmp_path / "data" / "train.csv" and spec.data.test.name == "test.parquet"
    assert (spec.data.target, spec.data.positive_label) == ("churned", "yes")
    assert spec.data.sensitive_features == ("sex", "age band")
    assert spec.factory == "model:build"
    assert spec.declared_policy["gates"] == {"min": {"roc_auc": 0.75},
                                             "max": {"model_size_mb": 20.0, "equalized_odds_difference": 0.08}}
    assert spec.labels == {"outcome": "leaves within a year", "subjects": "customers",
                           "features": {"tenure_months": "months as a customer", '"odd" column': "An [odd] name"}}


def test_text_with_quotes_backslashes_line_breaks_and_control_characters_survives_as_typed(tmp_path):
    title = 'The "best" model \\ for C:\\temp, naïve — ok\u007f'
    description = "Line one\nline two\ttabbed"
    draft = spec_from_answers(replace(GOOD, title=title, description=description))
    assert draft.valid, draft.problems
    (tmp_path / "greenlight.toml").write_text(draft.toml)
    spec = load_spec(tmp_path / "greenlight.toml")
    assert (spec.model.title, spec.model.description) == (title, description)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": "Churn Risk"}, "model.name", "[model].name 'Churn Risk' must use lowercase letters"),
    ({"title": "   "}, "model.title", "[model].title is missing"),
    ({"target": ""}, "data.target", "[data].target is missing"),
    ({"train": "data/train.xlsx"}, "data.train", "[data].train 'data/train.xlsx' must be a CSV"),
    ({"factory": "model.build"}, "estimator.factory", "[estimator].factory 'model.build' must look like"),
    ({"gates": "roc_auc >= 0.7, recall > 0.3"}, "gates", "'recall > 0.3' is not a gate"),
    ({"gates": "latency >= 3"}, "gates", "[gates].min.latency is not a metric Greenlight measures"),
    ({"gates": "demographic_parity_ratio <= 0.8"}, "gates",
     "[gates].max.demographic_parity_ratio belongs under [gates].min"),
    ({"gates": "rmse <= 3"}, "gates", "[gates].max.rmse does not apply to classification models"),
    ({"feature_names": "tenure months as a customer"}, "labels.features", "is not a display name"),
])
def test_a_bad_answer_is_refused_naming_its_field(tmp_path, change, field, words):
    draft = spec_from_answers(replace(GOOD, **change))
    assert not draft.valid
    assert list(draft.problems) == [field]
    assert any(words in problem for problem in draft.problems[field]), draft.problems
    if field != "labels.features" and "is not a gate" not in words:
        # The same sentence from the CLI's loader, which refuses the same file.
        (tmp_path / "greenlight.toml").write_text(draft.toml)
        with pytest.raises(InvalidSpec) as refused:
            load_spec(tmp_path / "greenlight.toml")
        assert words in refused.value.message


def test_an_empty_form_names_every_missing_answer():
    draft = spec_from_answers(SpecAnswers())
    assert draft.problems == {"model.name": ("[model].name is missing",), "model.title": ("[model].title is missing",),
                              "model.owner": ("[model].owner is missing",), "data.target": ("[data].target is missing",)}


def test_a_regression_spec_leaves_out_the_positive_label():
    draft = spec_from_answers(replace(GOOD, task="regression", positive_label="yes", gates="rmse <= 3"))
    assert draft.valid, draft.problems
    assert "positive_label" not in draft.toml
