"""Where the page scripts live, relative to the entry point ``portal/app.py``.

``st.Page`` and ``st.page_link`` both resolve these paths against the entry point's folder.
"""

from __future__ import annotations

OVERVIEW_PAGE = "../pages/overview.py"
MODEL_PAGE = "../pages/model.py"
