"""Accounts: argon2 hashes, roles, disabling, and who may manage them."""

from __future__ import annotations

import pytest

from backend.errors import Conflict, InvalidData, NotFound, PermissionDenied
from backend.governance.accounts import operator
from backend.governance.permissions import can, require
from tests.factories import add_user


def test_add_and_authenticate(app):
    user = add_user(app, "bea", "business_owner", email="Bea@Example.com")
    assert user.roles == ("business_owner",) and user.email == "bea@example.com"
    assert app.accounts.authenticate("bea", "correct horse battery").username == "bea"
    assert app.accounts.find_by_email("BEA@example.com").username == "bea"
    with app.db.read() as session:
        from sqlalchemy import text

        stored = session.execute(text("SELECT password_hash FROM users WHERE username = 'bea'")).scalar_one()
    assert stored.startswith("$argon2") and "correct horse" not in stored


def test_wrong_password_and_unknown_user_get_the_same_message(app):
    add_user(app, "bea", "business_owner")
    for username, password in (("bea", "wrong password!"), ("nobody", "correct horse battery")):
        with pytest.raises(PermissionDenied) as caught:
            app.accounts.authenticate(username, password)
        assert caught.value.message == "Wrong user name or password." and caught.value.code == "login_failed"


def test_disabled_account_cannot_sign_in(app):
    add_user(app, "ada", "admin")
    add_user(app, "bea", "business_owner")
    admin = app.accounts.get_user("ada")
    app.accounts.set_disabled("bea", True, actor=admin)
    with pytest.raises(PermissionDenied, match="is disabled"):
        app.accounts.authenticate("bea", "correct horse battery")
    with pytest.raises(PermissionDenied, match="your own account"):
        app.accounts.set_disabled("ada", True, actor=admin)


def test_only_admins_manage_accounts(app):
    add_user(app, "dana", "data_scientist")
    dana = app.accounts.get_user("dana")
    with pytest.raises(PermissionDenied, match="needs the .admin. role"):
        app.accounts.add_user("eve", "long enough password", ["admin"], actor=dana)
    with pytest.raises(PermissionDenied):
        app.accounts.set_roles("dana", ["admin"], actor=dana)
    assert app.accounts.get_user("dana").roles == ("data_scientist",)


def test_set_roles_and_audit(app):
    add_user(app, "rick", "viewer")
    app.accounts.set_roles("rick", ["risk", "compliance"], actor=operator())
    assert app.accounts.get_user("rick").roles == ("risk", "compliance")
    entries = app.registry.audit_log(action_prefix="account.")
    assert [e.action for e in entries] == ["account.roles", "account.created"]
    assert entries[0].detail == {"username": "rick", "from": ["viewer"], "to": ["risk", "compliance"]}


def test_bad_account_input(app):
    with pytest.raises(InvalidData, match="at least 10 characters"):
        app.accounts.add_user("bea", "short", ["risk"], actor=operator())
    with pytest.raises(InvalidData, match="at least one role"):
        app.accounts.add_user("bea", "long enough password", [], actor=operator())
    with pytest.raises(PermissionDenied, match="not a valid role name"):
        app.accounts.add_user("bea", "long enough password", ["Risk Officer"], actor=operator())
    with pytest.raises(InvalidData, match="user name uses letters"):
        app.accounts.add_user("<b>x</b>", "long enough password", ["risk"], actor=operator())
    add_user(app, "bea", "risk")
    with pytest.raises(Conflict, match="already exists"):
        add_user(app, "bea", "risk")
    with pytest.raises(NotFound, match="no account named 'zed'"):
        app.accounts.get_user("zed")


def test_display_names_with_markup_are_stored_as_written(app):
    user = app.accounts.add_user("mallory", "long enough password", ["viewer"], actor=operator(),
                                 display_name="<img src=x onerror=alert(1)>")
    assert app.accounts.get_user("mallory").display_name == "<img src=x onerror=alert(1)>" == user.display_name


def test_permission_pairs(app):
    viewer = add_user(app, "vic", "viewer")
    scientist = add_user(app, "dana", "data_scientist")
    admin = add_user(app, "ada", "admin")
    assert not can(viewer, "run_pipeline") and not can(viewer, "deploy")
    assert can(scientist, "run_pipeline") and can(scientist, "deploy") and not can(scientist, "manage_users")
    assert not can(scientist, "override_deployment") and can(admin, "override_deployment")
    assert not can(admin, "run_pipeline"), "versions are authored by data scientists"
    assert not can(None, "run_pipeline")
    with pytest.raises(PermissionDenied, match="Please sign in first"):
        require(None, "deploy")


def test_the_last_active_admin_cannot_lose_the_role(app):
    ada = add_user(app, "ada", "admin")
    with pytest.raises(PermissionDenied) as caught:
        app.accounts.set_roles("ada", ["viewer"], actor=ada)
    assert caught.value.code == "last_admin"
    add_user(app, "max", "admin")
    app.accounts.set_roles("ada", ["viewer"], actor=ada)
    with pytest.raises(PermissionDenied, match="last active admin"):
        app.accounts.set_disabled("max", True, actor=operator())


def test_a_stale_user_object_carries_no_old_powers(app):
    ada = add_user(app, "ada", "admin")
    add_user(app, "max", "admin")
    app.accounts.set_roles("ada", ["viewer"], actor=operator())
    with pytest.raises(PermissionDenied, match="needs the 'admin' role"):
        app.accounts.add_user("eve", "long enough password", ["admin"], actor=ada)  # ada's object still says admin
    forged = type(ada)(username="ghost", display_name="ghost", email=None, roles=("admin",), disabled=False)
    with pytest.raises(PermissionDenied, match="no account named 'ghost'"):
        app.org_policy.update(app.org_policy.current(), actor=forged)
