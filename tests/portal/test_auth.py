"""Single sign-on (Streamlit's OpenID Connect login): identity from the provider, roles from
Greenlight's own accounts, matched by e-mail."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).resolve().parents[2] / "portal" / "app.py"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "greenlight", "client_secret": "s3cret",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}


def _portal(user: dict) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_single_sign_on_identity_gets_the_roles_of_the_matching_account(demo_settings):
    at = _portal({"is_logged_in": True, "email": "Rick@Greenlight.example", "name": "Rick"})
    assert "Model portfolio" in [t.value for t in at.title]
    assert any("risk" in c.value for c in at.sidebar.caption)


def test_single_sign_on_identity_without_an_account_is_told_so(demo_settings):
    at = _portal({"is_logged_in": True, "email": "stranger@example.com"})
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    assert any("no account with that e-mail" in w.value for w in at.warning)


def test_sign_in_page_offers_single_sign_on_when_configured(demo_settings):
    at = _portal({"is_logged_in": False})
    assert [b.label for b in at.button if "single sign-on" in b.label] == ["Sign in with single sign-on"]


def test_no_single_sign_on_button_without_configuration(demo_settings):
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    at.run()
    assert not [b for b in at.button if "single sign-on" in b.label]
