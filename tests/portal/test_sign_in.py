"""Signing in and out on the portal's pages (AppTest).

AppTest cannot send cookies, so a test that needs a browser's session cookie hands the portal
the token of a real session (started through the backend, as the ``/signin`` route does);
the route itself is tested in ``test_sign_in_routes.py`` and in a real browser in
``tests/browser/test_sessions_browser.py``.
"""

from __future__ import annotations

import html
import re

import pytest

from portal import auth as portal_auth
from tests.factories import add_user
from tests.portal.helpers import button, no_exception, open_page, portal

PASSWORD = "correct horse battery"


def _form(at) -> str:
    [form] = [h.value for h in at.get("html") if 'action="/signin"' in h.value]
    return form


def test_nobody_signed_in_gets_a_form_that_comes_back_to_the_deep_link(registry_env):
    at = portal()
    at.context["url"] = "http://localhost:8501/model"
    at.run()
    at.query_params.update({"model": "credit-risk", "version": "2"})
    at.switch_page("../pages/model.py")
    at.run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    form = _form(at)
    assert 'method="post"' in form and 'type="password"' in form
    assert html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1)) == \
        "/model?model=credit-risk&version=2"


def test_a_hostile_deep_link_cannot_break_out_of_the_form(registry_env):
    at = portal()
    at.query_params["model"] = '"><a href="https://evil.example/">x</a>'
    at.run()
    form = _form(no_exception(at))
    assert "<a " not in form and "evil.example/\"" not in form


@pytest.fixture
def session_cookie(monkeypatch):
    """Play the browser: the session cookie the portal sees on every run (None: no cookie)."""
    cookie = {"token": None}
    monkeypatch.setattr(portal_auth, "_session_token", lambda: cookie["token"])
    return cookie


def test_a_session_cookie_signs_in_every_new_tab_until_sign_out_ends_it(registry_env, session_cookie):
    add_user(registry_env, "bea", "business_owner")
    _, session_cookie["token"] = registry_env.sessions.start("bea", PASSWORD, client="198.51.100.4")

    for _ in range(2):  # two tabs, or a reload: each is a new Streamlit session
        at = open_page(user=None)
        assert "Model portfolio" in [t.value for t in at.title]
        assert "**bea**" in [m.value for m in at.sidebar.markdown]

    button(at, "Sign out").click().run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    assert [s.value for s in at.success] == ["You are signed out."]
    assert registry_env.sessions.resolve(session_cookie["token"]) is None
    assert [e.action for e in registry_env.registry.audit_log(action_prefix="session.")] == \
        ["session.ended", "session.started"]

    at = open_page(user=None)  # the other tab, or the same cookie sent again
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    assert [w.value for w in at.warning] == ["Your session has ended (it expired or was signed out). "
                                             "Please sign in again."]


def test_a_disabled_account_loses_its_session_at_once(registry_env, session_cookie):
    from backend.governance.accounts import operator

    add_user(registry_env, "bea", "business_owner")
    _, session_cookie["token"] = registry_env.sessions.start("bea", PASSWORD, client="198.51.100.4")
    assert "Model portfolio" in [t.value for t in open_page(user=None).title]
    registry_env.accounts.set_disabled("bea", True, actor=operator())
    assert [t.value for t in open_page(user=None).title] == ["Sign in to Greenlight"]


def test_a_made_up_cookie_signs_nobody_in(registry_env, session_cookie):
    session_cookie["token"] = "made-up"
    at = open_page(user=None)
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
