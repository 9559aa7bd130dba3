"""Administration: accounts, roles and the organisation's sign-off policy (admins only)."""

import streamlit as st

from backend.errors import PermissionDenied
from backend.governance.permissions import can
from portal import admin_view, auth, data
from portal.errors import errors_shown, show_error
from portal.signoff_wording import role_list

user = auth.require_user()

st.title("Administration")

if not can(user, "manage_users"):
    # The backend refuses every change below anyway; this says so before the forms are filled in.
    show_error(PermissionDenied(
        f"Only administrators can manage accounts and the sign-off policy. You are signed in as {user.username} "
        f"({role_list(user.roles)}); ask an administrator if something needs changing."))
    st.stop()

with errors_shown():
    app = data.get_app()
    users = app.accounts.list_users()
    policy = app.org_policy.current()
    roles = admin_view.known_roles(users, policy)
    admin_view.accounts_section(user, users, roles)
    st.divider()
    admin_view.policy_section(user, policy, roles)
