"""Model details: one model's versions over time, the evidence behind each, and its lineage."""

import streamlit as st

from backend.errors import NotFound
from portal import auth, components, data, model_view
from portal.errors import errors_shown, show_error
from portal.query import url_selectbox
from portal.wording import state_label

user = auth.require_user()

with errors_shown():
    models = data.list_models()
    if not models:
        st.title("Model details")
        components.empty_registry()
        st.stop()
    by_name = {m.name: m for m in models}

    name, unknown = url_selectbox("Model", list(by_name), param="model", clears=("version",),
                                  format_func=lambda n: f"{by_name[n].title} ({n})",
                                  placeholder="Choose a model")
    if unknown is not None:
        with errors_shown(hint="Choose a model from the list above."):
            data.get_model(unknown)
            data.refresh()  # it exists: the cached list is older than the model
            st.rerun()
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

    st.header("One version in detail")
    versions = {v.number: v for v in page.versions}
    requested = st.query_params.get("version")
    if requested and requested.isdigit() and int(requested) not in versions:
        with errors_shown(hint="Choose a version from the list."):
            older = data.get_version(name, int(requested))  # older than the page of history shown
            versions[older.number] = older
    number, bad = url_selectbox("Version", sorted(versions, reverse=True), param="version",
                                format_func=lambda n: f"Version {n} — {state_label(versions[n].state)}",
                                placeholder="Choose a version")
    if bad is not None and not bad.isdigit():
        show_error(NotFound(f"'{bad}' is not a version number."), hint="Choose a version from the list.")
    if number is None:
        st.stop()
    model_view.version_section(versions[number], data.list_stage_runs(name, number),
                               data.list_artifacts(name, number))
