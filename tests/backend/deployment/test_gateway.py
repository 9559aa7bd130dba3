"""The scoring gateway's HTTP contract: scores, slots, validation, errors, tokens, the log."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from backend.governance.accounts import operator
from backend.registry.schema import apply_schema
from tests.factories import synthetic_classification, trained_version

ROW = {"income": 61.5, "tenure": 12, "region": "north"}


def _wait(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the gateway did not follow the change in time"
        time.sleep(0.05)


def test_predict_scores_with_production_and_says_who_served(app, loan_in_production, http, gateway):
    answer = http.post("/v1/models/loan-model/predict", json={"rows": [ROW]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == loan_in_production and body["slot"] == "production" and body["model"] == "loan-model"
    [row] = body["predictions"]
    assert row["request_id"] == body["request_id"] and row["error"] is None
    # The same score as the stored model on the same row, typed as in training.
    served = gateway.table.slots("loan-model").served["production"]
    expected = served.loaded.score(pd.DataFrame([ROW]))[0]
    assert row["score"] == pytest.approx(expected, abs=1e-12)
    assert row["decision"] == ("yes" if expected >= 0.5 else "no")


def test_many_rows_each_get_an_id_and_missing_values_are_allowed(app, loan_in_production, http):
    frame = synthetic_classification(30, seed=5).drop(columns="label")
    rows = frame.to_dict(orient="records")
    rows[3]["region"] = None
    body = http.post("/v1/models/loan-model/predict", json={"rows": rows}).json()
    ids = [p["request_id"] for p in body["predictions"]]
    assert len(set(ids)) == 30 and all(i.startswith(body["request_id"]) for i in ids)
    assert all(p["score"] is not None for p in body["predictions"])


def test_a_missing_or_mistyped_feature_is_a_422_naming_it(app, loan_in_production, http):
    answer = http.post("/v1/models/loan-model/predict", json={"rows": [{"income": 50, "region": "north"}]})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "rows", 0, "tenure"] and "tenure" in problem["msg"] and "missing" in problem["msg"]

    answer = http.post("/v1/models/loan-model/predict",
                       json={"rows": [ROW, {**ROW, "income": "a lot"}, {**ROW, "region": {"x": 1}}]})
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert [p["loc"][2:] for p in problems] == [[1, "income"], [2, "region"]]
    assert "expects a number" in problems[0]["msg"] and "'a lot'" in problems[0]["msg"]
    assert "expects a category" in problems[1]["msg"]

    # Numbers written as text, as CSV exports do, are numbers; an empty body is refused by the schema.
    assert http.post("/v1/models/loan-model/predict", json={"rows": [{**ROW, "income": " 61.5 "}]}).status_code == 200
    assert http.post("/v1/models/loan-model/predict", json={"rows": []}).status_code == 422


def test_unknown_model_is_404_and_nothing_in_production_is_409(app, http, gateway):
    answer = http.post("/v1/models/nope/predict", json={"rows": [ROW]})
    assert answer.status_code == 404 and "no model named 'nope'" in answer.json()["detail"]
    assert http.get("/v1/models/nope").status_code == 404

    trained_version(app, "waiting-model")
    _wait(lambda: "waiting-model" in gateway.table.models())
    answer = http.post("/v1/models/waiting-model/predict", json={"rows": [ROW]})
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("waiting-model has no version in production yet")
    answer = http.post("/v1/models/waiting-model/predict", json={"rows": [ROW], "slot": "test"})
    assert answer.status_code == 409 and "test environment" in answer.json()["detail"]


def test_the_test_slot_serves_only_when_asked(app, loan_in_production, http, gateway):
    candidate = trained_version(app, "loan-model", seed=3, shift=1.0)
    app.registry.deploy_to_test("loan-model", candidate, actor="pipeline")
    _wait(lambda: http.get("/v1/models/loan-model").json()["test"] == candidate)
    tested = http.post("/v1/models/loan-model/predict", json={"rows": [ROW], "slot": "test"}).json()
    routed = http.post("/v1/models/loan-model/predict", json={"rows": [ROW]}).json()
    assert (tested["slot"], tested["version"]) == ("test", candidate)
    assert (routed["slot"], routed["version"]) == ("production", loan_in_production)
    assert tested["predictions"][0]["score"] != routed["predictions"][0]["score"]
    state = http.get("/v1/models/loan-model").json()
    assert state == {**state, "production": loan_in_production, "canary": None, "canary_percent": 0.0,
                     "test": candidate, "problems": []}


def test_rows_the_model_cannot_score_answer_with_their_error(app, http, gateway):
    number = trained_version(app, "plain-model", numbers_only=True)
    from tests.factories import put_in_production

    put_in_production(app, "plain-model", number)
    _wait(lambda: gateway.table.models().get("plain-model") and
          "production" in gateway.table.models()["plain-model"].served)
    # A logistic regression without an imputer cannot score a missing number; the other rows still are.
    body = http.post("/v1/models/plain-model/predict",
                     json={"rows": [{"income": 50, "tenure": 3}, {"income": None, "tenure": 3}]}).json()
    good, bad = body["predictions"]
    assert good["score"] is not None and good["error"] is None
    assert bad["score"] is None and bad["decision"] is None and "NaN" in bad["error"]


def test_the_fast_path_scores_exactly_like_the_stored_model(app, gateway):
    number = trained_version(app, "plain-model", numbers_only=True)
    from backend.deployment.inputs import check_rows
    from backend.deployment.served import load_served_version

    served = load_served_version(app.registry, app.artifacts, "plain-model", number, task="classification")
    assert served.fast_scorer is not None
    frame = synthetic_classification(200, seed=9)[["income", "tenure"]]
    typed = check_rows(frame.to_dict(orient="records"), served.schema)
    stored = served.loaded.score_prepared(apply_schema(frame, served.schema, "test"))
    np.testing.assert_allclose(served.score(typed), stored, rtol=0, atol=1e-12)
    # A tabular logistic regression (one-hot text, scaled numbers) is compiled too.
    other = load_served_version(app.registry, app.artifacts, "loan-model", trained_version(app, "loan-model"),
                                task="classification")
    assert other.fast_scorer is not None


def test_feedback_is_logged_with_the_request_ids(app, loan_in_production, http, gateway):
    first = http.post("/v1/models/loan-model/predict", json={"rows": [ROW], "routing_key": "customer-7"}).json()
    answer = http.post("/v1/models/loan-model/feedback",
                       json={"outcomes": [{"request_id": first["request_id"], "outcome": "yes"}]})
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    assert http.post("/v1/models/nope/feedback",
                     json={"outcomes": [{"request_id": "x", "outcome": "no"}]}).status_code == 404
    gateway.writer.flush()
    log = gateway.writer.log
    predictions = log.read("predictions", "loan-model").to_pylist()
    assert [(p["request_id"], p["routing_key"], p["slot"], p["simulated"], p["input:region"]) for p in predictions] == \
        [(first["request_id"], "customer-7", "production", False, "north")]
    assert predictions[0]["score"] == first["predictions"][0]["score"] and predictions[0]["latency_ms"] > 0
    feedback = log.read("feedback", "loan-model").to_pylist()
    assert [(f["request_id"], f["outcome"]) for f in feedback] == [(first["request_id"], "yes")]


def test_only_simulated_traffic_may_carry_a_timestamp(app, loan_in_production, http, gateway):
    answer = http.post("/v1/models/loan-model/predict", json={"rows": [ROW], "timestamp": "2026-01-02T10:00:00Z"})
    assert answer.status_code == 422 and "Only simulated traffic" in answer.text
    from datetime import UTC, datetime, timedelta

    when = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    answer = http.post("/v1/models/loan-model/predict",
                       json={"rows": [ROW], "timestamp": when.isoformat(), "simulated": True})
    assert answer.status_code == 200
    gateway.writer.flush()
    [row] = gateway.writer.log.read("predictions", "loan-model").to_pylist()
    assert row["ts"] == when and row["simulated"] is True


def test_tokens_when_required(app, loan_in_production):
    from fastapi.testclient import TestClient

    from backend.deployment.gateway import Gateway
    from backend.deployment.http_api import create_api

    _, secret = app.tokens.create(actor=operator(), client="web-shop")
    person_token = app.tokens.create(actor=operator(), username="dana")[1]
    gateway = Gateway(app, require_token=True, refresh_seconds=0.2, flush_seconds=0.2)
    with TestClient(create_api(gateway)) as http:
        refused = http.post("/v1/models/loan-model/predict", json={"rows": [ROW]})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "tokens create --client" in refused.json()["detail"]
        for bad in ("Bearer nope", f"Bearer {person_token}", f"Basic {secret}"):
            assert http.post("/v1/models/loan-model/predict", json={"rows": [ROW]},
                             headers={"Authorization": bad}).status_code == 401, bad
        good = http.post("/v1/models/loan-model/predict", json={"rows": [ROW]},
                         headers={"Authorization": f"Bearer {secret}"})
        assert good.status_code == 200, good.text
        assert http.get("/healthz").status_code == 200  # operations stay open
    [row] = gateway.writer.log.read("predictions", "loan-model").to_pylist()
    assert row["client"] == "web-shop"


def test_health_metrics_and_docs(app, loan_in_production, http):
    http.post("/v1/models/loan-model/predict", json={"rows": [ROW]})
    health = http.get("/healthz").json()
    assert health["status"] == "ok" and health["models"] == 1
    metrics = http.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'greenlight_gateway_requests_total{model="loan-model",slot="production",status="200",version="1"} 1.0' in text
    assert 'greenlight_gateway_serving_version{model="loan-model",slot="production"} 1.0' in text
    assert http.get("/docs").status_code == 200
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/v1/models/{name}/predict", "/v1/models/{name}/feedback", "/v1/models/{name}", "/healthz",
            "/metrics"} <= set(paths)


def test_the_compiled_tabular_model_agrees_on_unseen_and_missing_categories(app):
    from backend.deployment.inputs import check_rows
    from backend.deployment.served import load_served_version

    served = load_served_version(app.registry, app.artifacts, "loan-model", trained_version(app, "loan-model"),
                                 task="classification")
    rows = [{"income": 50, "tenure": 3, "region": "north"}, {"income": 12.5, "tenure": 0, "region": "mars"},
            {"income": 70, "tenure": 29, "region": None}]
    stored = served.loaded.score(pd.DataFrame(rows))
    for row, expected in zip(rows, stored, strict=True):
        [got] = served.score(check_rows([row], served.schema))
        assert got == pytest.approx(expected, abs=1e-12), row
    np.testing.assert_allclose(served.score(check_rows(rows, served.schema)), stored, rtol=0, atol=1e-12)


def test_a_tampered_model_is_never_served(app, loan_in_production, http, gateway):
    candidate = trained_version(app, "loan-model", seed=8)
    ref = app.registry.get_artifact("loan-model", candidate, "model")
    path = app.artifacts.path_of(ref)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-8] + b"tampered")
    app.registry.deploy_to_test("loan-model", candidate, actor="pipeline")
    gateway.table.refresh()
    answer = http.post("/v1/models/loan-model/predict", json={"rows": [ROW], "slot": "test"})
    assert answer.status_code == 503
    assert f"loan-model version {candidate} (test) could not be loaded" in answer.json()["detail"]
    assert "changed after it was stored" in answer.json()["detail"]
    assert http.get("/v1/models/loan-model").json()["problems"] == [answer.json()["detail"]]
    # Production is untouched.
    assert http.post("/v1/models/loan-model/predict", json={"rows": [ROW]}).json()["version"] == loan_in_production
