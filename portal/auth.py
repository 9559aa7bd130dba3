"""Who is using the portal.

Sign-in is Greenlight's own accounts (name and password), or Streamlit's OpenID Connect
login (``st.login``) when an ``[auth]`` section is configured; roles always come from
Greenlight's accounts (an OIDC identity is matched by e-mail).

A password sign-in is a session held by the browser in an HttpOnly cookie, set by the
``/signin`` route (:mod:`portal.sign_in_routes`), so it survives a reload and a new tab. Every
script run resolves that cookie afresh against the database: an ended or expired session, a
disabled account or a changed role takes effect at once. The backend checks every action
again: hiding a button here is a courtesy, not the control.

AppTest cannot send cookies, so the tests name the signed-in account in
``st.session_state[SESSION_KEY]``; the portal itself never sets that key, and a browser cannot.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from backend.domain import User
from backend.errors import GreenlightError, NotFound
from portal import data
from portal.errors import show_error
from portal.sign_in_routes import CSRF_COOKIE, SESSION_COOKIE, sign_in_form_html
from portal.wording import escape_markdown

__all__ = ["SESSION_KEY", "current_user", "sign_out", "require_user", "sign_in_form", "oidc_configured"]

SESSION_KEY = "greenlight_user"
_PROBLEM_KEY = "greenlight_sign_in_problem"
_SIGNED_OUT_KEY = "greenlight_signed_out"


def oidc_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has an ``[auth]`` section for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _oidc_user() -> User | None:
    if not oidc_configured() or not st.user.get("is_logged_in", False):
        return None
    email = st.user.get("email")
    user = data.get_app().accounts.find_by_email(email) if email else None
    if user is None:
        st.session_state[_PROBLEM_KEY] = (
            f"You are signed in as {email or 'an identity without e-mail'}, but Greenlight has no account with "
            "that e-mail. Ask an administrator to create one.")
    return user


def _cookie(name: str) -> str | None:
    value = st.context.cookies.get(name)
    # Under AppTest there is no browser: its stand-in client answers with mock objects.
    return value if isinstance(value, str) else None


def _session_token() -> str | None:
    return _cookie(SESSION_COOKIE)


def current_user() -> User | None:
    """The signed-in, enabled account, or None."""
    token = _session_token()
    if token:
        user = data.get_app().sessions.resolve(token)
        if user is not None:
            return user
    user = _test_user() or _oidc_user()
    if user is not None and not user.disabled:
        return user
    if token and not st.session_state.get(_SIGNED_OUT_KEY):
        st.session_state[_PROBLEM_KEY] = "Your session has ended (it expired or was signed out). Please sign in again."
    return None


def _test_user() -> User | None:
    """The account a test named in ``st.session_state[SESSION_KEY]`` (AppTest sends no cookies)."""
    username = st.session_state.get(SESSION_KEY)
    if not username:
        return None
    try:
        user = data.get_app().accounts.get_user(username)
    except NotFound:
        user = None
    if user is None or user.disabled:
        st.session_state.pop(SESSION_KEY, None)
        return None
    return user


def sign_out() -> None:
    """End the session in the database, so its cookie no longer signs anyone in, in any tab."""
    data.get_app().sessions.end(_session_token())
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[_SIGNED_OUT_KEY] = True
    if oidc_configured() and st.user.get("is_logged_in", False):
        st.logout()


def require_user() -> User:
    """The current account; otherwise the sign-in form, and the page stops.

    The form appears on the page that was asked for and sends the person back to it, query
    and all, so a deep link still leads there once they have signed in.
    """
    try:
        user = current_user()
    except GreenlightError as exc:
        show_error(exc)
        st.stop()
    if user is None:
        sign_in_form()
        st.stop()
    return user


def _this_page() -> str:
    """The path and query of the page being shown, to come back to after signing in."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = st.query_params.to_dict()
    return path + (f"?{urlencode(query)}" if query else "")


def sign_in_form() -> None:
    st.title("Sign in to Greenlight")
    st.caption("Greenlight shows every machine-learning model on its way to production: what it is for, "
               "how it was checked, and who signed it off.")
    if st.session_state.pop(_SIGNED_OUT_KEY, False):
        st.success("You are signed out.", icon=":material/logout:")
    problem = st.session_state.pop(_PROBLEM_KEY, None)
    if problem:
        st.warning(escape_markdown(problem))
    st.html(sign_in_form_html(csrf=_cookie(CSRF_COOKIE) or "", next_path=_this_page()))
    if oidc_configured():
        st.divider()
        st.caption("Or use your organisation's single sign-on; your roles come from your Greenlight account.")
        if st.button("Sign in with single sign-on"):
            st.login()
