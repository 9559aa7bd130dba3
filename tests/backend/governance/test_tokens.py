"""API tokens: shown once, stored hashed, listed, revocable, expiring, audited."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from backend.errors import Conflict, PermissionDenied
from backend.governance.accounts import operator
from tests.factories import person


def test_a_token_acts_as_its_account_and_only_its_hash_is_stored(app):
    dana = person(app, "dana")
    token, secret = app.tokens.create(actor=operator(), username="dana", expires_days=30)
    assert secret.startswith("glt_") and len(secret) > 40
    assert app.tokens.authenticate(secret) == dana
    with app.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, prefix FROM api_tokens")).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored
    listed = app.tokens.list()
    assert [(t.id, t.username, t.prefix) for t in listed] == [(token.id, "dana", secret[:12])]
    assert listed[0].last_used_at is not None and listed[0].expires_at is not None


def test_revoked_expired_and_unknown_tokens_are_refused_alike(app):
    person(app, "dana")
    revoked, secret_1 = app.tokens.create(actor=operator(), username="dana")
    _, secret_2 = app.tokens.create(actor=operator(), username="dana", expires_days=1)
    app.tokens.revoke(revoked.id, actor=operator())
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET expires_at = :past WHERE revoked_at IS NULL"),
                     {"past": "2020-01-01 00:00:00"})
    for secret in (secret_1, secret_2, "glt_guess", ""):
        with pytest.raises(PermissionDenied, match="unknown, revoked or expired") as caught:
            app.tokens.authenticate(secret)
        assert caught.value.exit_code == 8
    assert app.tokens.list() == [] and len(app.tokens.list(include_inactive=True)) == 2
    assert [e.action for e in app.registry.audit_log(action_prefix="token.")] == [
        "token.revoked", "token.created", "token.created"]


def test_a_disabled_account_cannot_use_its_token(app):
    person(app, "dana")
    _, secret = app.tokens.create(actor=operator(), username="dana")
    app.accounts.set_disabled("dana", True, actor=operator())
    with pytest.raises(PermissionDenied, match="disabled"):
        app.tokens.authenticate(secret)
    with pytest.raises(Conflict, match="disabled"):
        app.tokens.create(actor=operator(), username="dana")


def test_only_admins_create_tokens_and_client_tokens_are_not_people(app):
    dana = person(app, "dana")
    with pytest.raises(PermissionDenied, match="manage users"):
        app.tokens.create(actor=dana, username="dana")
    _, secret = app.tokens.create(actor=operator(), client="checkout-service")
    assert app.tokens.authenticate_client(secret) == "checkout-service"
    with pytest.raises(PermissionDenied, match="client application"):
        app.tokens.authenticate(secret)
