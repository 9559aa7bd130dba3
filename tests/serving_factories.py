"""Builders for the second half of the path: canaries, logged traffic, monitored and scored versions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backend.domain import ModelInfo
from tests.factories import admin, approve_all, person, put_in_production, validated_version


def start_canary(app, name: str, number: int, *, percent: float = 10.0, reason: str = "canary set up by the tests"):
    """Send ``percent`` of ``name``'s live traffic to ``number``, the guarded way."""
    from backend.registry.states import State

    ops = admin(app, "ops-admin")
    if app.registry.get_version(name, number).state != State.APPROVED:
        approve_all(app, name, number)
    app.registry.transition(name, number, State.CANARY, actor=ops)
    app.registry.move_alias(name, "canary", number, actor=ops, reason=reason, traffic_percent=percent)


def promote_canary(app, name: str, *, reason: str = "promoted by the tests") -> int:
    """The canary becomes production with the registry's guarded moves (an admin's override)."""
    from backend.registry.states import State

    ops = admin(app, "ops-admin")
    number = app.registry.get_alias(name, "canary")
    champion = app.registry.get_alias(name, "production")
    app.registry.transition(name, number, State.PRODUCTION, actor=ops, override_reason=reason)
    app.registry.move_alias(name, "production", number, actor=ops, reason=reason)
    app.registry.clear_alias(name, "canary", actor=ops, reason=reason)
    if champion is not None:
        app.registry.transition(name, champion, State.RETIRED, actor=ops, reason=f"replaced by version {number}")
        app.registry.move_alias(name, "previous", champion, actor=ops, reason=reason)
    return number


def synthetic_traffic(n: int, *, seed: int = 0, error_rate: float = 0.0, latency_ms: float = 1.0,
                      noise: float = 0.05, score_bias: float = 0.0) -> list[dict]:
    """``n`` logged predictions of a yes/no model, with their true outcomes.

    Each person has a true chance of "yes"; the model's score is that chance plus ``noise`` (a
    worse model is a noisier one) and ``score_bias``; ``error_rate`` of the rows fail instead.
    Latency is log-normal around ``latency_ms``.
    """
    rng = np.random.default_rng(seed)
    risk = rng.beta(2, 3, n)
    score = np.clip(risk + rng.normal(score_bias, noise, n), 0, 1)
    failed = rng.random(n) < error_rate
    outcome = np.where(rng.random(n) < risk, "yes", "no")
    latency = latency_ms * rng.lognormal(0, 0.25, n)
    return [{"score": None if failed[i] else float(score[i]),
             "decision": None if failed[i] else ("yes" if score[i] >= 0.5 else "no"),
             "error": "the model could not score this row" if failed[i] else None,
             "latency_ms": float(latency[i]), "outcome": str(outcome[i])} for i in range(n)]


def log_traffic(app, model: str, *, slot: str, version: int, rows: list[dict], start=None, end=None,
                minutes: float = 30, outcomes: bool = False, simulated: bool = True,
                prefix: str | None = None) -> list[str]:
    """Write ``rows`` (from :func:`synthetic_traffic`) to the prediction log as served by ``slot``
    and ``version``, the way a gateway would: spread evenly from ``start`` to ``end`` (default:
    over the last ``minutes`` until now); with ``outcomes``, their true outcomes too. Returns the
    request ids."""
    from datetime import UTC, datetime, timedelta

    from backend.registry.prediction_log import PredictionLog, input_column

    log = PredictionLog(str(app.settings.artifacts_dir))
    now = end or datetime.now(UTC)
    start = start or now - timedelta(minutes=minutes)
    step = (now - start) / max(len(rows), 1)
    prefix = prefix or f"{slot}-{version}-{start.timestamp():.0f}"
    logged, ids = [], []
    for i, row in enumerate(rows):
        request_id = f"{prefix}-{i}"
        ids.append(request_id)
        logged.append({"request_id": request_id, "version": version, "slot": slot, "ts": start + i * step,
                       "latency_ms": row["latency_ms"], "routing_key": request_id, "client": None,
                       "simulated": simulated, "score": row["score"], "decision": row["decision"],
                       "error": row["error"], input_column("income"): 50.0})
    log.write_predictions(model, logged, {"income": "number"})
    if outcomes:
        now = datetime.now(UTC)
        log.write_feedback(model, [{"request_id": rid, "ts": now, "outcome": row["outcome"], "simulated": simulated}
                                   for rid, row in zip(ids, rows, strict=True)])
    return ids


def canary_in_flight(app, name: str = "loan-model", *, traffic_percent: float = 10.0) -> tuple[int, int]:
    """Version 1 in production and version 2 in canary (started by the data scientist ``dana``);
    returns their numbers. The policy's floor asks for 500 predictions on each side."""
    first = validated_version(app, name)
    approve_all(app, name, first)
    put_in_production(app, name, first)
    second = validated_version(app, name)
    approve_all(app, name, second)
    app.deployments.start_canary(name, second, traffic_percent, actor=person(app, "dana"))
    return first, second


# -- monitoring -------------------------------------------------------------------------------------


