"""Reports: a version's fairness verdicts, what drives it, a threshold what-if and its model card."""

import streamlit as st

from portal import auth, components, data, report_data, reports_view
from portal.errors import errors_shown

user = auth.require_user()

st.title("Fairness and explainability reports")
st.caption("Does the model treat groups of people differently, and what drives its decisions? Everything here was "
           "computed by the pipeline on test data the model never saw, and stored; this page only reads it.")
with errors_shown():
    models = data.list_models()
    if not models:
        components.empty_registry()
        st.stop()
    choice = reports_view.choose_version(models)
    if choice is None:
        st.stop()
    model, version = choice
    reports_view.render(model, version, report_data.load_reports(model.name, version.number))
