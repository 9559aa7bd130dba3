"""Get started: the walkthrough that takes a new team's first model from nothing to a canary,
each step done by what the registry shows."""

import streamlit as st

from portal import auth, onboarding_view
from portal.errors import errors_shown

user = auth.require_user()

st.title("Get started")
st.caption("Seven steps from nothing to a model taking live traffic, for your team. Each is marked done when the "
           "registry shows it happened, so the list below is the same for everyone who looks.")
with errors_shown():
    onboarding_view.render(user)
