"""Test validation through a real scoring gateway: deployed to its test slot, the same scores
as the pipeline's, latency and throughput measured through HTTP."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backend.deployment.server import local_gateway
from backend.pipeline import run_pipeline
from backend.pipeline import test_environment as environment_module
from backend.pipeline.test_environment import ServingTestEnvironment
from backend.registry.prediction_log import PredictionLog
from tests.factories import LOGISTIC_FACTORY, person, synthetic_classification, write_spec


@pytest.fixture
def small_spec(tmp_path):
    folder = tmp_path / "spec"
    folder.mkdir()
    synthetic_classification(300, seed=1).to_csv(folder / "train.csv", index=False)
    test = synthetic_classification(120, seed=2)
    test.loc[5, "region"] = None  # a missing category travels as null and scores the same
    test.to_csv(folder / "test.csv", index=False)
    (folder / "model.py").write_text(LOGISTIC_FACTORY)
    return write_spec(folder, name="env-model")


def _validation(result):
    return next(s for s in result.stages if s.stage == "test_validation")


def test_the_version_is_served_from_the_test_slot_with_the_pipelines_scores(sqlite_app, small_spec):
    app = sqlite_app
    result = run_pipeline(app, small_spec, actor=person(app, "dana"))
    assert result.passed, result.reason
    stage = _validation(result)
    environment = stage.evidence["test_environment"]
    assert environment["scores_checked_rows"] == 120 and environment["max_score_difference"] <= 1e-9
    assert environment["gateway"] == "started on loopback for this run"
    compute = stage.evidence["compute"]
    assert environment_module.MIN_LATENCY_CALLS <= compute["latency_calls"] <= environment_module.LATENCY_CALLS
    for key in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "throughput_requests_per_s"):
        assert compute[key] > 0, key
    assert compute["latency_p50_ms"] <= compute["latency_p95_ms"] <= compute["latency_p99_ms"]
    assert app.registry.serving_state("env-model").test == result.version
    assert "throughput_requests_per_s" in app.registry.get_version("env-model", result.version).metrics
    # The gateway's requests are in the prediction log, marked as the test slot's.
    log = PredictionLog(app.artifacts.root).read("predictions", "env-model", columns=["slot", "version"])
    assert set(log.column("slot").to_pylist()) == {"test"} and set(log.column("version").to_pylist()) == {1}


def test_a_configured_gateway_is_used(sqlite_app, small_spec):
    app = sqlite_app
    with local_gateway(app.settings, refresh_seconds=0.2) as url:
        configured = App_with_gateway(app, url)
        result = run_pipeline(configured, small_spec, actor=person(app, "dana"))
    assert result.passed, result.reason
    assert _validation(result).evidence["test_environment"]["gateway"] == url


def App_with_gateway(app, url):  # noqa: N802  (reads like the app it returns)
    from backend.app import App

    return App(**{**app.__dict__, "settings": replace(app.settings, gateway_url=url)})


def test_scores_that_differ_from_the_pipelines_fail_the_stage(sqlite_app, small_spec, monkeypatch):
    measure = ServingTestEnvironment.measure
    # As if the model behind the gateway were not the one the pipeline measured.
    monkeypatch.setattr(ServingTestEnvironment, "measure", lambda self, scores: measure(self, np.asarray(scores) + 0.01))
    result = run_pipeline(sqlite_app, small_spec, actor=person(sqlite_app, "dana"))
    assert not result.passed and result.failed_stage == "test_validation"
    assert "The test environment's scores differ from the pipeline's on the same rows: 120 of 120 rows" in result.reason
    assert "The model that serves is not the model that was measured" in result.reason
    assert sqlite_app.registry.get_version("env-model", result.version).state == "failed"


class _CountingClient:
    def __init__(self):
        self.calls = 0

    def predict(self, name, records, slot):
        self.calls += 1
        return {"version": 1, "predictions": [{"score": 0.5}]}


@pytest.mark.parametrize("budget, expected", [(0.0, "minimum"), (3600.0, "all")])
def test_latency_stops_at_its_time_budget_once_the_minimum_is_in(monkeypatch, budget, expected):
    """A slow model is measured over fewer requests, never fewer than the minimum; the evidence
    says how many."""
    monkeypatch.setattr(environment_module, "LATENCY_BUDGET_S", budget)
    client = _CountingClient()
    ctx = type("Ctx", (), {"name": "m"})()
    measured = environment_module._latency(client, ctx, [{"x": 1}])
    sent = {"minimum": environment_module.MIN_LATENCY_CALLS, "all": environment_module.LATENCY_CALLS}[expected]
    assert measured["latency_calls"] == sent
    assert client.calls == sent + environment_module.WARM_UP_CALLS
