"""The sign-off packet: everything a reviewer needs to approve, approve with conditions or
reject one version, in one place. Deep link: ``?model=<name>&version=<n>``."""

import streamlit as st

from portal import (
    audit_pack_view,
    auth,
    components,
    data,
    policy_view,
    signoff_data,
    signoff_form,
    signoff_view,
)
from portal.deployments import view as deployment_view
from portal.errors import errors_shown

user = auth.require_user()

st.title("Sign-off packet")
st.caption("Everything a reviewer needs to approve, approve with conditions or reject one version of a model: "
           "what it is for, what the checks and reports found, and what an approval would change.")

target = None
with errors_shown(hint="Choose a model and a version from the lists above."):
    models = data.list_models()
    if not models:
        components.empty_registry()
        st.stop()
    target = signoff_view.choose_version(models)
if target is None:
    st.stop()
summary, number = target

with errors_shown():
    status = signoff_data.packet_status(summary.name, number)
    version = data.get_version(summary.name, number)
    names = signoff_data.display_names()
    runs = data.list_stage_runs(summary.name, number)
    why_not, sign_as = signoff_form.who_may_decide(user, status)
    signoff_view.header(summary, version, status, names, can_sign_as=sign_as, cannot_sign_because=why_not)
    signoff_view.what_changes(status, version, summary.production_version)
    policy_view.exceptions_section(version)
    signoff_view.checks_section(runs)
    signoff_view.comparison_section(runs, summary.production_version)
    digests = None
    with errors_shown(hint="Reload the page; if it keeps happening, the report files need checking."):
        digests = signoff_data.report_digest(summary.name, number, status.evidence)
    signoff_view.reports_section(digests)
    signoff_view.signoffs_section(status, names)
    signoff_form.conditions_panel(user, status, names)
    signoff_view.evidence_section(status)
    deployment_view.packet_section(summary.name, number)
    if digests is None:
        st.subheader("Your decision")
        st.warning("The reports could not be shown, so this packet cannot be signed until they can.",
                   icon=":material/lock:")
    else:
        signoff_form.decision_panel(user, status)
    st.divider()
    audit_pack_view.download_button(user, summary.name, number)
    signoff_view.model_page_link(summary.name, number)
