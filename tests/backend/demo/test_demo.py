"""The embedded demo: real models from real data, produced by the real pipeline."""

from __future__ import annotations

from backend.app import App
from backend.config import Settings
from backend.reports import load_reports


def test_demo_builds_both_models_with_three_versions_each(demo_env):
    app = App.open(Settings.from_env(demo_env))
    try:
        models = {m.name: m for m in app.registry.list_models()}
        assert set(models) == {"credit-risk", "income-propensity"}
        for name in models:
            versions = app.registry.list_versions(name).versions
            assert len(versions) >= 3
            estimators = {v.estimator for v in versions}
            assert len(estimators) == len(versions), "each demo version uses a different estimator"
            for v in versions:
                stages = [s.stage for s in app.registry.list_stage_runs(name, v.number)]
                automated = ["build", "smoke_checks", "reports", "test_validation"]
                assert stages == (automated if v.state == "failed" else [*automated, "manual_validation"])
                kinds = {a.kind for a in app.registry.list_artifacts(name, v.number)}
                assert {"fairness_report", "explainability_report", "model_card_html", "model_card_md"} <= kinds
                assert load_reports(app, name, v.number).complete
        failed = app.registry.get_version("credit-risk", 3)
        assert failed.state == "failed"
        assert "ROC AUC is 0.709, below the minimum of 0.750" in failed.failure_reason
        states = {(n, v.number): v.state for n in models for v in app.registry.list_versions(n).versions}
        assert states == {
            ("credit-risk", 1): "approved", ("credit-risk", 2): "rejected", ("credit-risk", 3): "failed",
            ("income-propensity", 1): "approved", ("income-propensity", 2): "awaiting_signoff",
            ("income-propensity", 3): "awaiting_signoff"}
        with_conditions = app.signoffs.status("income-propensity", 2)
        assert with_conditions.missing_roles == ("risk",) and len(with_conditions.open_conditions) == 1
        assert "keep the logistic model" in app.registry.get_version("credit-risk", 2).failure_reason
        assert {u.username for u in app.accounts.list_users()} == {"ada", "dana", "bea", "rick", "cora", "vic"}
        assert app.accounts.authenticate("rick", "rick-demo-password").roles == ("risk",)
        adult = app.registry.get_version("income-propensity", 2)
        assert adult.metrics["roc_auc"] > 0.9
    finally:
        app.close()


def test_demo_if_empty_does_not_seed_twice(demo_env, monkeypatch, capsys):
    from backend.cli import main

    for key, value in demo_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GREENLIGHT_DB_URL", raising=False)
    assert main(["demo", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "This is the demo database (ready)" in out and "bea    / bea-demo-password" in out
    assert main(["demo"]) == 7
    assert "The demo writes only into an empty database" in capsys.readouterr().err


def test_the_demo_never_lands_in_a_database_with_accounts(app, cli_env, capsys):
    from backend.cli import main
    from tests.factories import admin

    admin(app, "alice")  # a real organisation's first account, no models yet
    assert main(["demo"]) == 7
    err = capsys.readouterr().err
    assert "The demo writes only into an empty database: This database already holds 0 models and 1 account." in err
    assert main(["demo", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "Not seeding the demo" in out and "demo-password" not in out
    assert {u.username for u in app.accounts.list_users()} == {"alice"}
    assert app.registry.fact("demo") is None


def test_two_demo_claims_at_once_build_it_once(app):
    import threading

    from backend.errors import Conflict

    outcomes, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        try:
            app.registry.claim_empty("demo", {"state": "building"}, actor="test")
            outcomes.append("claimed")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_claimed"] * 3 + ["claimed"]


def test_the_demo_database_knows_it_is_the_demo(demo_env):
    app = App.open(Settings.from_env(demo_env))
    try:
        status = app.registry.fact("demo")
        assert (status["state"], status["done"], status["total"]) == ("ready", 6, 6)
        authors = {v.author for m in ("credit-risk", "income-propensity")
                   for v in app.registry.list_versions(m).versions}
        assert authors == {"dana"}, "the demo's versions are authored by the signed-in data scientist"
        assert app.registry.verify_audit().intact
    finally:
        app.close()
