"""Cached reads for the Deployments page (a few seconds, like :mod:`portal.data`)."""

from __future__ import annotations

import streamlit as st

from backend.domain import (
    AuditEntry,
    CanaryRun,
    DeploymentStatus,
    LiveTrafficVerdict,
    ServingPeriod,
    Version,
)
from backend.registry.states import State
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key

__all__ = ["status", "timeline", "canaries", "approved_versions", "clearance", "record"]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _status(key: SettingsKey, name: str) -> DeploymentStatus:
    return app_for(key).deployments.status(name)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _timeline(key: SettingsKey, name: str) -> list[ServingPeriod]:
    return app_for(key).deployments.timeline(name)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _canaries(key: SettingsKey, name: str) -> list[CanaryRun]:
    return app_for(key).deployments.canaries(name)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _approved(key: SettingsKey, name: str) -> list[Version]:
    page = app_for(key).registry.list_versions(name, limit=200)
    return [v for v in page.versions if v.state == State.APPROVED]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _clearance(key: SettingsKey, name: str, number: int) -> LiveTrafficVerdict:
    return app_for(key).registry.live_traffic(name, number)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _record(key: SettingsKey, name: str, number: int) -> list[AuditEntry]:
    return app_for(key).deployments.record(name, number)


def status(name: str) -> DeploymentStatus:
    """Slots, the canary, its latest verdict and both sides' live figures."""
    return _status(settings_key(), name)


def timeline(name: str) -> list[ServingPeriod]:
    return _timeline(settings_key(), name)


def canaries(name: str) -> list[CanaryRun]:
    return _canaries(settings_key(), name)


def approved_versions(name: str) -> list[Version]:
    """The versions that could start a canary (approved, newest first; among the latest 200)."""
    return _approved(settings_key(), name)


def clearance(name: str, number: int) -> LiveTrafficVerdict:
    """Whether the live-traffic guard would let ``number`` in now, and why not."""
    return _clearance(settings_key(), name, number)


def record(name: str, number: int) -> list[AuditEntry]:
    """The deployment entries about one version (canaries, promotion, override, rollback)."""
    return _record(settings_key(), name, number)
