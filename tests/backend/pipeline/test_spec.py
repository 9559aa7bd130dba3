"""The spec file: the shape teams write by hand, and a clear error for each mistake."""

from __future__ import annotations

import pytest

from backend.errors import InvalidSpec
from backend.pipeline.spec import load_spec
from tests.factories import EXAMPLES, write_spec


@pytest.mark.parametrize("example", ["income-propensity", "credit-risk"])
def test_example_specs_load(example):
    spec = load_spec(EXAMPLES / example / "greenlight.toml")
    assert spec.model.name == example
    assert spec.data.train.is_file() and spec.data.test.is_file()
    assert spec.factory == "model:build"
    assert spec.sha256.startswith("sha256:")


def test_policy_merges_spec_over_organisation_defaults():
    spec = load_spec(EXAMPLES / "income-propensity" / "greenlight.toml")
    gates = spec.policy["gates"]
    assert gates["min"] == {"roc_auc": 0.85}
    assert gates["max"] == {"model_size_mb": 100.0}  # tighter than the default 500; latency is not gated
    assert spec.policy["signoff"]["roles"] == ["business_owner", "risk"]
    assert spec.policy["canary"] == {"traffic_percent": 10, "min_requests": 500}


def test_signoff_roles_default_by_risk_tier(tmp_path):
    path = write_spec(tmp_path, risk_tier="high")
    assert load_spec(path).policy["signoff"]["roles"] == ["business_owner", "risk", "compliance"]


def _problem(tmp_path, text: str) -> str:
    path = tmp_path / "greenlight.toml"
    path.write_text(text)
    with pytest.raises(InvalidSpec) as caught:
        load_spec(path)
    assert caught.value.code == "invalid_spec"
    assert caught.value.exit_code == 2
    return caught.value.message


def test_spec_that_does_not_parse(tmp_path):
    message = _problem(tmp_path, "[model]\nname = \n")
    assert "greenlight.toml is not valid TOML" in message
    assert "line 2" in message


def test_spec_without_target_names_the_field(tmp_path):
    path = write_spec(tmp_path)
    text = path.read_text().replace('target = "label"\n', "")
    message = _problem(tmp_path, text)
    assert "[data].target is missing" in message


def test_unknown_gate_metric_is_an_error(tmp_path):
    path = write_spec(tmp_path, gates="[gates]\nmin = { roc_aux = 0.8 }\n")
    message = _problem(tmp_path, path.read_text())
    assert "[gates].min.roc_aux is not a metric Greenlight measures" in message
    assert "roc_auc" in message  # the list of known names helps fix the typo


def test_gate_metric_of_the_other_task(tmp_path):
    path = write_spec(tmp_path, task="regression", positive_label=None, gates="[gates]\nmin = { roc_auc = 0.8 }\n")
    assert "does not apply to regression models" in _problem(tmp_path, path.read_text())


def test_every_problem_is_reported_at_once(tmp_path):
    text = """
[model]
name = "Bad Name"
title = "t"
owner = "o"
risk_tier = "extreme"
task = "classification"

[data]
train = "train.xlsx"
test = "test.csv"
target = "y"

[estimator]
factory = "not a factory"

[canary]
traffic_percent = 90
"""
    message = _problem(tmp_path, text)
    assert "has 5 problems" in message
    for fragment in ("[model].name 'Bad Name'", "[model].risk_tier is 'extreme'", "[data].train 'train.xlsx'",
                     "[estimator].factory 'not a factory'", "[canary].traffic_percent"):
        assert fragment in message


def test_unknown_section_and_field(tmp_path):
    path = write_spec(tmp_path)
    message = _problem(tmp_path, path.read_text() + "\n[deploy]\nx = 1\n")
    assert "[deploy] is not a known section" in message
    message = _problem(tmp_path, path.read_text().replace('owner = "test-team"', 'owner = "t"\nowner_email = "x"'))
    assert "[model].owner_email is not a known field" in message


def test_missing_spec_file(tmp_path):
    with pytest.raises(InvalidSpec, match="does not exist"):
        load_spec(tmp_path / "nope.toml")


def test_positive_label_is_for_classification_only(tmp_path):
    path = write_spec(tmp_path, task="regression")
    assert "positive_label only applies to classification" in _problem(tmp_path, path.read_text())


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "admin"])
def test_builtin_roles_are_not_reviewers(tmp_path, role):
    path = write_spec(tmp_path, gates=f'[signoff]\nroles = ["{role}"]')
    with pytest.raises(InvalidSpec) as caught:
        load_spec(path)
    assert caught.value.exit_code == 2
    assert f"[signoff].roles: '{role}' is not a reviewer role" in caught.value.message


def test_labels_give_display_names_for_features_values_and_the_outcome(tmp_path):
    path = write_spec(tmp_path)
    path.write_text(path.read_text() + '\n[labels]\noutcome = "renews"\nsubjects = "customers"\n'
                    '[labels.features]\nmarital_status = "Marital status"\n'
                    '[labels.values.marital_status]\n"Married-civ-spouse" = "Married"\n')
    labels = load_spec(path).labels
    assert labels == {"outcome": "renews", "subjects": "customers",
                      "features": {"marital_status": "Marital status"},
                      "values": {"marital_status": {"Married-civ-spouse": "Married"}}}


@pytest.mark.parametrize(("text", "problem"), [
    ('[labels]\ncolour = "x"\n', "[labels].colour is not a known field"),
    ('[labels]\noutcome = ""\n', "[labels].outcome must be a non-empty text"),
    ('[labels.features]\nsex = 1\n', "[labels.features] must map column names to display names"),
    ('[labels.values]\nsex = "x"\n', "[labels.values.<column>] must map raw values to display names"),
])
def test_bad_labels_are_named(tmp_path, text, problem):
    path = write_spec(tmp_path)
    path.write_text(path.read_text() + "\n" + text)
    with pytest.raises(InvalidSpec) as caught:
        load_spec(path)
    assert problem in caught.value.message
