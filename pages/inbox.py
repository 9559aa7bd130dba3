"""Waiting for me: the versions that need a sign-off in a role the reviewer holds."""

import streamlit as st

from portal import auth, data, inbox_view, signoff_data
from portal.errors import errors_shown

user = auth.require_user()

st.title("Waiting for me")
st.caption("Model versions that need your sign-off, longest-waiting first. Open one to read its sign-off packet "
           "and decide.")

with errors_shown():
    items = signoff_data.inbox(user)
    inbox_view.my_items(user, items, {m.name: m.risk_tier for m in data.list_models()})
    st.divider()
    inbox_view.everything_waiting(signoff_data.awaiting())
