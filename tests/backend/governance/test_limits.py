"""The organisation's limits: sane defaults, raised by an admin (service or command line), audited,
never lost when another part of the policy changes."""

from __future__ import annotations

import io

import pytest

from backend.cli import main
from backend.db.tables import OrgPolicyRow
from backend.errors import InvalidData, PermissionDenied
from backend.governance.accounts import operator
from backend.governance.limits import DEFAULT_LIMITS, LIMIT_INFO, Limits
from tests.factories import add_user


def test_defaults_are_in_force_until_an_admin_changes_them(app):
    assert app.org_policy.current()["limits"] == DEFAULT_LIMITS
    assert app.org_policy.limits() == Limits()
    assert DEFAULT_LIMITS == {"max_data_mb": 1_000, "max_rows": 5_000_000, "max_columns": 1_000,
                              "max_train_seconds": 3_600, "max_train_memory_mb": 8_192}


def test_an_admin_raises_a_limit_and_it_is_audited(app):
    doc = app.org_policy.current()
    doc["limits"]["max_rows"] = 20_000_000
    app.org_policy.update(doc, actor=operator())
    assert app.org_policy.limits().max_rows == 20_000_000
    entry = app.registry.audit_log(action_prefix="policy.")[0]
    assert entry.detail["from"]["limits"]["max_rows"] == 5_000_000 and entry.detail["to"]["limits"]["max_rows"] == 20_000_000


def test_only_an_admin_changes_the_limits(app):
    viewer = add_user(app, "vic", "viewer")
    doc = app.org_policy.current()
    doc["limits"]["max_rows"] = 1
    with pytest.raises(PermissionDenied):
        app.org_policy.update(doc, actor=viewer)
    assert app.org_policy.limits().max_rows == Limits().max_rows


@pytest.mark.parametrize("value", [0, -5, 2.5, "many", True, 10**12])
def test_a_bad_limit_is_refused_naming_it(app, value):
    doc = app.org_policy.current()
    doc["limits"]["max_columns"] = value
    with pytest.raises(InvalidData, match=r"limits.max_columns \(columns in each data file\) must be a whole number"):
        app.org_policy.update(doc, actor=operator())


def test_an_unknown_limit_is_refused(app):
    doc = app.org_policy.current()
    doc["limits"]["max_gpus"] = 4
    with pytest.raises(InvalidData, match="limits.max_gpus is not a limit Greenlight knows"):
        app.org_policy.update(doc, actor=operator())


def test_changing_the_sign_off_roles_keeps_the_limits(app):
    doc = app.org_policy.current()
    doc["limits"]["max_train_seconds"] = 7_200
    app.org_policy.update(doc, actor=operator())
    # What the portal's policy form sends: roles and days, no limits.
    app.org_policy.update({"signoff_roles_by_tier": {"low": ["risk"], "medium": ["risk"], "high": ["risk"]},
                           "expires_days": 30}, actor=operator())
    assert app.org_policy.limits().max_train_seconds == 7_200


def test_a_policy_stored_before_limits_existed_gets_the_defaults(app):
    with app.db.write() as session:
        session.add(OrgPolicyRow(doc={"signoff_roles_by_tier": {"low": ["risk"], "medium": ["risk"], "high": ["risk"]},
                                      "expires_days": 90}, actor="old-admin"))
    assert app.org_policy.current()["limits"] == DEFAULT_LIMITS and app.org_policy.current()["expires_days"] == 90


def _call(capsys, monkeypatch, *args):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_policy_set_raises_limits_from_the_command_line(app, cli_env, capsys, monkeypatch):
    code, _, _ = _call(capsys, monkeypatch, "policy", "set", "--max-rows", "12000000", "--max-data-mb", "4000",
                       "--max-train-memory-mb", "16384")
    assert code == 0
    assert app.org_policy.limits() == Limits(max_rows=12_000_000, max_data_mb=4_000, max_train_memory_mb=16_384)
    code, out, _ = _call(capsys, monkeypatch, "policy", "show")
    assert code == 0 and "limits.max_rows" in out and "12,000,000" in out and LIMIT_INFO["max_rows"].meaning in out
    code, _, err = _call(capsys, monkeypatch, "policy", "set", "--max-columns", "0")
    assert code == 4 and "limits.max_columns" in err
    assert app.org_policy.limits().max_columns == Limits().max_columns
