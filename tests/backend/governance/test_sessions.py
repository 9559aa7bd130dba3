"""Portal sessions: started by a password, stored hashed, ended by sign-out, expiry or a disabled account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.db.tables import PortalSessionRow
from backend.errors import PermissionDenied
from backend.governance import sessions as sessions_module
from backend.governance.accounts import operator
from tests.factories import add_user

PASSWORD = "correct horse battery"


def test_a_session_signs_its_token_in_until_it_is_ended(app):
    add_user(app, "bea", "business_owner")
    user, token = app.sessions.start("bea", PASSWORD, client="198.51.100.4")
    assert user.username == "bea" and len(token) >= 40
    assert app.sessions.resolve(token).username == "bea"
    assert app.sessions.resolve(token).username == "bea"  # again: a reload, a new tab

    assert app.sessions.end(token) is True
    assert app.sessions.resolve(token) is None
    assert app.sessions.end(token) is False  # ending twice changes nothing
    actions = [(e.action, e.actor, e.detail.get("client")) for e in app.registry.audit_log(action_prefix="session.")]
    assert actions == [("session.ended", "bea", "198.51.100.4"), ("session.started", "bea", "198.51.100.4")]


def test_only_the_tokens_hash_is_stored(app):
    add_user(app, "bea", "business_owner")
    _, token = app.sessions.start("bea", PASSWORD, client="198.51.100.4")
    with app.db.read() as session:
        row = session.execute(select(PortalSessionRow)).scalar_one()
    assert token not in (row.token_hash, row.username, row.client)
    assert app.sessions.resolve(row.token_hash) is None  # the stored value is not a key


def test_a_wrong_password_starts_no_session_and_is_throttled(app):
    add_user(app, "bea", "business_owner")
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            app.sessions.start("bea", "not the password", client="198.51.100.4")
    with pytest.raises(PermissionDenied) as caught:
        app.sessions.start("bea", PASSWORD, client="198.51.100.4")
    assert caught.value.code == "sign_in_locked"
    with app.db.read() as session:
        assert session.execute(select(PortalSessionRow)).first() is None


@pytest.mark.parametrize("token", [None, "", "made-up", "x" * 5000])
def test_no_or_unknown_token_is_nobody(app, token):
    assert app.sessions.resolve(token) is None
    assert app.sessions.end(token) is False


def test_an_expired_session_is_nobody(app, monkeypatch):
    add_user(app, "bea", "business_owner")
    _, token = app.sessions.start("bea", PASSWORD, client="198.51.100.4")
    later = sessions_module.utcnow() + sessions_module.SESSION_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(sessions_module, "utcnow", lambda: later)
    assert app.sessions.resolve(token) is None
    assert app.sessions.end(token) is False


def test_a_disabled_account_is_signed_out_and_its_new_roles_apply_at_once(app):
    add_user(app, "bea", "business_owner")
    _, token = app.sessions.start("bea", PASSWORD, client="198.51.100.4")
    app.accounts.set_roles("bea", ["risk"], actor=operator())
    assert app.sessions.resolve(token).roles == ("risk",)
    app.accounts.set_disabled("bea", True, actor=operator())
    assert app.sessions.resolve(token) is None


def test_each_sign_in_is_its_own_session(app):
    add_user(app, "bea", "business_owner")
    _, first = app.sessions.start("bea", PASSWORD, client="198.51.100.4")
    _, second = app.sessions.start("bea", PASSWORD, client="198.51.100.5")
    assert first != second
    app.sessions.end(first)
    assert app.sessions.resolve(first) is None and app.sessions.resolve(second).username == "bea"
