"""Builders for test data: spec folders, data files and registry entries."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from backend.domain import ModelInfo
from backend.registry import Registry

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


def make_model(registry: Registry, name: str = "test-model", *, actor: str = "tester") -> None:
    registry.upsert_model(ModelInfo(name=name, title="Test", description="", owner="team", risk_tier="low",
                                    task="classification"), actor=actor)


def add_user(app, username: str, *roles: str, password: str = "correct horse battery", email: str | None = None):
    from backend.governance.accounts import operator

    return app.accounts.add_user(username, password, list(roles), actor=operator(), email=email)


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
                      fairness: dict | None = None) -> int:
    """A version that went through every automated stage, with a model and a report stored.

    Walks the same states the pipeline does (taken from the pipeline's own stage list), but
    without training, so sign-off tests stay fast. ``fairness`` is the fairness report to store
    (default: one without checks); its verdicts are also recorded as the reports stage's evidence.
    """
    import json

    from backend.pipeline.runner import STAGES

    make_model(app.registry, name)
    number = app.registry.create_version(name, author=author,
                                         policy={"signoff": {"roles": list(roles), "expires_days": expires_days}}).number
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


def put_in_production(app, name: str, number: int, *, actor: str = "tests") -> None:
    """Make an approved version the production one: the one place tests build such data.

    Deployment (canary, judge, guarded promotion) is not built yet; until it is, this moves the
    state and the alias directly through the registry, as the deployment service will.
    """
    app.registry.transition(name, number, "production", actor=actor, reason="test data: in production")
    app.registry.move_alias(name, "production", number, actor=actor, reason="test data: in production")
