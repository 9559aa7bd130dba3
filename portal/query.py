"""Selections that live in the URL, so that every view of the portal can be linked to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

__all__ = ["url_selectbox"]

T = TypeVar("T")


def url_selectbox(label: str, options: Sequence[T], *, param: str, format_func: Callable[[T], str] = str,
                  placeholder: str = "Choose…", clears: Sequence[str] = (),
                  default: T | None = None) -> tuple[T | None, str | None]:
    """A selectbox whose value is the query parameter ``param``.

    The URL is the source of truth: a deep link selects its option, and picking an option
    writes it to the URL (dropping the parameters in ``clears``, which depend on it). Without
    the parameter, ``default`` (or the first option) is selected.

    Returns
    -------
    choice, unmatched
        The selected option (None when nothing is), and the URL's value when it matched no
        option, for the page to explain.
    """
    key = f"url_{param}"
    raw = st.query_params.get(param)
    by_text = {str(option): option for option in options}
    if raw is not None and raw in by_text:
        st.session_state[key] = by_text[raw]
    elif raw is None and options:
        st.session_state[key] = default if default is not None else options[0]
    else:
        st.session_state[key] = None

    def _write_url() -> None:
        value = st.session_state[key]
        if value is None:
            st.query_params.pop(param, None)
        else:
            st.query_params[param] = str(value)
        for other in clears:
            st.query_params.pop(other, None)

    choice = st.selectbox(label, options, index=None, key=key, format_func=format_func,
                          placeholder=placeholder, on_change=_write_url)
    unmatched = raw if raw is not None and raw not in by_text else None
    return choice, unmatched
