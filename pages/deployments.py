"""Deployments: per model, what the test environment, the canary and production serve; the
canary's live figures beside production's and the judge's verdict; start, promote or roll back.
Deep link: ``?model=<name>``."""

import streamlit as st

from portal import auth, components, data
from portal.deployments import actions, view
from portal.deployments import data as deployment_data
from portal.errors import errors_shown
from portal.pickers import model_picker

user = auth.require_user()

st.title("Deployments")
st.caption("What serves each model's live traffic: production, and a canary when a new version is trying out a "
           "small share of it beside production. A judge compares the two, and the canary replaces production "
           "only after it passes (or on an administrator's written override).")

name = None
with errors_shown(hint="Choose a model from the list."):
    models = data.list_models()
    if not models:
        components.empty_registry()
        st.stop()
    view.overview(models)
    by_name = {m.name: m for m in models}
    busy = next((m.name for m in models if m.canary_version), None) or next(
        (m.name for m in models if m.production_version), None)
    name = model_picker(by_name, default=busy)
if name is None:
    st.stop()

with errors_shown():
    status = deployment_data.status(name)
    st.header(f"{by_name[name].title} ({name})")
    view.slots(status)
    view.verdict_section(status)
    view.live_section(status)
    actions.panel(user, status)
    view.timeline_section(name)
    view.canaries_section(deployment_data.canaries(name))
