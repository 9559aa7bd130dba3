"""Monitoring: is a model in production still as good, and as fair, as when it was signed off?"""

import streamlit as st

from portal import auth, components, data, monitoring_view, pickers
from portal.errors import errors_shown

user = auth.require_user()

st.title("Monitoring")
st.caption("How each model does in production, period by period, against what the reviewers signed off: its "
           "accuracy, how far its inputs have drifted, and whether it stays fair. The monitoring job computes "
           "everything shown here; this page only reads it.")
with errors_shown():
    models = data.list_models()
    if not models:
        components.empty_registry()
        st.stop()
    by_name = {m.name: m for m in models}
    production = [m.name for m in models if m.production_version is not None]
    name = pickers.model_picker(by_name, default=production[0] if production else None)
    if name is None:
        st.stop()
    monitoring_view.render(by_name[name])
