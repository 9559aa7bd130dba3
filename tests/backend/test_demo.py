"""The embedded demo: real models from real data, produced by the real pipeline."""

from __future__ import annotations

from backend.app import App
from backend.config import Settings


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
                stages = app.registry.list_stage_runs(name, v.number)
                assert [s.stage for s in stages] == ["build", "smoke_checks", "test_validation"]
        failed = app.registry.get_version("credit-risk", 3)
        assert failed.state == "failed"
        assert "ROC AUC is 0.709, below the minimum of 0.750" in failed.failure_reason
        passed = [v for n in models for v in app.registry.list_versions(n).versions if v.state == "validated"]
        assert len(passed) == 5
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
    assert "already holds models" in capsys.readouterr().out
