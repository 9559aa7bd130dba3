"""Portfolio overview: every model, where it stands, and what needs attention."""

import streamlit as st

from portal import auth, components, data, leaders_view
from portal.errors import errors_shown

user = auth.require_user()

st.title("Model portfolio")
st.caption("Every machine-learning model in Greenlight: what it is for, who owns it, what is in production, "
           "what is approved and what is on its way.")

PAGE_SIZE = 20

with errors_shown():
    models = data.portfolio()
    if not models:
        components.empty_registry()
        st.stop()

    st.subheader("At a glance")
    leaders_view.render(leaders_view.leaders_overview())
    st.subheader("Every model")
    components.portfolio_summary(models)
    st.divider()

    search, group = st.columns([2, 1])
    text = search.text_input("Find a model", placeholder="Name, title, owner or purpose")
    chosen = group.selectbox("Show", list(components.GROUPS), format_func=components.GROUPS.get, key="portfolio_group")
    shown = components.filter_models(models, group=chosen, text=text)
    if not shown:
        st.info("No model matches. Clear the search or choose “All models”.")
        st.stop()

    pages = (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE
    number = 1
    if pages > 1:
        number = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1)
    first = (number - 1) * PAGE_SIZE
    st.caption(f"Showing {first + 1}–{min(first + PAGE_SIZE, len(shown))} of {len(shown)} models, by name.")
    for model in shown[first:first + PAGE_SIZE]:
        components.model_card(model)
