"""The CLI's ``--as USER`` password prompt is throttled like the portal's sign-in: as one client,
"command line"."""

from __future__ import annotations

import io

from backend.cli import main
from tests.factories import add_user, validated_version


def _decide(capsys, monkeypatch, password: str) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code = main(["signoff", "decide", "loan-model", "1", "--as", "bea", "--decision", "approve"])
    return code, capsys.readouterr().err


def test_wrong_passwords_at_the_command_line_lock_the_account_out(app, cli_env, capsys, monkeypatch):
    add_user(app, "bea", "business_owner", password="bea's long password")
    validated_version(app, author="dana")
    app.signoffs.request("loan-model", 1, actor="pipeline")
    for _ in range(4):
        code, err = _decide(capsys, monkeypatch, "a wrong guess")
        assert code == 8 and err.startswith("error: Wrong user name or password. (details: ") and err.count("\n") == 1
    code, err = _decide(capsys, monkeypatch, "a wrong guess")
    assert code == 8 and "Too many failed sign-ins for this account. Try again after" in err

    code, err = _decide(capsys, monkeypatch, "bea's long password")
    assert code == 8 and "Too many failed sign-ins for this account" in err
    assert app.signoffs.status("loan-model", 1).state == "awaiting_signoff"
    failed = app.registry.audit_log(action_prefix="sign_in.failed")
    assert len(failed) == 5 and {e.detail["client"] for e in failed} == {"command line"}
