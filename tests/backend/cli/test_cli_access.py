"""Accounts, sign-offs, policy and audit from the command line."""

from __future__ import annotations

import io
import json

from backend.cli import main
from tests.factories import add_user, validated_version


def _call(capsys, monkeypatch, *args, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_add_list_set_role_disable(app, cli_env, capsys, monkeypatch):
    code, out, _ = _call(capsys, monkeypatch, "users", "add", "bea", "--role", "business_owner", "--email",
                         "bea@example.com", stdin="a long password\n")
    assert code == 0 and "Created bea with role business_owner" in out
    assert app.accounts.authenticate("bea", "a long password").username == "bea"
    code, out, _ = _call(capsys, monkeypatch, "users", "set-role", "bea", "--role", "risk", "--role", "compliance")
    assert code == 0 and "risk, compliance" in out
    code, out, _ = _call(capsys, monkeypatch, "users", "list", "--json")
    assert json.loads(out)[0]["roles"] == ["risk", "compliance"]
    code, out, _ = _call(capsys, monkeypatch, "users", "disable", "bea")
    assert code == 0 and app.accounts.get_user("bea").disabled
    code, _, err = _call(capsys, monkeypatch, "users", "add", "kim", "--role", "viewer", stdin="short\n")
    assert code == 4 and "at least 10 characters" in err
    actors = {e.actor for e in app.registry.audit_log(action_prefix="account.")}
    assert len(actors) == 1 and next(iter(actors)).endswith("(command line)")


def test_signoff_decide_from_the_command_line(app, cli_env, capsys, monkeypatch):
    add_user(app, "bea", "business_owner", password="bea's long password")
    add_user(app, "rick", "risk", password="rick's long password")
    add_user(app, "dana", "data_scientist", "risk", password="dana's long password")
    number = validated_version(app, author="dana")
    app.signoffs.request("loan-model", number, actor="pipeline")

    code, out, _ = _call(capsys, monkeypatch, "signoff", "list")
    assert code == 0 and "loan-model version 1 (author dana): waiting for business_owner, risk" in out

    code, _, err = _call(capsys, monkeypatch, "signoff", "decide", "loan-model", "1", "--as", "bea", "--decision",
                         "approve", stdin="wrong password\n")
    assert code == 8 and "Wrong user name or password." in err

    code, _, err = _call(capsys, monkeypatch, "signoff", "decide", "loan-model", "1", "--as", "dana", "--decision",
                         "approve", stdin="dana's long password\n")
    assert code == 8 and "four-eyes" in err

    code, out, err = _call(capsys, monkeypatch, "signoff", "decide", "loan-model", "1", "--as", "bea",
                           "--decision", "conditions", "--condition", "Review after 3 months",
                           stdin="bea's long password\n")
    assert code == 0 and "still waiting for risk" in out and "model: sha256" in err
    code, out, _ = _call(capsys, monkeypatch, "signoff", "decide", "loan-model", "1", "--as", "rick",
                         "--decision", "approve", "--comment", "ok", stdin="rick's long password\n")
    assert code == 0 and "is now approved" in out
    condition = app.signoffs.status("loan-model", 1).open_conditions[0]
    code, out, _ = _call(capsys, monkeypatch, "conditions", "close", str(condition.id), "--as", "bea", "--note",
                         "reviewed", stdin="bea's long password\n")
    assert code == 0 and "is closed" in out


def test_reject_without_reason_is_refused(app, cli_env, capsys, monkeypatch):
    add_user(app, "rick", "risk", password="rick's long password")
    validated_version(app, author="dana")
    app.signoffs.request("loan-model", 1, actor="pipeline")
    code, _, err = _call(capsys, monkeypatch, "signoff", "decide", "loan-model", "1", "--as", "rick", "--decision",
                         "reject", stdin="rick's long password\n")
    assert code == 4 and "needs a reason" in err
    assert app.registry.get_version("loan-model", 1).state == "awaiting_signoff"


def test_policy_show_and_set(app, cli_env, capsys, monkeypatch):
    code, out, _ = _call(capsys, monkeypatch, "policy", "show")
    assert code == 0 and "high    risk: business_owner, risk, compliance" in out
    code, _, _ = _call(capsys, monkeypatch, "policy", "set", "--tier", "low", "--roles", "risk", "--expires-days", "90")
    assert code == 0
    current = app.org_policy.current()
    assert {k: current[k] for k in ("signoff_roles_by_tier", "expires_days", "data_roots")} == {
        "signoff_roles_by_tier": {"low": ["risk"], "medium": ["business_owner", "risk"],
                                  "high": ["business_owner", "risk", "compliance"]},
        "expires_days": 90, "data_roots": []}
    assert app.registry.audit_log(action_prefix="policy.")[0].detail["to"]["expires_days"] == 90
    code, _, err = _call(capsys, monkeypatch, "policy", "set", "--expires-days", "0")
    assert code == 4 and "expires_days" in err


def test_audit_list_csv(app, cli_env, capsys, monkeypatch):
    add_user(app, "bea", "business_owner")
    code, out, _ = _call(capsys, monkeypatch, "audit", "list", "--csv")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("seq,at,actor,action") and "account.created" in lines[1]
