"""Champion and challenger: two versions side by side, and the recommendation."""

from __future__ import annotations

import numpy as np
import pytest

from backend.errors import InvalidData
from backend.reports.compare import compare_versions, default_pair
from tests.factories import fairness_fail_report, put_in_production
from tests.serving_factories import canary_in_flight, log_traffic, scored_version, synthetic_traffic

COMPUTE = {"latency_p50_ms": 2.0, "latency_p95_ms": 4.0, "model_size_mb": 1.5}


def population(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Real outcomes and their true chances (skewed: one in four is a case)."""
    rng = np.random.default_rng(seed)
    risk = rng.beta(1, 3, n)
    return (rng.random(n) < risk).astype(float), risk


def noisy(risk: np.ndarray, noise: float, seed: int) -> np.ndarray:
    return np.clip(risk + np.random.default_rng(seed).normal(0, noise, len(risk)), 0, 1)


def test_same_rows_give_paired_intervals_and_a_worse_challenger_is_not_promoted(app):
    y, risk = population()
    champion = scored_version(app, y=y, scores=noisy(risk, 0.02, 1), compute=COMPUTE)
    put_in_production(app, "loan-model", champion)
    challenger = scored_version(app, y=y, scores=noisy(risk, 0.6, 2), compute=COMPUTE)
    assert default_pair(app, "loan-model") == (champion, challenger)

    result = compare_versions(app, "loan-model", champion, challenger)
    assert result.same_rows and result.rows == 600 and result.champion_role == "production"
    auc = next(m for m in result.metrics if m.name == "roc_auc")
    assert auc.difference == pytest.approx(auc.challenger - auc.champion)
    assert auc.low <= auc.difference <= auc.high < 0 and auc.verdict == "worse"
    assert all(m.low is not None for m in result.metrics)
    assert not result.recommendation.promote
    assert "worse than version 1 on ROC AUC" in " ".join(result.recommendation.reasons)


def test_an_equal_challenger_is_recommended(app):
    y, risk = population(seed=3)
    champion = scored_version(app, y=y, scores=noisy(risk, 0.05, 1), compute=COMPUTE)
    challenger = scored_version(app, y=y, scores=noisy(risk, 0.05, 2), compute=COMPUTE)
    result = compare_versions(app, "loan-model", champion, challenger)
    assert result.recommendation.promote, result.recommendation.reasons
    assert result.recommendation.headline == f"Promote version {challenger}"


def test_different_test_data_shows_each_own_figures_without_an_interval(app):
    y, risk = population()
    y2, risk2 = population(400, seed=9)
    champion = scored_version(app, y=y, scores=noisy(risk, 0.05, 1), test_sha="test-a")
    challenger = scored_version(app, y=y2, scores=noisy(risk2, 0.05, 2), test_sha="test-b")
    result = compare_versions(app, "loan-model", champion, challenger)
    assert not result.same_rows and result.rows is None
    assert "tested on different data" in result.rows_note
    auc = next(m for m in result.metrics if m.name == "roc_auc")
    assert auc.champion is not None and auc.challenger is not None
    assert auc.difference is None and auc.low is None and auc.verdict is None
    assert not result.recommendation.promote
    assert "not tested on the same rows" in result.recommendation.reasons[0]


def test_same_file_name_but_other_rows_is_not_paired(app):
    y, risk = population()
    champion = scored_version(app, y=y, scores=noisy(risk, 0.05, 1))
    challenger = scored_version(app, y=y[:500], scores=noisy(risk, 0.05, 2)[:500])
    result = compare_versions(app, "loan-model", champion, challenger)
    assert not result.same_rows and "stored test rows differ" in result.rows_note


def test_a_new_fairness_fail_means_do_not_promote_and_names_it(app):
    y, risk = population()
    champion = scored_version(app, y=y, scores=noisy(risk, 0.05, 1), fairness=fairness_fail_report(0, 3))
    challenger = scored_version(app, y=y, scores=noisy(risk, 0.05, 1), fairness=fairness_fail_report(1, 2))
    result = compare_versions(app, "loan-model", champion, challenger)
    new = [p for p in result.fairness if p.new_fail]
    assert [(p.feature, p.metric) for p in new] == [("sex", "demographic_parity_ratio")]
    assert result.recommendation.headline == f"Do not promote version {challenger}"
    assert "A new fairness fail: Demographic parity ratio for sex" in " ".join(result.recommendation.reasons)


def test_much_slower_is_a_reason_and_drivers_are_compared(app):
    y, risk = population()
    champion = scored_version(app, y=y, scores=noisy(risk, 0.05, 1), compute=COMPUTE,
                              drivers={"income": 0.6, "tenure": 0.4})
    challenger = scored_version(app, y=y, scores=noisy(risk, 0.05, 1), compute={**COMPUTE, "latency_p95_ms": 12.0},
                                drivers={"tenure": 0.7, "region": 0.3})
    result = compare_versions(app, "loan-model", champion, challenger)
    assert "Much slower" in " ".join(result.recommendation.reasons) and not result.recommendation.promote
    by_feature = {d.feature: d for d in result.drivers}
    assert by_feature["tenure"].challenger_rank == 1 and by_feature["tenure"].champion_rank == 2
    assert by_feature["income"].challenger_rank is None and by_feature["region"].champion_rank is None


def test_the_two_newest_without_production_and_one_version_is_refused(app):
    y, risk = population()
    first = scored_version(app, y=y, scores=risk)
    with pytest.raises(InvalidData, match="needs two"):
        default_pair(app, "loan-model")
    second = scored_version(app, y=y, scores=risk)
    third = scored_version(app, y=y, scores=risk)
    assert default_pair(app, "loan-model") == (second, third)
    with pytest.raises(InvalidData):
        compare_versions(app, "loan-model", first, first)


def test_a_running_canary_brings_its_live_figures(app):
    first, second = canary_in_flight(app)
    since = app.deployments.status("loan-model", live=False).canary.started_at
    log_traffic(app, "loan-model", slot="production", version=first, rows=synthetic_traffic(40, seed=1), start=since)
    log_traffic(app, "loan-model", slot="canary", version=second, rows=synthetic_traffic(30, seed=2), start=since)
    result = compare_versions(app, "loan-model", first, second)
    assert result.live is not None
    requests = {m.slot: m.requests for m in result.live.live}
    assert requests == {"production": 40, "canary": 30}
    assert not result.same_rows and "no stored test-set scores" in result.rows_note


def test_a_challenger_that_stopped_in_the_pipeline_is_not_promoted_and_says_why(app):
    y, risk = population()
    champion = scored_version(app, y=y, scores=noisy(risk, 0.05, 1))
    challenger = scored_version(app, y=y, scores=noisy(risk, 0.05, 2))
    app.registry.transition("loan-model", challenger, "failed", actor="pipeline",
                            reason="test_validation: Failed the policy gate: ROC AUC below 0.9.")
    result = compare_versions(app, "loan-model", champion, challenger, live=False)
    assert not result.recommendation.promote and result.live is None
    assert (f"Version {challenger} stopped in the pipeline: at the test validation stage, failed the policy gate: "
            "ROC AUC below 0.9."
            == result.recommendation.reasons[0])
