"""Canaries from the command line: start, status, judge, promote, rollback and the KServe export,
each made by a signed-in account and refused with the backend's reason and exit code."""

from __future__ import annotations

import io
import json

import yaml

from backend.cli import main
from backend.registry.states import State
from tests.factories import add_user, approve_all, put_in_production, validated_version
from tests.serving_factories import log_traffic, synthetic_traffic

MODEL = "loan-model"
DANA = "correct horse battery\n"


def _call(capsys, monkeypatch, *args, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _ready(app) -> tuple[int, int]:
    """Version 1 in production, version 2 approved and ready for a canary."""
    first = validated_version(app, MODEL)
    put_in_production(app, MODEL, first)
    second = validated_version(app, MODEL)
    approve_all(app, MODEL, second)
    return first, second


def _served(app, canary_rows: int = 600, **canary):
    since = app.deployments.status(MODEL, live=False).canary.started_at
    log_traffic(app, MODEL, slot="canary", version=2, rows=synthetic_traffic(canary_rows, seed=1, **canary), start=since)
    log_traffic(app, MODEL, slot="production", version=1, rows=synthetic_traffic(3_000, seed=2), start=since)


def test_a_canary_from_start_to_promotion(app, ci_token, capsys, monkeypatch):
    _ready(app)
    code, out, err = _call(capsys, monkeypatch, "canary", "start", MODEL, "2", "--traffic", "15")
    assert code == 0, err
    assert out.strip() == (f"{MODEL} version 2 now takes 15% of live traffic beside production version 1. The judge "
                           f"needs 500 predictions on each side before a pass: `greenlight canary judge {MODEL}`.")
    assert app.registry.serving_state(MODEL).canary_percent == 15.0

    code, out, _ = _call(capsys, monkeypatch, "canary", "judge", MODEL)
    assert code == 0 and "verdict: KEEP WAITING" in out
    code, _, err = _call(capsys, monkeypatch, "canary", "promote", MODEL)
    assert code == 6 and "latest verdict is “keep waiting”" in err

    _served(app)
    code, out, _ = _call(capsys, monkeypatch, "canary", "status", MODEL)
    assert code == 0
    assert "canary:     version 2 at 15% of live traffic, for" in out and "started by dana" in out
    assert "predictions" in out and "600" in out and "3,000" in out
    code, out, _ = _call(capsys, monkeypatch, "canary", "judge", MODEL)
    assert code == 0 and "verdict: PASS" in out and "- Errors: 0.0% of the canary's predictions failed" in out

    code, out, _ = _call(capsys, monkeypatch, "canary", "promote", MODEL)
    assert code == 0 and out.strip() == (f"{MODEL} version 2 now serves all live traffic; version 1 is kept as the "
                                         "rollback target.")
    assert app.registry.get_version(MODEL, 2).state == State.PRODUCTION
    code, out, _ = _call(capsys, monkeypatch, "canary", "status", MODEL, "--json")
    status = json.loads(out)
    assert status["serving"]["production"] == 2 and status["canary"]["outcome"] == "promoted"


def test_an_error_spike_is_rolled_back_by_the_judge(app, ci_token, capsys, monkeypatch):
    _ready(app)
    assert _call(capsys, monkeypatch, "canary", "start", MODEL, "2")[0] == 0
    _served(app, canary_rows=150, error_rate=0.3)
    code, out, _ = _call(capsys, monkeypatch, "canary", "judge", MODEL)
    assert code == 0 and "verdict: FAIL" in out and "The judge rolled it back automatically" in out
    code, out, _ = _call(capsys, monkeypatch, "canary", "status", MODEL)
    assert "last canary: version 2, rolled back automatically by the judge" in out


def test_rollback_and_the_refusals(app, cli_env, capsys, monkeypatch):
    _ready(app)  # dana, the data scientist, has the factories' password
    add_user(app, "vic", "viewer", password="vic's long password")
    for command in (("canary", "start", MODEL, "2"), ("canary", "status", MODEL), ("canary", "judge", MODEL)):
        code, _, err = _call(capsys, monkeypatch, *command)
        assert code == 8 and "GREENLIGHT_TOKEN" in err, command
    code, out, _ = _call(capsys, monkeypatch, "canary", "status", MODEL, "--as", "vic", stdin="vic's long password\n")
    assert code == 0 and "canary:     none" in out and "production: version 1" in out
    code, _, err = _call(capsys, monkeypatch, "canary", "start", MODEL, "2", "--as", "vic",
                         stdin="vic's long password\n")
    assert code == 8 and "may not deploy" in err
    code, _, err = _call(capsys, monkeypatch, "canary", "start", MODEL, "2", "--traffic", "80", "--as", "dana",
                         stdin=DANA)
    assert code == 4 and "at most 50%" in err
    assert app.registry.get_version(MODEL, 2).state == State.APPROVED, "a refused start leaves nothing behind"
    assert _call(capsys, monkeypatch, "canary", "start", MODEL, "2", "--as", "dana", stdin=DANA)[0] == 0
    code, _, err = _call(capsys, monkeypatch, "canary", "rollback", MODEL, "--reason", "no", "--as", "dana",
                         stdin=DANA)
    assert code == 4 and "written reason" in err
    code, out, _ = _call(capsys, monkeypatch, "canary", "rollback", MODEL, "--reason", "Call centre complaints",
                         "--as", "dana", stdin=DANA)
    assert code == 0 and out.strip() == (f"{MODEL} version 2 is rolled back; all live traffic goes to production "
                                         "version 1.")
    code, _, err = _call(capsys, monkeypatch, "canary", "rollback", MODEL, "--reason", "Call centre complaints",
                         "--as", "dana", stdin=DANA)
    assert code == 6 and "has no canary to roll back" in err


def test_an_admin_overrides_with_a_written_reason(app, cli_env, capsys, monkeypatch):
    number = validated_version(app, MODEL)
    approve_all(app, MODEL, number)
    add_user(app, "ada", "admin", password="ada's long password")
    code, _, err = _call(capsys, monkeypatch, "canary", "promote", MODEL, "--version", str(number), "--as", "ada",
                         stdin="ada's long password\n")
    assert code == 6 and "an admin can promote it with a written reason" in err
    code, out, _ = _call(capsys, monkeypatch, "canary", "promote", MODEL, "--version", str(number), "--override-reason",
                         "First deployment: nothing to compare a canary with", "--as", "ada",
                         stdin="ada's long password\n")
    assert code == 0 and out.strip() == f"{MODEL} version {number} now serves all live traffic."
    assert app.registry.audit_log(action_prefix="deployment.promoted")[0].detail["override"].startswith("First")


def test_deploy_export_writes_a_kserve_manifest(app, ci_token, capsys, monkeypatch, tmp_path):
    _ready(app)
    _call(capsys, monkeypatch, "canary", "start", MODEL, "2", "--traffic", "10")
    target = tmp_path / "isvc.yaml"
    code, _, err = _call(capsys, monkeypatch, "deploy", "export", MODEL, "--format", "kserve", "--storage-uri",
                         "s3://models/{model}/{version}", "-o", str(target))
    assert code == 0 and f"Wrote the kserve manifest of {MODEL} to {target}." in err
    manifest = yaml.safe_load(target.read_text())
    assert manifest["kind"] == "InferenceService"
    assert manifest["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert manifest["spec"]["predictor"]["model"]["storageUri"] == f"s3://models/{MODEL}/2"
    code, _, err = _call(capsys, monkeypatch, "deploy", "export", MODEL, "--format", "kserve")
    assert code == 4 and "--storage-uri" in err
