"""Administration: accounts and roles, and the organisation's sign-off policy.

Every change goes through the backend, which checks that the person acting is an admin and
writes the change to the audit log; the page only collects the input and shows the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from backend.domain import User
from backend.errors import InvalidData
from backend.governance.accounts import MIN_PASSWORD_LENGTH
from backend.governance.permissions import BUILTIN_ROLES, REVIEWER_ROLES
from portal import data
from portal.errors import show_error
from portal.signoff_wording import role_explanation, role_label, role_list
from portal.wording import escape_markdown, format_when

__all__ = ["accounts_section", "policy_section", "known_roles"]

_FLASH = "admin_flash"
_ADD_FIELDS = ("add_username", "add_display_name", "add_email", "add_password", "add_password_again", "add_roles")
_TIERS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk"}


def known_roles(users: list[User], policy: dict[str, Any]) -> list[str]:
    """Greenlight's roles, the default reviewer roles, and any other role in use."""
    extra = {r for u in users for r in u.roles}
    extra |= {r for roles in (policy.get("signoff_roles_by_tier") or {}).values() for r in roles}
    ordered = [*BUILTIN_ROLES, *REVIEWER_ROLES]
    return ordered + sorted(extra - set(ordered))


def _act(section: str, change: Callable[[], Any], success: str) -> None:
    """Run one backend change. A refusal shows where the admin is looking and keeps what they
    typed; a success is remembered for the next run, which shows the new state."""
    try:
        change()
    except Exception as exc:
        show_error(exc)
        return
    st.session_state[_FLASH] = (section, success)
    data.refresh()
    st.rerun()


def _show_flash(section: str) -> None:
    flash = st.session_state.get(_FLASH)
    if not flash or flash[0] != section:
        return
    st.session_state.pop(_FLASH)
    st.success(escape_markdown(flash[1]), icon=":material/check_circle:")


def accounts_section(admin: User, users: list[User], roles: list[str]) -> None:
    st.header("Accounts")
    st.caption("Who can sign in, and what each person may do. A role change applies at once, even to someone "
               "signed in right now.")
    _show_flash("accounts")
    st.dataframe(pd.DataFrame(
        [{"User name": u.username, "Name": u.display_name, "E-mail": u.email or "", "Roles": role_list(u.roles),
          "Status": "Disabled" if u.disabled else "Active", "Created": format_when(u.created_at)} for u in users],
        columns=["User name", "Name", "E-mail", "Roles", "Status", "Created"]), hide_index=True, width="stretch")
    with st.expander("What each role may do"):
        st.markdown("\n".join(f"- **{role_label(r)}**: {role_explanation(r)}" for r in roles))
    left, right = st.columns(2, gap="large")
    with left:
        _add_account(admin, roles)
    with right:
        _change_account(admin, users, roles)


def _add_account(admin: User, roles: list[str]) -> None:
    st.subheader("Add an account")
    if st.session_state.pop("admin_clear_add", False):
        for key in _ADD_FIELDS:
            st.session_state.pop(key, None)
    with st.form("add_account"):
        username = st.text_input("User name", key="add_username", help="Letters, digits, '.', '_', '@' or '-'.")
        display_name = st.text_input("Full name", key="add_display_name")
        email = st.text_input("E-mail (optional)", key="add_email",
                              help="Needed when people sign in with the organisation's single sign-on.")
        password = st.text_input("Password", type="password", key="add_password",
                                 help=f"At least {MIN_PASSWORD_LENGTH} characters. Pass it on privately.")
        again = st.text_input("Password again", type="password", key="add_password_again")
        chosen = st.multiselect("Roles", roles, key="add_roles", format_func=role_label, accept_new_options=True,
                                help="Type a new name to add a reviewer role a policy asks for.")
        submitted = st.form_submit_button("Add the account", type="primary")
    if not submitted:
        return
    if password != again:
        show_error(InvalidData("The two passwords differ; type the same password twice."))
        return

    def add() -> None:
        data.get_app().accounts.add_user(username.strip(), password, list(chosen), actor=admin,
                                         email=email.strip() or None, display_name=display_name.strip() or None)
        st.session_state["admin_clear_add"] = True

    _act("accounts", add, f"Account '{username.strip()}' added with the roles {role_list(chosen)}.")


def _change_account(admin: User, users: list[User], roles: list[str]) -> None:
    st.subheader("Change an account")
    by_name = {u.username: u for u in users}
    name = st.selectbox("Account", list(by_name), index=None, placeholder="Choose an account",
                        format_func=lambda n: f"{by_name[n].display_name} ({n})")
    if name is None:
        return
    account = by_name[name]
    options = roles + [r for r in account.roles if r not in roles]
    chosen = st.multiselect("Roles", options, default=list(account.roles), key=f"roles_{name}",
                            format_func=role_label, accept_new_options=True)
    if st.button("Save the roles", key=f"save_roles_{name}"):
        _act("accounts", lambda: data.get_app().accounts.set_roles(name, list(chosen), actor=admin),
             f"{name} now has the roles {role_list(chosen)}.")
    if account.disabled:
        st.caption("This account is disabled: nobody can sign in with it.")
        if st.button("Enable the account", key=f"enable_{name}"):
            _act("accounts", lambda: data.get_app().accounts.set_disabled(name, False, actor=admin),
                 f"{name} can sign in again.")
    else:
        st.caption("Disabling an account signs its holder out at once; their past decisions stay on record.")
        if st.button("Disable the account", key=f"disable_{name}", disabled=name == admin.username,
                     help="You cannot disable your own account." if name == admin.username else None):
            _act("accounts", lambda: data.get_app().accounts.set_disabled(name, True, actor=admin),
                 f"{name} is disabled and can no longer sign in.")
    with st.form(f"password_{name}", clear_on_submit=True):
        password = st.text_input("New password", type="password", help=f"At least {MIN_PASSWORD_LENGTH} characters.")
        if st.form_submit_button("Set the password"):
            _act("accounts", lambda: data.get_app().accounts.set_password(name, password, actor=admin),
                 f"The password of {name} is changed.")


def policy_section(admin: User, policy: dict[str, Any], roles: list[str]) -> None:
    st.header("Sign-off policy")
    st.caption("Which roles must sign off a version before it may be deployed, by the model's risk tier, and how "
               "long an approval lasts. A model's own spec file can ask for other roles. A change applies to "
               "versions that reach sign-off from now on; versions already waiting keep the roles they were given.")
    _show_flash("policy")
    tiers = policy.get("signoff_roles_by_tier") or {}
    reviewer_roles = [r for r in roles if r not in BUILTIN_ROLES]
    with st.form("policy"):
        chosen = {}
        for tier, label in _TIERS.items():
            current = list(tiers.get(tier, []))
            options = reviewer_roles + [r for r in current if r not in reviewer_roles]
            chosen[tier] = st.multiselect(f"{label}: sign-off needed from", options, default=current,
                                          format_func=role_label, accept_new_options=True, key=f"policy_{tier}")
        days = st.number_input("An approval lasts (days)", min_value=1, max_value=3650, step=1,
                               value=int(policy.get("expires_days") or 180),
                               help="After this, an approved version that has not been deployed needs review again.")
        submitted = st.form_submit_button("Save the policy", type="primary")
    if submitted:
        doc = {"signoff_roles_by_tier": {tier: list(chosen[tier]) for tier in _TIERS}, "expires_days": int(days)}
        _act("policy", lambda: data.get_app().org_policy.update(doc, actor=admin), "The sign-off policy is saved.")
