"""The portal's web server: ``streamlit run portal/server.py``.

It serves the Streamlit app (``portal/app.py``, which builds the pages) together with the
sign-in route that sets the session cookie (:mod:`portal.sign_in_routes`): a Streamlit script
cannot set a cookie, an HTTP route can. ``streamlit run`` finds the ``app`` below and serves it
with uvicorn, taking the usual ``--server.*`` options.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from portal.sign_in_routes import CsrfCookie, routes

app = st.App("app.py", routes=routes(), middleware=[Middleware(CsrfCookie)])
