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


def fairness_fail_report(failed: int = 2, passed: int = 1, feature: str = "sex") -> dict:
    """A stored fairness report's shape, with ``failed`` failing and ``passed`` passing checks."""
    metrics = ["demographic_parity_ratio", "demographic_parity_difference", "equalized_odds_difference"]
    checks = [{"metric": metrics[i % 3] if i < 3 else f"{metrics[i % 3]}_{i}", "label": metrics[i % 3].replace("_", " ").capitalize(),
               "verdict": "fail" if i < failed else "pass", "reason": f"Check {i} of {feature}.", "value": 0.5,
               "low": 0.4, "high": 0.6, "threshold": 0.8, "bound": "min"} for i in range(failed + passed)]
    return {"kind": "fairness_report", "verdict": "fail" if failed else "pass",
            "features": [{"feature": feature, "checks": checks}]}


def validated_version(app, name: str = "loan-model", *, author: str = "dana",
                      roles: tuple[str, ...] = ("business_owner", "risk"), expires_days: int = 180,
                      risk_tier: str = "low", fairness: dict | None = None) -> int:
    """A version that went through every automated stage, with a model and a report stored.

    Walks the same states the pipeline does (taken from the pipeline's own stage list), but
    without training, so sign-off tests stay fast. The spec declares ``roles``; the
    organisation's roles for ``risk_tier`` always sign too. ``fairness`` is the fairness report
    to store (default: one without checks); its verdicts are also recorded as the reports
    stage's evidence.
    """
    import json

    from backend.pipeline.runner import STAGES

    scientist = make_model(app, name, author=author, risk_tier=risk_tier)
    number = app.registry.create_version(
        name, author=scientist,
        declared_policy={"signoff": {"roles": list(roles), "expires_days": expires_days}}).number
    report = fairness or {"checks": []}
    report_bytes = json.dumps({**report, "model": name, "version": number}, sort_keys=True).encode()
    for kind, content in (("model", b"model bytes %d" % number + name.encode()), ("fairness_report", report_bytes)):
        blob = app.artifacts.put_bytes(content)
        app.registry.add_artifact(name, number, kind=kind, uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor=author)
    for stage, _, state in STAGES:
        if stage == "reports" and fairness is not None:
            run = app.registry.start_stage(name, number, "reports")
            checks = [{"feature": f["feature"], **c} for f in fairness.get("features", []) for c in f["checks"]]
            app.registry.finish_stage(run, status="passed", messages=[], evidence={
                "fairness": {"verdict": fairness.get("verdict"), "checks": checks}})
        app.registry.transition(name, number, state, actor="pipeline")
    return number


def approve_all(app, name: str, number: int, *, password: str = "correct horse battery") -> None:
    """Every required role approves (a reviewer account per role is made as needed)."""
    status = app.signoffs.request(name, number, actor="pipeline") if \
        app.registry.get_version(name, number).state == "validated" else app.signoffs.status(name, number)
    acknowledgements = {c["key"]: "Accepted for the test." for c in app.signoffs.failed_checks(name, number)}
    for role in status.missing_roles:
        reviewer = person(app, f"reviewer-{role.replace('_', '-')}", role, password=password)
        status = app.signoffs.decide(name, number, reviewer=reviewer, role=role, decision="approve",
                                     comment="Approved by the tests.", evidence=status.evidence,
                                     acknowledgements=acknowledgements)


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


def approve(app, name: str, number: int, *, reviewers: tuple[tuple[str, str], ...] = (("bea", "business_owner"),
                                                                                       ("rick", "risk"))) -> None:
    """Approve a version awaiting sign-off through the real sign-off service, acknowledging any
    failed fairness check (reviewer accounts are created when missing)."""
    existing = {u.username for u in app.accounts.list_users()}
    for username, role in reviewers:
        if username not in existing:
            add_user(app, username, role)
    acknowledgements = {c["key"]: "Accepted for the test." for c in app.signoffs.failed_checks(name, number)}
    for username, role in reviewers:
        status = app.signoffs.status(name, number)
        app.signoffs.decide(name, number, reviewer=app.accounts.get_user(username), role=role, decision="approve",
                            comment="", evidence=status.evidence, acknowledgements=acknowledgements)



#: Text that turns into markup wherever it is not escaped: a Markdown link, bold, bare web and
#: e-mail addresses, an icon short code and HTML.
HOSTILE_TEXT = ("[phish](https://evil.example/login) **bold** see https://evil.example/bare, www.evil.example "
                "or a@evil.example :material/home: <b>b</b>")


