"""What production means: the organisation's own path to production, step by step, with its
benefits, the work involved and the risks, illustrated from the registry."""

import streamlit as st

from portal import auth, production_path_data, production_path_view
from portal.errors import errors_shown

user = auth.require_user()

st.title("What production means")
st.caption("What happens to a model between a data scientist's laptop and the decisions it makes for real, here: "
           "each step, who is involved, how long it takes, and what it protects the organisation from.")
with errors_shown():
    history = production_path_data.path_history(production_path_view.timed_steps())
    production_path_view.render(history, production_path_data.org_policy())
