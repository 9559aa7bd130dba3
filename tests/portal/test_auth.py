"""Single sign-on (Streamlit's OpenID Connect login): identity from the provider, roles from
Greenlight's own accounts, matched by e-mail."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.portal.helpers import no_exception, portal

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "greenlight", "client_secret": "s3cret",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}


def _portal(user: dict) -> AppTest:
    at = portal()
    at.secrets["auth"] = AUTH
    at.user = user
    at.run()
    return no_exception(at)


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
    at = portal()
    at.run()
    assert not [b for b in at.button if "single sign-on" in b.label]