def hostile_registry(app, *, password: str = "correct horse battery") -> None:
    """The model "hostile" with hostile text in every field people fill in.

    Version 1 awaits sign-off: bea (whose display name is hostile) approved it with a hostile
    comment and condition; version 2 stopped with a hostile reason, file name and message.
    Accounts: dana (data scientist, the author), bea, rick (risk), ada (admin), vic (viewer),
    each with ``password`` (or, when it is callable, ``password(username)``).
    """
    from backend.governance.accounts import operator

    accounts = (("dana", "data_scientist", None), ("bea", "business_owner", f"Bea {HOSTILE_TEXT}"),
                ("rick", "risk", None), ("ada", "admin", None), ("vic", "viewer", None))
    for username, role, display_name in accounts:
        secret = password(username) if callable(password) else password
        app.accounts.add_user(username, secret, [role], actor=operator(), display_name=display_name)
    number = validated_version(app, "hostile", author="dana")
    app.registry.upsert_model(ModelInfo(name="hostile", title=f"Title {HOSTILE_TEXT}",
                                        description=f"About {HOSTILE_TEXT}", owner=f"Owner {HOSTILE_TEXT}",
                                        risk_tier="medium", task="classification"),
                              actor=app.accounts.get_user("dana"))
    app.signoffs.request("hostile", number, actor="pipeline")
    status = app.signoffs.status("hostile", number)
    app.signoffs.decide("hostile", number, reviewer=app.accounts.get_user("bea"), role="business_owner",
                        decision="conditions", comment=f"Comment {HOSTILE_TEXT}", evidence=status.evidence,
                        conditions=[f"Condition {HOSTILE_TEXT}"])
    failed = app.registry.create_version("hostile", author=app.accounts.get_user("dana")).number
    run = app.registry.start_stage("hostile", failed, "build")
    app.registry.finish_stage(run, status="passed", messages=[],
                              evidence={"data": {"train": {"file": f"train {HOSTILE_TEXT}.csv", "rows": 10}}})
    run = app.registry.start_stage("hostile", failed, "smoke_checks")
    app.registry.finish_stage(run, status="failed", messages=[f"Message {HOSTILE_TEXT}"], evidence={})
    app.registry.transition("hostile", failed, "failed", actor="pipeline", reason=f"Reason {HOSTILE_TEXT}")


def audit_entry(app, model: str = "test-model", *, actor: str = "tester") -> None:
    """One committed transaction that appends exactly one audit entry (and so one checkpoint)."""
    app.registry.record(actor=actor, action="test.event", model=model)
def trained_version(app, name: str = "loan-model", *, seed: int = 0, numbers_only: bool = False, rows: int = 400,
                    author: str = "dana", shift: float = 0.0, spec_path: str | None = None) -> int:
    """A validated version with a real logistic regression (the serving tests score it), trained
    on :func:`synthetic_classification`; no pipeline run, so it takes a fraction of a second.

    ``numbers_only`` leaves out the text feature; ``shift`` moves the model's scores (a canary
    that differs from production); ``spec_path`` records a spec whose test data holds the rows
    the version never saw (the traffic simulator sends them).
    """
    import io

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from backend.pipeline.runner import STAGES
    from backend.registry.model_io import dump_estimator
    from backend.registry.schema import apply_schema

    frame = synthetic_classification(rows, seed)
    schema = {"income": "number", "tenure": "number"} if numbers_only else \
        {"income": "number", "tenure": "number", "region": "category"}
    X = apply_schema(frame, schema, "training data")
    y = (frame["label"] == "yes").to_numpy()
    if numbers_only:
        estimator = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=500))])
    else:
        namespace: dict = {}
        exec(LOGISTIC_FACTORY, namespace)  # the same pipeline the hand-made specs use
        estimator = namespace["build"]()
    estimator.fit(X, y)
    if shift:
        estimator[-1].intercept_ = estimator[-1].intercept_ + shift
    model_bytes, trusted = dump_estimator(estimator)
    scientist = make_model(app, name, author=author)
    number = app.registry.create_version(name, author=scientist, spec_path=spec_path,
                                         declared_policy={"signoff": {"roles": ["business_owner"]}}).number
    blob = app.artifacts.put_bytes(model_bytes)
    app.registry.add_artifact(name, number, kind="model", uri=blob.uri, sha256=blob.sha256, size_bytes=blob.size_bytes,
                              meta={"format": "skops", "trusted_types": trusted}, actor=author)
    buffer = io.BytesIO()
    X.head(50).to_parquet(buffer, index=False)
    sample = app.artifacts.put_bytes(buffer.getvalue())
    app.registry.add_artifact(name, number, kind="sample", uri=sample.uri, sha256=sample.sha256,
                              size_bytes=sample.size_bytes, meta={"format": "parquet", "rows": 50}, actor=author)
    report = app.artifacts.put_bytes(b'{"checks": []}' + name.encode() + b"%d" % number)
    app.registry.add_artifact(name, number, kind="fairness_report", uri=report.uri, sha256=report.sha256,
                              size_bytes=report.size_bytes, actor=author)
    app.registry.record_build(name, number, actor=author, data_fingerprint=f"sha256:synthetic-{seed}",
                              estimator="logistic regression", params={},
                              input_schema={"columns": schema, "target": "label", "positive_label": "yes",
                                            "sensitive_features": []})
    for _, _, state in STAGES:
        app.registry.transition(name, number, state, actor="pipeline")
    return number


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
