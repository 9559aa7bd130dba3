"""Cached, read-only access to what the "What production means" page shows from the registry:
the organisation's policy in force, and how long each step takes here with real examples."""

from __future__ import annotations

from typing import Any

import streamlit as st

from backend.domain import PathHistory
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key

__all__ = ["org_policy", "path_history"]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _org_policy(key: SettingsKey) -> dict[str, Any]:
    return app_for(key).org_policy.current()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _path_history(key: SettingsKey, stages: tuple[str, ...]) -> PathHistory:
    from backend.reports import path_history as backend_path_history

    return backend_path_history(app_for(key), stages=stages)


def org_policy() -> dict[str, Any]:
    """The organisation's policy in force (sign-off roles by risk tier, approval lifetime, limits)."""
    return _org_policy(settings_key())


def path_history(stages: tuple[str, ...]) -> PathHistory:
    """Median durations of ``stages`` and real examples of the path, newest first."""
    return _path_history(settings_key(), tuple(stages))
