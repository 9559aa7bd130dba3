"""The model and version pickers the Model, Reports and Sign-off pages share.

Both live in the URL (``?model=…&version=…``), so every view can be linked to; a link to an
unknown model or version reads as a message, and a link to a version older than the page of
history shown still opens it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.domain import ModelSummary, Version
from backend.errors import NotFound
from portal import data
from portal.errors import errors_shown, show_error
from portal.query import url_selectbox
from portal.wording import state_label

__all__ = ["model_picker", "version_picker"]


def model_picker(by_name: dict[str, ModelSummary], *, default: str | None = None,
                 clears: tuple[str, ...] = ("version",)) -> str | None:
    """The model the URL names, or the one chosen; None until one is. Choosing another model drops
    the URL parameters in ``clears`` (the versions chosen for the previous one)."""
    name, unknown = url_selectbox("Model", list(by_name), param="model", clears=clears,
                                  format_func=lambda n: f"{by_name[n].title} ({n})",
                                  placeholder="Choose a model", default=default)
    if unknown is not None:
        with errors_shown(hint="Choose a model from the list above."):
            data.get_model(unknown)  # raises NotFound with a readable message
            data.refresh()  # it exists: the cached list is older than the model
            st.rerun()
    return name


def version_picker(name: str, shown: list[Version], *, default: int | None = None,
                   note: Callable[[Version], str] = lambda _v: "") -> Version | None:
    """The version of ``name`` the URL names, or the one chosen among ``shown``."""
    versions = {v.number: v for v in shown}
    requested = st.query_params.get("version")
    if requested and requested.isdigit() and int(requested) not in versions:
        with errors_shown(hint="Choose a version from the list."):
            older = data.get_version(name, int(requested))  # older than the page of history shown
            versions[older.number] = older
    number, bad = url_selectbox(
        "Version", sorted(versions, reverse=True), param="version", placeholder="Choose a version", default=default,
        format_func=lambda n: f"Version {n} — {state_label(versions[n].state)}{note(versions[n])}")
    if bad is not None and not bad.isdigit():
        show_error(NotFound(f"'{bad}' is not a version number."), hint="Choose a version from the list.")
    return versions[number] if number is not None else None
