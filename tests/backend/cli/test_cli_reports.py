"""The command line on reports: failed checks named, acknowledgements, artifacts exported safely."""

from __future__ import annotations

import hashlib
import io

from backend.cli import main
from tests.factories import add_user, fairness_fail_report, validated_version


def _call(capsys, monkeypatch, *args, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _failing_version(app) -> None:
    add_user(app, "bea", "business_owner", password="bea-password-1")
    validated_version(app, author="dana", roles=("business_owner",), fairness=fairness_fail_report(failed=1, passed=1))
    app.signoffs.request("loan-model", 1, actor="pipeline")


def test_version_names_the_failed_fairness_checks(app, cli_env, capsys, monkeypatch):
    _failing_version(app)
    code, out, _ = _call(capsys, monkeypatch, "version", "loan-model", "1")
    assert code == 0
    assert "stage reports: done, with 1 failed fairness check" in out
    assert "✘ failed fairness check sex:demographic_parity_ratio — Demographic parity ratio for sex is 0.50" in out
    assert "stage reports: passed" not in out


def test_an_approval_acknowledges_each_failed_check_from_the_command_line(app, cli_env, capsys, monkeypatch):
    _failing_version(app)
    args = ("signoff", "decide", "loan-model", "1", "--as", "bea", "--decision", "approve")
    code, _, err = _call(capsys, monkeypatch, *args, stdin="bea-password-1\n")
    assert code == 4 and "needs a written acknowledgement of each failed fairness check" in err
    assert "sex:demographic_parity_ratio: Check 0 of sex." in err  # what to acknowledge is listed
    code, out, _ = _call(capsys, monkeypatch, *args, "--acknowledge",
                         "sex:demographic_parity_ratio=The gap follows the applicants; monitored monthly.",
                         stdin="bea-password-1\n")
    assert code == 0 and "now approved" in out
    (signoff,) = app.signoffs.status("loan-model", 1).signoffs
    assert signoff.acknowledgements == {
        "sex:demographic_parity_ratio": "The gap follows the applicants; monitored monthly."}


def test_artifact_get_writes_the_verified_bytes(app, cli_env, capsys, monkeypatch, tmp_path):
    _failing_version(app)
    ref = app.registry.get_artifact("loan-model", 1, "fairness_report")
    target = tmp_path / "fairness.json"
    code, _, err = _call(capsys, monkeypatch, "artifact", "get", "loan-model", "1", "fairness_report", "-o",
                         str(target))
    assert code == 0 and f"sha256 {ref.sha256}" in err
    assert hashlib.sha256(target.read_bytes()).hexdigest() == ref.sha256


def test_artifact_get_refuses_a_changed_file_and_writes_nothing(app, cli_env, capsys, monkeypatch, tmp_path):
    _failing_version(app)
    ref = app.registry.get_artifact("loan-model", 1, "model")
    path = app.artifacts.path_of(ref)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    target = tmp_path / "model.skops"
    code, out, err = _call(capsys, monkeypatch, "artifact", "get", "loan-model", "1", "model", "-o", str(target))
    assert code == 5 and "changed after it was stored" in err
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    code, _, err = _call(capsys, monkeypatch, "artifact", "get", "loan-model", "1", "nope")
    assert code == 3 and "has no 'nope' artifact" in err
