"""Model details: one model's versions over time, the evidence behind each, and its lineage."""

import streamlit as st

from portal import audit_pack_view, auth, components, data, model_view, pickers, readiness_view
from portal.errors import errors_shown

user = auth.require_user()

with errors_shown():
    models = data.list_models()
    if not models:
        st.title("Model details")
        components.empty_registry()
        st.stop()
    by_name = {m.name: m for m in models}

    name = pickers.model_picker(by_name)
    if name is None:
        st.stop()
    summary = by_name[name]
    model_view.model_header(summary)

    # Paging through a long history: "before" is the version number the page starts below.
    before = st.session_state.setdefault("history_before", {}).get(name)
    page = data.list_versions(name, before=before)
    if not page.versions:
        st.info("This model has no version yet. Run its pipeline to register one.")
        st.stop()
    model_view.history_section(page)
    newer, older = st.columns(2)
    if before is not None and newer.button("‹ Newer versions", key="history_newer"):
        st.session_state["history_before"][name] = (
            None if before + data.HISTORY_PAGE_SIZE > page.total else before + data.HISTORY_PAGE_SIZE)
        st.rerun()
    if page.next_before is not None and older.button("Older versions ›", key="history_older"):
        st.session_state["history_before"][name] = page.next_before
        st.rerun()
    model_view.metrics_section(page.versions, summary.task)
    readiness_view.render(readiness_view.readiness_score(name))

    st.header("One version in detail")
    version = pickers.version_picker(name, page.versions)
    if version is None:
        st.stop()
    model_view.version_section(version, data.list_stage_runs(name, version.number),
                               data.list_artifacts(name, version.number))
    audit_pack_view.download_button(user, name, version.number)
