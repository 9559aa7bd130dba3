"""The portal's entry point: ``streamlit run portal/app.py``.

It sets the page up, lists the pages with ``st.navigation`` and runs the one the URL asks
for. The pages live in ``pages/`` beside this folder, which keeps Streamlit out of its old
folder-based multipage mode.
"""

from __future__ import annotations

import streamlit as st

from portal.navigation import MODEL_PAGE, OVERVIEW_PAGE

st.set_page_config(page_title="Greenlight", page_icon=":material/traffic:", layout="wide")

pages = [
    st.Page(OVERVIEW_PAGE, title="Portfolio", icon=":material/dashboard:", default=True),
    st.Page(MODEL_PAGE, title="Model details", icon=":material/timeline:"),
]
page = st.navigation(pages, position="top")

page.run()
