"""The one place where an exception becomes a message on screen.

A :class:`~backend.errors.GreenlightError` carries a message written for a person: show it.
Anything else is a bug or an outage: log it with its traceback for the engineers and show a
calm, generic message, never the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from backend.errors import GreenlightError
from portal.wording import escape_markdown

__all__ = ["show_error", "errors_shown", "UNEXPECTED_MESSAGE"]

log = logging.getLogger("greenlight.portal")

UNEXPECTED_MESSAGE = ("Something went wrong on our side while loading this page. Please try again in a "
                      "moment; if it keeps happening, tell the Greenlight team (the details are in the "
                      "portal's log).")

_ICONS = {
    "not_found": ":material/search_off:",
    "permission_denied": ":material/lock:",
    "database_error": ":material/cloud_off:",
}


def show_error(exc: Exception, *, hint: str | None = None) -> None:
    """Show ``exc`` as ``st.error``: its own message when it is ours, a generic one otherwise."""
    if isinstance(exc, GreenlightError):
        # Messages quote what people typed and what files hold: shown as text, never as Markdown.
        message = escape_markdown(exc.message) + (f" {hint}" if hint else "")
        st.error(message, icon=_ICONS.get(exc.code, ":material/error:"))
        return
    log.error("Unexpected error while rendering a portal page", exc_info=exc)
    st.error(UNEXPECTED_MESSAGE, icon=":material/error:")


@contextmanager
def errors_shown(*, hint: str | None = None) -> Iterator[None]:
    """Run a block; if it raises, show the error with :func:`show_error` and carry on.

    Streamlit's own control flow (``st.stop``, ``st.rerun``, page switches) derives from
    ``BaseException`` and passes through untouched.
    """
    try:
        yield
    except Exception as exc:
        show_error(exc, hint=hint)
