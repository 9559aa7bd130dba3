"""Compare: two versions of a model side by side, and whether the candidate should replace the kept one."""

import streamlit as st

from portal import auth, compare_view, components, data, pickers
from portal.errors import errors_shown

user = auth.require_user()

st.title("Compare versions")
st.caption("Any two versions of a model side by side: how well each scores the same test rows, whether each is fair, "
           "what drives its scores, how fast and large it is, and, with a canary running, how both do on live "
           "traffic. By default the version in production is set against the newest one. Everything here was "
           "measured by the pipeline; this page only reads it.")
with errors_shown():
    models = data.list_models()
    if not models:
        components.empty_registry()
        st.stop()
    by_name = {m.name: m for m in models}
    name = pickers.model_picker(by_name, clears=("a", "b"))
    if name is None:
        st.stop()
    versions = data.list_versions(name).versions
    if len(versions) < 2:
        st.info("This model has only one version so far, so there is nothing to compare it with yet.",
                icon=":material/compare_arrows:")
        st.stop()
    champion, challenger = compare_view.pick_pair(name, versions)
    if champion is None or challenger is None:
        st.stop()
    if champion == challenger:
        st.info("Choose two different versions to compare.", icon=":material/compare_arrows:")
        st.stop()
    compare_view.render(compare_view.comparison(name, champion, challenger))
