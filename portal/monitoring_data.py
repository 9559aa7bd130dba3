"""Cached, read-only access to what the monitoring job stored: judged periods, alerts, health.

The job writes; the page only reads. Answers are cached for a short while (the job runs daily,
but a person who just ran it wants to see the result), keyed by the settings like every other
cached read of the portal. Only domain objects are cached.
"""

from __future__ import annotations

import streamlit as st

from backend.domain import ModelHealth, MonitoringAlert, MonitoringPeriod
from backend.monitoring import MonitoringStore, model_health, monitored_version
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key

__all__ = ["periods", "alerts", "health", "version_shown"]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _periods(key: SettingsKey, model: str, period: str, version: int | None) -> list[MonitoringPeriod]:
    return MonitoringStore(app_for(key).db).periods(model, period, version=version, limit=120)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _alerts(key: SettingsKey, model: str) -> list[MonitoringAlert]:
    return MonitoringStore(app_for(key).db).alerts(model=model, limit=200)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _health(key: SettingsKey, model: str) -> ModelHealth:
    return model_health(app_for(key), model)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _version_shown(key: SettingsKey, model: str) -> int | None:
    return monitored_version(app_for(key), model)


def periods(model: str, period: str, version: int | None = None) -> list[MonitoringPeriod]:
    """The newest judged periods of ``model`` (of one version), oldest first."""
    return _periods(settings_key(), model, period, version)


def alerts(model: str) -> list[MonitoringAlert]:
    """The model's alerts, newest first."""
    return _alerts(settings_key(), model)


def health(model: str) -> ModelHealth:
    return _health(settings_key(), model)


def version_shown(model: str) -> int | None:
    """The version whose monitoring the page shows: production's, else the newest monitored."""
    return _version_shown(settings_key(), model)
