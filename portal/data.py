"""Cached, read-only access to the registry for the pages.

The :class:`~backend.app.App` (engine and all) is built once per set of settings with
``st.cache_resource``; query results are cached for a few seconds with ``st.cache_data``.
Only plain domain objects are cached, never a session or a database row. Every cache key
starts with the settings, so two registries (two tests, say) never share an answer.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from backend.app import App
from backend.config import Settings
from backend.domain import (
    ArtifactRef,
    Model,
    ModelStanding,
    ModelSummary,
    StageRun,
    Version,
    VersionPage,
)

__all__ = [
    "CACHE_SECONDS",
    "HISTORY_PAGE_SIZE",
    "get_app",
    "list_models",
    "portfolio",
    "get_model",
    "list_versions",
    "get_version",
    "list_stage_runs",
    "list_artifacts",
    "refresh",
    "settings_key",
    "app_for",
    "demo_status",
]

#: Short enough that a running pipeline shows up within seconds, long enough that a page
#: full of widgets does not ask the database again on every click.
CACHE_SECONDS = 10
HISTORY_PAGE_SIZE = 50

SettingsKey = tuple[str, str, str]


def _settings_key() -> SettingsKey:
    settings = Settings.from_env()
    return str(settings.home), settings.db_url, str(settings.artifacts_dir)


@st.cache_resource(show_spinner=False, on_release=lambda app: app.close())
def _open_app(home: str, db_url: str, artifacts_dir: str) -> App:
    # The audit key stays out of the cache key (and so out of anything Streamlit hashes or shows).
    return App.open(Settings(home=Path(home), db_url=db_url, artifacts_dir=Path(artifacts_dir),
                             audit_key=Settings.from_env().audit_key))


def get_app() -> App:
    """The application for the settings in the environment (``GREENLIGHT_*``)."""
    return _open_app(*_settings_key())


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _recover_stranded(key: SettingsKey) -> int:
    """Close stages whose process died (at most once per cache period), so no page shows
    "running" for a dead run."""
    return len(_open_app(*key).registry.recover_stranded())


def _recovered(key: SettingsKey) -> SettingsKey:
    if _recover_stranded(key):
        # Something was closed: the cached reads are stale (the recovery count itself stays cached).
        for cached in (_list_models, _list_versions, _get_version, _list_stage_runs):
            cached.clear()
    return key


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _demo_status(key: SettingsKey) -> dict | None:
    return _open_app(*key).registry.fact("demo")


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _list_models(key: SettingsKey) -> list[ModelSummary]:
    return _open_app(*key).registry.list_models()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _get_model(key: SettingsKey, name: str) -> Model:
    return _open_app(*key).registry.get_model(name)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _list_versions(key: SettingsKey, name: str, limit: int, before: int | None) -> VersionPage:
    return _open_app(*key).registry.list_versions(name, limit=limit, before=before)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _get_version(key: SettingsKey, name: str, number: int) -> Version:
    return _open_app(*key).registry.get_version(name, number)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _list_stage_runs(key: SettingsKey, name: str, number: int) -> list[StageRun]:
    return _open_app(*key).registry.list_stage_runs(name, number)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _list_artifacts(key: SettingsKey, name: str, number: int) -> list[ArtifactRef]:
    return _open_app(*key).registry.list_artifacts(name, number)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _portfolio(key: SettingsKey) -> list[ModelStanding]:
    from backend.reports import portfolio as backend_portfolio

    return backend_portfolio(_open_app(*key))


def portfolio() -> list[ModelStanding]:
    """Every model with what is in production, approved and on its way (two queries)."""
    return _portfolio(_settings_key())


def list_models() -> list[ModelSummary]:
    """Every model with its latest and production versions (one query)."""
    return _list_models(_recovered(_settings_key()))


def get_model(name: str) -> Model:
    """Raises :class:`~backend.errors.NotFound` for an unknown name."""
    return _get_model(_settings_key(), name)


def list_versions(name: str, *, limit: int = HISTORY_PAGE_SIZE, before: int | None = None) -> VersionPage:
    """One page of a model's history, newest first."""
    return _list_versions(_recovered(_settings_key()), name, limit, before)


def get_version(name: str, number: int) -> Version:
    return _get_version(_recovered(_settings_key()), name, number)


def list_stage_runs(name: str, number: int) -> list[StageRun]:
    return _list_stage_runs(_recovered(_settings_key()), name, number)


def list_artifacts(name: str, number: int) -> list[ArtifactRef]:
    return _list_artifacts(_settings_key(), name, number)


def demo_status() -> dict | None:
    """None for a real database; for the public demo's: its state (building, ready, failed) and progress."""
    return _demo_status(_settings_key())


def settings_key() -> SettingsKey:
    """What every cached answer's key starts with, for other cached-data modules of the portal."""
    return _settings_key()


def app_for(key: SettingsKey) -> App:
    """The application for a :func:`settings_key` (inside a cached function)."""
    return _open_app(*key)


def refresh() -> None:
    """Forget cached answers (not the App), so the next run reads the registry afresh."""
    st.cache_data.clear()
