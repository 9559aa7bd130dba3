"""Who is using the portal.

Sign-in is Greenlight's own accounts (name and password), or Streamlit's OpenID Connect
login (``st.login``) when an ``[auth]`` section is configured; roles always come from
Greenlight's accounts (an OIDC identity is matched by e-mail). The account is read afresh on
every run, so a changed role or a disabled account takes effect at once. The backend checks
every action again: hiding a button here is a courtesy, not the control.
"""

from __future__ import annotations

import streamlit as st

from backend.domain import User
from backend.errors import GreenlightError, NotFound
from portal import data

__all__ = ["SESSION_KEY", "current_user", "sign_in", "sign_out", "require_user", "sign_in_form", "oidc_configured"]

SESSION_KEY = "greenlight_user"


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
        st.session_state["greenlight_sign_in_problem"] = (
            f"You are signed in as {email or 'an identity without e-mail'}, but Greenlight has no account with "
            "that e-mail. Ask an administrator to create one.")
    return user


def current_user() -> User | None:
    """The signed-in, enabled account, or None."""
    username = st.session_state.get(SESSION_KEY)
    if username:
        try:
            user = data.get_app().accounts.get_user(username)
        except NotFound:
            user = None
        if user is None or user.disabled:
            sign_out()
            return None
        return user
    user = _oidc_user()
    if user is not None and not user.disabled:
        return user
    return None


def sign_in(username: str, password: str) -> User:
    """Check the password with the backend and remember the account; raises on failure."""
    user = data.get_app().accounts.authenticate(username.strip(), password)
    st.session_state[SESSION_KEY] = user.username
    return user


def sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)


def require_user() -> User:
    """The current account; otherwise the sign-in form, and the page stops.

    The form appears on the page that was asked for, so a deep link still leads there once
    the person has signed in.
    """
    try:
        user = current_user()
    except GreenlightError as exc:
        st.error(exc.message)
        st.stop()
    if user is None:
        sign_in_form()
        st.stop()
    return user


def sign_in_form() -> None:
    st.title("Sign in to Greenlight")
    st.caption("Greenlight shows every machine-learning model on its way to production: what it is for, "
               "how it was checked, and who signed it off.")
    problem = st.session_state.pop("greenlight_sign_in_problem", None)
    if problem:
        st.warning(problem)
    with st.form("sign_in"):
        username = st.text_input("User name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            sign_in(username, password)
        except GreenlightError as exc:
            st.error(exc.message, icon=":material/lock:")
        else:
            st.rerun()
    if oidc_configured():
        st.divider()
        st.caption("Or use your organisation's single sign-on; your roles come from your Greenlight account.")
        if st.button("Sign in with single sign-on"):
            st.login()
