"""Fixtures for the backend tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI reads its settings from the environment: point it at this test's database."""
    monkeypatch.setenv("GREENLIGHT_HOME", str(settings.home))
    monkeypatch.setenv("GREENLIGHT_DB_URL", settings.db_url)
    monkeypatch.setenv("GREENLIGHT_ARTIFACTS", str(settings.artifacts_dir))
    return settings


@pytest.fixture
def ci_token(app, cli_env, monkeypatch):
    """An API token for the data scientist ``dana`` in GREENLIGHT_TOKEN, as a CI runner holds it."""
    from backend.governance.accounts import operator
    from tests.factories import person

    person(app, "dana")
    _token, secret = app.tokens.create(actor=operator(), username="dana")
    monkeypatch.setenv("GREENLIGHT_TOKEN", secret)
    return secret
