"""The portfolio shows, for every model, what is in production, what is approved and what is on
its way, with what the automated stages found: never only the latest version."""

from __future__ import annotations

from backend.registry.states import State
from backend.reports import portfolio
from tests.factories import (
    approve,
    fairness_fail_report,
    new_version,
    put_in_production,
    validated_version,
)


def _constructed(app) -> None:
    # loan-model: v1 approved; v2 failed its pipeline (the latest).
    validated_version(app, "loan-model")
    app.signoffs.request("loan-model", 1, actor="pipeline")
    approve(app, "loan-model", 1)
    v2 = new_version(app, "loan-model")
    app.registry.transition("loan-model", v2, State.FAILED, actor="pipeline", reason="build: the data is bad")
    # churn-model: v1 in production; v2 awaiting sign-off with 2 failed fairness checks of 3.
    validated_version(app, "churn-model")
    app.signoffs.request("churn-model", 1, actor="pipeline")
    approve(app, "churn-model", 1)
    put_in_production(app, "churn-model", 1)
    validated_version(app, "churn-model", fairness=fairness_fail_report(failed=2, passed=1))
    app.signoffs.request("churn-model", 2, actor="pipeline")


def test_every_model_shows_approved_production_and_on_its_way_versions(sqlite_app):
    _constructed(sqlite_app)
    by_name = {m.summary.name: m for m in portfolio(sqlite_app)}
    loan, churn = by_name["loan-model"], by_name["churn-model"]
    assert loan.approved.number == 1 and loan.production is None
    assert loan.latest.number == 2 and loan.latest.state == State.FAILED and loan.on_its_way == []
    assert churn.production.number == 1 and churn.production.state == State.PRODUCTION
    assert churn.approved is None
    (waiting,) = churn.on_its_way
    assert (waiting.number, waiting.state, waiting.fairness_verdict) == (2, State.AWAITING_SIGNOFF, "fail")
    assert (waiting.fairness_failed, waiting.fairness_checks) == (2, 3)


def test_an_approval_changes_the_portfolio(sqlite_app):
    _constructed(sqlite_app)
    approve(sqlite_app, "churn-model", 2)
    churn = next(m for m in portfolio(sqlite_app) if m.summary.name == "churn-model")
    assert churn.approved.number == 2 and churn.on_its_way == [] and churn.production.number == 1
