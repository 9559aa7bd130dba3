"""The canary judge on constructed traffic: what it says, and why, on cases whose answer is known.

Traffic is written to a real prediction log the way a gateway writes it, and read back by the
same code the service uses, so these cases also cover the window, the slot and version
filters and the outcome join.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from backend.deployment.judge import SideSample, judge, psi, slot_metrics
from backend.deployment.window import read_sides
from backend.registry.prediction_log import PredictionLog
from tests.serving_factories import log_traffic, synthetic_traffic

MODEL = "loan-model"


class _Store:
    """Just enough of an app for ``log_traffic``: where the log lives."""

    def __init__(self, root):
        self.settings = type("S", (), {"artifacts_dir": root})()


@pytest.fixture
def store(tmp_path):
    return _Store(tmp_path / "artifacts")


def _judged(store, canary_rows, production_rows, *, min_requests=500, outcomes=False, since=None, **options):
    started = since or datetime.now(UTC) - timedelta(hours=1)
    log_traffic(store, MODEL, slot="canary", version=2, rows=canary_rows, outcomes=outcomes)
    log_traffic(store, MODEL, slot="production", version=1, rows=production_rows, outcomes=outcomes)
    canary, production = read_sides(PredictionLog(str(store.settings.artifacts_dir)), MODEL, start=started,
                                    end=datetime.now(UTC), canary_version=2, production_version=1,
                                    positive_label="yes")
    return judge(canary, production, min_requests=min_requests, **options)


def _status(judgement):
    return {c.name: c.status for c in judgement.checks}


def test_identical_models_pass(store):
    result = _judged(store, synthetic_traffic(600, seed=1), synthetic_traffic(5_000, seed=2), outcomes=True)
    assert result.verdict == "pass" and not result.critical_failure
    assert _status(result) == {"errors": "pass", "latency": "pass", "score_shift": "pass", "quality": "pass"}
    assert result.headline == ("Pass: the canary (version 2) serves as well as production (version 1), over 600 "
                               "predictions by the canary and 5,000 by production.")
    assert any(r.startswith("Quality, on 600 and 5,000 outcomes: its scores separate the outcomes with a ROC AUC")
               for r in result.reasons)


def test_a_degraded_canary_fails_without_rolling_back_by_itself(store):
    # A much noisier model: it errs no more and is as fast, but decides worse.
    result = _judged(store, synthetic_traffic(2_000, seed=1, noise=0.4), synthetic_traffic(5_000, seed=2),
                     outcomes=True)
    assert result.verdict == "fail" and not result.critical_failure
    assert _status(result)["quality"] == "fail" and _status(result)["errors"] == "pass"
    assert "it decides worse on the outcomes that arrived" in result.headline
    assert "A person decides: roll it back, or an admin promotes it with a written reason." in result.headline
    quality = next(c for c in result.checks if c.name == "quality")
    assert quality.details["accuracy"]["high"] < 0 and quality.details["roc_auc"]["high"] < 0
    assert result.reasons[0].startswith(("Quality", "Scores")), "the failures come first"


def test_a_slow_canary_fails_critically(store):
    result = _judged(store, synthetic_traffic(600, seed=1, latency_ms=8), synthetic_traffic(5_000, seed=2))
    assert result.verdict == "fail" and result.critical_failure
    assert result.headline.startswith("Fail: the canary (version 2) is much slower than production (version 1)")
    latency = next(c for c in result.checks if c.name == "latency")
    assert latency.status == "fail" and latency.canary == pytest.approx(8, rel=0.1)


def test_slowness_test_validation_already_measured_is_not_a_failure(store):
    result = _judged(store, synthetic_traffic(600, seed=1, latency_ms=8), synthetic_traffic(5_000, seed=2),
                     expected_extra_latency_ms=7.0)
    assert result.verdict == "pass"
    assert "test validation had measured this version 7.00 ms slower per row" in next(
        c.summary for c in result.checks if c.name == "latency")


def test_too_little_traffic_keeps_waiting(store):
    result = _judged(store, synthetic_traffic(120, seed=1), synthetic_traffic(5_000, seed=2))
    assert result.verdict == "wait" and not result.critical_failure
    assert result.headline == ("Keep waiting: the canary (version 2) has served 120 of the 500 predictions the policy "
                               "asks for before a verdict. Nothing so far points to a problem.")
    assert _status(result)["errors"] == "wait" and _status(result)["quality"] == "not_judged"


def test_a_handful_of_requests_says_nothing_at_all(tmp_path):
    empty = SideSample(slot="canary", version=2, latency_ms=np.ones(3), error=np.zeros(3, bool), score=np.ones(3) / 2)
    result = judge(empty, empty, min_requests=500)
    assert result.verdict == "wait" and result.checks == ()
    assert "the canary (version 2) has served 3 predictions" in result.headline


def test_an_error_spike_fails_at_once_even_before_min_requests(store):
    result = _judged(store, synthetic_traffic(100, seed=1, error_rate=0.2), synthetic_traffic(5_000, seed=2))
    assert result.verdict == "fail" and result.critical_failure
    assert result.headline.startswith("Fail: the canary (version 2) fails requests far more often")
    errors = next(c for c in result.checks if c.name == "errors")
    assert errors.summary.startswith("Errors: ") and "of the canary's predictions failed" in errors.summary
    assert errors.p_value < 0.001


def test_an_error_blip_within_the_tolerance_passes(store):
    canary = synthetic_traffic(600, seed=1)
    canary[7] = {**canary[7], "score": None, "decision": None, "error": "a missing value"}
    result = _judged(store, canary, synthetic_traffic(5_000, seed=2))
    assert result.verdict == "pass"
    assert next(c for c in result.checks if c.name == "errors").canary == pytest.approx(1 / 600)


def test_a_large_score_shift_without_outcomes_fails_for_a_person_to_decide(store):
    result = _judged(store, synthetic_traffic(600, seed=1, score_bias=0.3), synthetic_traffic(5_000, seed=2))
    assert result.verdict == "fail" and not result.critical_failure
    shift = next(c for c in result.checks if c.name == "score_shift")
    assert shift.status == "fail" and shift.canary > 0.25
    assert "no outcomes yet show that it decides as well" in shift.summary


def test_the_window_counts_only_this_canary_and_this_production(store):
    log = PredictionLog(str(store.settings.artifacts_dir))
    now = datetime.now(UTC)
    started = now - timedelta(minutes=30)
    log_traffic(store, MODEL, slot="production", version=1, rows=synthetic_traffic(50, seed=3),
                start=started - timedelta(hours=2), end=started - timedelta(minutes=1))  # before the canary
    log_traffic(store, MODEL, slot="production", version=7, rows=synthetic_traffic(40, seed=4), minutes=10)
    log_traffic(store, MODEL, slot="test", version=2, rows=synthetic_traffic(30, seed=5), minutes=10)
    ids = log_traffic(store, MODEL, slot="canary", version=2, rows=synthetic_traffic(20, seed=6), minutes=10)
    log_traffic(store, MODEL, slot="production", version=1, rows=synthetic_traffic(25, seed=7), minutes=10)
    # An outcome sent twice: the second one replaces the first.
    log.write_feedback(MODEL, [{"request_id": ids[0], "ts": now, "outcome": "no", "simulated": False},
                               {"request_id": ids[0], "ts": now + timedelta(seconds=1), "outcome": "yes",
                                "simulated": False}])
    canary, production = read_sides(log, MODEL, start=started, end=now + timedelta(seconds=5), canary_version=2,
                                    production_version=1, positive_label="yes")
    assert (canary.requests, production.requests) == (20, 25)
    assert canary.simulated == 20 and list(canary.outcome) == [1.0]
    figures = slot_metrics(canary)
    assert (figures.slot, figures.version, figures.requests, figures.outcomes, figures.errors) == ("canary", 2, 20, 1, 0)


def test_regression_quality_compares_the_average_error(store):
    rng = np.random.default_rng(0)

    def side(slot, version, n, noise):
        truth = rng.normal(100, 10, n)
        guess = truth + rng.normal(0, noise, n)
        return SideSample(slot=slot, version=version, latency_ms=np.ones(n), error=np.zeros(n, bool), score=guess,
                          outcome=truth, outcome_score=guess)

    result = judge(side("canary", 2, 800, 8.0), side("production", 1, 3_000, 2.0), min_requests=500, task="regression")
    quality = next(c for c in result.checks if c.name == "quality")
    assert quality.status == "fail" and quality.details["metric"] == "mae"
    assert quality.summary.startswith("Quality, on 800 and 3,000 outcomes: its average error is")


def test_the_stability_index_is_near_zero_for_the_same_distribution_and_large_for_another():
    rng = np.random.default_rng(1)
    same = psi(rng.beta(2, 3, 5_000), rng.beta(2, 3, 5_000))
    moved = psi(rng.beta(2, 3, 5_000), rng.beta(5, 2, 5_000))
    assert same < 0.02 and moved > 1.0
    assert psi(np.full(100, 0.5), np.full(100, 0.5)) == pytest.approx(0.0)
