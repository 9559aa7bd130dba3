"""The greenlight command: what CI runners and scripts rely on."""

from __future__ import annotations

import json

from sqlalchemy import text

from backend.cli import main
from backend.db import Database
from backend.pipeline import run_pipeline
from tests.factories import (
    credit_spec_dir,
    make_model,
    new_version,
    person,
    put_in_production,
    validated_version,
)


def _call(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_lists_every_command(capsys):
    code, out, _ = _call(capsys, "--help")
    assert code == 0
    for command in ("db", "pipeline", "models", "versions", "version", "demo", "audit"):
        assert f"  {command} " in out
    for group, sub in (("db", "upgrade"), ("pipeline", "run"), ("models", "list"), ("audit", "verify")):
        code, out, _ = _call(capsys, group, "--help")
        assert code == 0 and f"  {sub} " in out


def test_pipeline_run_passes_and_lists_in_json(app, ci_token, tmp_path, capsys):
    spec = credit_spec_dir(tmp_path)
    code, out, _ = _call(capsys, "pipeline", "run", str(spec), "--commit", "abc1234")
    assert code == 0
    assert "▶ build" in out and "✔ test_validation passed" in out
    # German Credit's logistic model fails fairness checks on age: never "passed" over that.
    assert ("credit-risk version 1 finished the automated stages, with failed fairness checks for the reviewers; "
            "it now waits for sign-off by: business_owner, risk, compliance.") in out

    code, out, _ = _call(capsys, "models", "list", "--json")
    models = json.loads(out)
    assert code == 0 and models[0]["name"] == "credit-risk"
    assert models[0]["latest_version"] == 1 and models[0]["production_version"] is None

    code, out, _ = _call(capsys, "versions", "credit-risk", "--json")
    versions = json.loads(out)
    assert versions[0]["version"] == 1 and versions[0]["state"] == "awaiting_signoff"
    assert isinstance(versions[0]["metrics"], dict) and versions[0]["metrics"]["roc_auc"] > 0.75
    assert versions[0]["created_at"].startswith("20")

    code, out, _ = _call(capsys, "version", "credit-risk", "1", "--json")
    detail = json.loads(out)
    assert [s["stage"] for s in detail["stages"]] == ["build", "smoke_checks", "reports", "test_validation",
                                                      "manual_validation"]
    assert detail["git_commit"] == "abc1234" and detail["author"] == "dana"

    code, out, _ = _call(capsys, "version", "credit-risk", "1")
    assert "ROC AUC" in out and "How well the model ranks" in out and "stage smoke_checks: passed" in out


def test_pipeline_json_output_is_parseable(sqlite_app, monkeypatch, tmp_path, capsys):
    from backend.governance.accounts import operator

    settings = sqlite_app.settings
    monkeypatch.setenv("GREENLIGHT_HOME", str(settings.home))
    monkeypatch.setenv("GREENLIGHT_DB_URL", settings.db_url)
    monkeypatch.setenv("GREENLIGHT_ARTIFACTS", str(settings.artifacts_dir))
    person(sqlite_app, "dana")
    monkeypatch.setenv("GREENLIGHT_TOKEN", sqlite_app.tokens.create(actor=operator(), username="dana")[1])
    code, out, err = _call(capsys, "pipeline", "run", str(credit_spec_dir(tmp_path, factory="model:build_shallow_tree")),
                           "--json")
    assert code == 1
    result = json.loads(out)
    assert result["passed"] is False and result["failed_stage"] == "test_validation"
    assert "▶ build" in err and "failed at test_validation" in err


def test_models_list_with_production_version(app, cli_env, capsys):
    validated_version(app, "alpha")
    put_in_production(app, "alpha", 1)
    new_version(app, "alpha")
    code, out, _ = _call(capsys, "models", "list", "--json")
    assert json.loads(out)[0]["production_version"] == 1 and json.loads(out)[0]["latest_version"] == 2
    code, out, _ = _call(capsys, "models", "list")
    assert "alpha" in out


def test_unknown_model_exits_with_not_found(cli_env, capsys):
    code, _, err = _call(capsys, "versions", "ghost")
    [line] = err.strip().splitlines()
    assert code == 3 and line.startswith("error: There is no model named 'ghost'. (details: ")
    code, _, err = _call(capsys, "version", "ghost", "1")
    assert code == 3


def test_missing_spec_file_is_refused(ci_token, tmp_path, capsys):
    code, _, err = _call(capsys, "pipeline", "run", str(tmp_path / "nope.toml"))
    assert code == 2 and "does not exist" in err


def test_db_upgrade_creates_an_empty_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GREENLIGHT_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("GREENLIGHT_DB_URL", raising=False)
    head = Database("sqlite://").head_revision()
    code, out, _ = _call(capsys, "db", "upgrade")
    assert code == 0 and f"schema empty → {head}" in out
    code, out, _ = _call(capsys, "db", "upgrade")
    assert code == 0 and f"schema {head} → {head}" in out


def test_commands_create_the_schema_in_an_empty_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GREENLIGHT_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("GREENLIGHT_DB_URL", raising=False)
    code, out, _ = _call(capsys, "models", "list")
    assert code == 0 and "No models yet" in out


def test_outdated_schema_asks_for_an_upgrade(app, cli_env, capsys):
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    code, _, err = _call(capsys, "models", "list")
    assert code == 9
    assert "schema is at revision 0000" in err and "greenlight db upgrade" in err


def test_audit_verify_exit_codes(app, cli_env, capsys):
    make_model(app, "alpha")
    code, out, _ = _call(capsys, "audit", "verify")
    assert code == 0 and "intact" in out
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"))
    code, _, err = _call(capsys, "audit", "verify")
    assert code == 10 and "entry 1 was changed" in err


def test_run_pipeline_helper_and_cli_agree(sqlite_app, tmp_path):
    result = run_pipeline(sqlite_app, credit_spec_dir(tmp_path), actor=person(sqlite_app, "ana"))
    assert result.passed and result.version == 1
