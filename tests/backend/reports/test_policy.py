"""Fairness thresholds in the spec and policy, and where in the pipeline they are judged."""

from __future__ import annotations

import pytest

from backend.errors import InvalidSpec, InvalidTransition
from backend.metrics import FAIRNESS_METRICS, GROUP_METRICS, METRICS
from backend.pipeline.gates import evaluate_gates
from backend.pipeline.spec import load_spec
from backend.registry.states import State, check_transition
from tests.factories import EXAMPLES, write_spec


def test_organisation_defaults():
    policy = load_spec(EXAMPLES / "income-propensity" / "greenlight.toml").policy
    assert policy["fairness"] == {"min": {"demographic_parity_ratio": 0.8},
                                  "max": {"demographic_parity_difference": 0.1, "equalized_odds_difference": 0.1},
                                  "min_group_size": 30, "blocks": False}
    assert not set(policy["gates"]["min"]) & set(FAIRNESS_METRICS)
    assert not set(policy["gates"]["max"]) & set(FAIRNESS_METRICS)


def test_spec_overrides_in_gates(tmp_path):
    path = write_spec(tmp_path, gates=(
        "[gates]\nmin = { roc_auc = 0.7, demographic_parity_ratio = 0.9 }\n"
        "max = { equalized_odds_difference = 0.05 }\nmin_group_size = 50\nfairness_blocks = true\n"))
    policy = load_spec(path).policy
    assert policy["gates"]["min"] == {"roc_auc": 0.7}
    assert policy["fairness"] == {"min": {"demographic_parity_ratio": 0.9},
                                  "max": {"demographic_parity_difference": 0.1, "equalized_odds_difference": 0.05},
                                  "min_group_size": 50, "blocks": True}


@pytest.mark.parametrize(("gates", "message"), [
    ("min = { demographic_parity_difference = 0.1 }",
     "[gates].min.demographic_parity_difference belongs under [gates].max: a lower demographic parity difference "
     "is fairer"),
    ("max = { demographic_parity_ratio = 0.8 }",
     "[gates].max.demographic_parity_ratio belongs under [gates].min: a higher demographic parity ratio is fairer"),
    ("max = { equalized_odds_difference = 1.5 }", "[gates].max.equalized_odds_difference must be between 0 and 1"),
    ("min_group_size = 0", "[gates].min_group_size must be a whole number of people, at least 1"),
    ("min_group_size = 12.5", "[gates].min_group_size must be a whole number of people, at least 1"),
    ("fairness_blocks = \"yes\"", "[gates].fairness_blocks must be true or false"),
])
def test_bad_fairness_settings_are_named(tmp_path, gates, message):
    path = write_spec(tmp_path, gates=f"[gates]\n{gates}\n")
    with pytest.raises(InvalidSpec) as caught:
        load_spec(path)
    assert message in caught.value.message


def test_fairness_thresholds_do_not_apply_to_regression(tmp_path):
    path = write_spec(tmp_path, task="regression", positive_label=None,
                      gates="[gates]\nmax = { demographic_parity_difference = 0.1 }\n")
    with pytest.raises(InvalidSpec, match="does not apply to regression models"):
        load_spec(path)


def test_test_validation_gates_never_judge_fairness():
    gates = {"min": {"roc_auc": 0.8, "demographic_parity_ratio": 0.8}, "max": {"equalized_odds_difference": 0.1}}
    verdicts = evaluate_gates(gates, {"roc_auc": 0.9})
    assert [v["metric"] for v in verdicts] == ["roc_auc"]


def test_every_fairness_and_group_metric_is_explained_in_one_line():
    for info in [METRICS[name] for name in FAIRNESS_METRICS] + list(GROUP_METRICS.values()):
        assert info.explanation and "\n" not in info.explanation and info.explanation.endswith((".", ")"))
    assert set(FAIRNESS_METRICS) == {"demographic_parity_difference", "demographic_parity_ratio",
                                     "equalized_odds_difference"}


def test_reports_sit_between_checks_and_validation():
    check_transition(State.CHECKED, State.REPORTED)
    check_transition(State.REPORTED, State.VALIDATED)
    with pytest.raises(InvalidTransition, match="'checked' cannot move to 'validated'"):
        check_transition(State.CHECKED, State.VALIDATED)
