"""Builders for test data: spec folders, data files and registry entries."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from backend.domain import ModelInfo

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

SPEC_TEMPLATE = """\
[model]
name = "{name}"
title = "Test model"
description = "A model made by the tests."
owner = "test-team"
risk_tier = "{risk_tier}"
task = "{task}"

[data]
train = "{train}"
test = "{test}"
target = "{target}"
{positive_label}
sensitive_features = {sensitive}

[estimator]
factory = "{factory}"

{gates}
"""


def credit_spec_dir(tmp_path: Path, *, name: str = "credit-risk", gates: str = "", factory: str = "model:build") -> Path:
    """A copy of the credit-risk example (700 training rows: quick to train) under ``tmp_path``."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / "credit-risk", folder)
    spec = (folder / "greenlight.toml").read_text()
    spec = spec.replace('name = "credit-risk"', f'name = "{name}"').replace('factory = "model:build"', f'factory = "{factory}"')
    if gates:
        spec = spec.split("[gates]")[0] + gates + "\n\n[signoff]" + spec.split("[signoff]")[1]
    (folder / "greenlight.toml").write_text(spec)
    return folder / "greenlight.toml"


def write_spec(folder: Path, *, name: str = "hand-made", task: str = "classification", target: str = "label",
               positive_label: str | None = '"yes"', train: str = "train.csv", test: str = "test.csv",
               sensitive: str = "[]", factory: str = "model:build", gates: str = "",
               risk_tier: str = "low") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = SPEC_TEMPLATE.format(name=name, task=task, target=target, train=train, test=test,
                                positive_label=f"positive_label = {positive_label}" if positive_label else "",
                                sensitive=sensitive, factory=factory, gates=gates, risk_tier=risk_tier)
    path = folder / "greenlight.toml"
    path.write_text(text)
    return path


LOGISTIC_FACTORY = textwrap.dedent("""\
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def build():
        return Pipeline([
            ("prepare", ColumnTransformer([
                ("category", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)),
                ("number", StandardScaler(), make_column_selector(dtype_include="number")),
            ])),
            ("model", LogisticRegression(max_iter=500)),
        ])
""")


def synthetic_classification(n: int, seed: int = 0) -> pd.DataFrame:
    """A small loan-like data set with a text and two numeric features and a yes/no label."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n).round(1)
    tenure = rng.integers(0, 30, n)
    region = rng.choice(["north", "south", "east", "west"], n)
    logit = 0.08 * (income - 50) + 0.05 * (tenure - 15) + np.where(region == "north", 0.7, 0.0)
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"income": income, "tenure": tenure, "region": region, "label": label})


def add_user(app, username: str, *roles: str, password: str = "correct horse battery", email: str | None = None):
    from backend.governance.accounts import operator

    return app.accounts.add_user(username, password, list(roles), actor=operator(), email=email)


def person(app, username: str = "dana", *roles: str, password: str = "correct horse battery"):
    """The account ``username`` (created with ``roles`` if missing; a data scientist by default)."""
    from backend.errors import NotFound

    try:
        return app.accounts.get_user(username)
    except NotFound:
        return add_user(app, username, *(roles or ("data_scientist",)), password=password)


def admin(app, username: str = "ada"):
    return person(app, username, "admin")


def make_model(app, name: str = "test-model", *, author: str = "dana", risk_tier: str = "low"):
    """Register ``name`` as a data scientist would; returns that account."""
    scientist = person(app, author)
    app.registry.upsert_model(ModelInfo(name=name, title="Test", description="", owner="team", risk_tier=risk_tier,
                                        task="classification"), actor=scientist)
    return scientist


def new_version(app, name: str = "test-model", *, author: str = "dana", **lineage) -> int:
    """The next version of ``name`` (made if missing), registered by ``author``."""
    from backend.errors import NotFound

    try:
        app.registry.get_model(name)
    except NotFound:
        make_model(app, name, author=author)
    return app.registry.create_version(name, author=person(app, author), **lineage).number


def validated_version(app, name: str = "loan-model", *, author: str = "dana",
                      roles: tuple[str, ...] = ("business_owner", "risk"), expires_days: int = 180,
                      risk_tier: str = "low") -> int:
    """A version that went through every automated stage, with a model and a report stored.

    Walks the same states the pipeline does (taken from the pipeline's own stage list), but
    without training, so sign-off tests stay fast. The spec declares ``roles``; the
    organisation's roles for ``risk_tier`` always sign too.
    """
    from backend.pipeline.runner import STAGES

    scientist = make_model(app, name, author=author, risk_tier=risk_tier)
    number = app.registry.create_version(
        name, author=scientist,
        declared_policy={"signoff": {"roles": list(roles), "expires_days": expires_days}}).number
    for kind, content in (("model", b"model bytes %d" % number), ("fairness_report", b'{"checks": []}')):
        blob = app.artifacts.put_bytes(content + name.encode())
        app.registry.add_artifact(name, number, kind=kind, uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor=author)
    for _, _, state in STAGES:
        app.registry.transition(name, number, state, actor="pipeline")
    return number


def approve_all(app, name: str, number: int, *, password: str = "correct horse battery") -> None:
    """Every required role approves (a reviewer account per role is made as needed)."""
    status = app.signoffs.request(name, number, actor="pipeline") if \
        app.registry.get_version(name, number).state == "validated" else app.signoffs.status(name, number)
    for role in status.missing_roles:
        reviewer = person(app, f"reviewer-{role.replace('_', '-')}", role, password=password)
        status = app.signoffs.decide(name, number, reviewer=reviewer, role=role, decision="approve",
                                     comment="Approved by the tests.", evidence=status.evidence)


def put_in_production(app, name: str, number: int, *, reason: str = "set up by the tests, no canary") -> None:
    """Take an approved version to production the guarded way: an admin's override, then the alias."""
    from backend.registry.states import State

    ops = admin(app, "ops-admin")
    if app.registry.get_version(name, number).state != State.APPROVED:
        approve_all(app, name, number)
    champion = app.registry.get_alias(name, "production")
    app.registry.transition(name, number, State.PRODUCTION, actor=ops, override_reason=reason)
    app.registry.move_alias(name, "production", number, actor=ops, reason=reason)
    if champion is not None:
        app.registry.transition(name, champion, State.RETIRED, actor=ops, reason=f"replaced by version {number}")
        app.registry.move_alias(name, "previous", champion, actor=ops, reason=reason)


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
