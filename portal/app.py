"""The portal's entry point: ``streamlit run portal/app.py``.

It sets the page up, works out who is signed in, lists the pages that person may open with
``st.navigation`` and runs the one the URL asks for. Someone not signed in gets the sign-in
form on whatever page they asked for (each page guards itself), so deep links survive it.
The pages live in ``pages/`` beside this folder, which keeps Streamlit out of its old
folder-based multipage mode.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from backend.governance.permissions import is_reviewer
from portal import auth, signoff_data
from portal.components import demo_banner
from portal.errors import errors_shown
from portal.navigation import INBOX_PAGE, pages_for
from portal.wording import escape_markdown

# The icon is a file shipped with the portal: nothing is fetched from the internet.
st.set_page_config(page_title="Greenlight", page_icon=str(Path(__file__).parent / "assets" / "greenlight.png"),
                   layout="wide")

user = None
with errors_shown():
    user = auth.current_user()

page = st.navigation(pages_for(user), position="top" if user else "hidden")
if user is not None:
    with st.sidebar:
        st.markdown(f"**{escape_markdown(user.display_name)}**")
        st.caption("Roles: " + ", ".join(role.replace("_", " ") for role in user.roles))
        if is_reviewer(user):
            with errors_shown():
                waiting = len(signoff_data.inbox(user))
                st.page_link(INBOX_PAGE, label=f"Waiting for me: {waiting}", icon=":material/inbox:",
                             help="Versions that need your sign-off.")
        if st.button("Sign out", icon=":material/logout:"):
            auth.sign_out()
            st.rerun()
with errors_shown():
    demo_banner()
page.run()