def monitored_version(app, name: str = "watched", *, reference: pd.DataFrame, y: np.ndarray, scores: np.ndarray,
                      schema: dict[str, str], metrics: dict[str, float] | None = None,
                      importance: list[str] | None = None, sensitive: list[str] | None = None,
                      fairness: dict | None = None, positive_label: str = "yes", task: str = "classification",
                      with_reference: bool = True, gates: dict | None = None) -> int:
    """A validated version with what monitoring reads — reference rows, test scores, an
    explainability ranking, metrics and a policy — stored without training anything."""
    import io
    import json

    from backend.pipeline.evaluation import compute_metrics
    from backend.pipeline.reference import reference_frame
    from backend.registry.states import State

    scientist = person(app, "dana")
    try:
        app.registry.get_model(name)
    except Exception:
        app.registry.upsert_model(ModelInfo(name=name, title=f"Watched {name}", description="", owner="team",
                                            risk_tier="low", task=task), actor=scientist)
    declared = {"gates": gates} if gates else None
    number = app.registry.create_version(name, author=scientist, declared_policy=declared,
                                         spec_path=f"/specs/{name}/greenlight.toml").number
    app.registry.record_build(name, number, actor="pipeline", input_schema={
        "columns": schema, "target": "label", "positive_label": positive_label if task == "classification" else None,
        "sensitive_features": list(sensitive or [])})

    def store(kind: str, data: bytes) -> None:
        blob = app.artifacts.put_bytes(data)
        app.registry.add_artifact(name, number, kind=kind, uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor="pipeline")

    def parquet(frame: pd.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    store("model", b"model of %s %d" % (name.encode(), number))
    if with_reference:
        store("reference_data", parquet(reference_frame(reference, y)))
    scores_frame = pd.DataFrame({"y_true": y, "score": scores})
    for column in sensitive or []:
        scores_frame[f"sensitive:{column}"] = reference[column].to_numpy()
    store("test_scores", parquet(scores_frame))
    ranking = importance or list(schema)
    explain = {"global": [{"feature": f, "importance": float(len(ranking) - i), "share": (len(ranking) - i) /
                           sum(range(1, len(ranking) + 1))} for i, f in enumerate(ranking)]}
    store("explainability_report", json.dumps(explain).encode())
    if fairness is not None:
        store("fairness_report", json.dumps(fairness).encode())
    for state in (State.BUILT, State.CHECKED, State.REPORTED):
        app.registry.transition(name, number, state, actor="pipeline")
    app.registry.record_metrics(name, number, actor="pipeline", metrics=metrics or compute_metrics(task, y, scores))
    app.registry.transition(name, number, State.VALIDATED, actor="pipeline")
    return number


def log_predictions(log, name: str, version: int, X: pd.DataFrame, scores: np.ndarray, day, *,
                    schema: dict[str, str], outcomes: np.ndarray | None = None, outcome_day=None,
                    positive_label: str | None = "yes", prefix: str | None = None) -> list[str]:
    """Write ``X``'s rows as predictions of ``version`` on ``day`` through the real prediction log
    (and their outcomes, when given, on ``outcome_day``); returns the request ids."""
    from datetime import UTC, datetime, timedelta

    from backend.registry.prediction_log import input_column

    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    step = timedelta(seconds=max(1, 86_000 // max(len(X), 1)))
    tag = prefix or f"{name}-{version}-{day.isoformat()}"
    ids = [f"{tag}-{i}" for i in range(len(X))]
    columns = {f: X[f].tolist() for f in schema}
    rows = []
    for i in range(len(X)):
        row = {"request_id": ids[i], "version": version, "slot": "production", "ts": start + step * i,
               "latency_ms": 1.0, "routing_key": ids[i], "client": None, "simulated": True,
               "score": float(scores[i]), "error": None,
               "decision": (positive_label if scores[i] >= 0.5 else "no") if positive_label else repr(float(scores[i]))}
        for f in schema:
            value = columns[f][i]
            row[input_column(f)] = None if value is None or (isinstance(value, float) and np.isnan(value)) else value
        rows.append(row)
    log.write_predictions(name, rows, schema)
    if outcomes is not None:
        when = outcome_day or day
        arrived = datetime(when.year, when.month, when.day, 23, 0, tzinfo=UTC)
        def text(value) -> str:  # a label for a classifier, the number itself for a regression
            return (positive_label if value == 1 else "no") if positive_label else repr(float(value))

        log.write_feedback(name, [{"request_id": ids[i], "ts": arrived, "simulated": True, "outcome": text(outcomes[i])}
                                  for i in range(len(X))])
    return ids


# -- champion and challenger ------------------------------------------------------------------------


def scored_version(app, name: str = "loan-model", *, y: np.ndarray, scores: np.ndarray, test_sha: str = "test-a",
                   fairness: dict | None = None, drivers: dict[str, float] | None = None,
                   compute: dict[str, float] | None = None) -> int:
    """A validated version with what the Compare page reads, stored without training: its test-set
    scores (``y``, ``scores``), the test file's SHA-256 (``test_sha``) in its build evidence, a
    fairness report, an explainability report whose global shares are ``drivers``, and
    test-validation evidence with the ``compute`` figures."""
    import io
    import json

    number = validated_version(app, name, fairness=fairness or {"verdict": "pass", "features": []})
    frame = pd.DataFrame({"y_true": np.asarray(y, np.float64), "score": np.asarray(scores, np.float64)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    explain = {"global": [{"feature": f, "share": s} for f, s in (drivers or {}).items()]}
    for kind, content in (("test_scores", buffer.getvalue()), ("explainability_report", json.dumps(explain).encode())):
        blob = app.artifacts.put_bytes(content)
        app.registry.add_artifact(name, number, kind=kind, uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor="dana")
    for stage, evidence in (("build", {"data": {"test": {"sha256": test_sha, "rows": len(frame)}}}),
                            ("test_validation", {"compute": compute or {}})):
        run = app.registry.start_stage(name, number, stage)
        app.registry.finish_stage(run, status="passed", messages=[], evidence=evidence)
    return number
