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
