"""Access to what the "Get started" walkthrough shows and does: a team's progress (cached for a
few seconds), the teams there are, and the pipeline runs started from the page (never cached:
they change while the page watches)."""

from __future__ import annotations

import streamlit as st

from backend.domain import BrowserRunStatus, StageRun, TeamProgress, User
from portal import data
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key

__all__ = ["team_progress", "teams", "start_run", "run_status", "latest_run", "stage_runs", "forget_progress"]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _team_progress(key: SettingsKey, team: str | None) -> TeamProgress:
    from backend.onboarding import team_progress as backend_team_progress

    return backend_team_progress(app_for(key), team)


def team_progress(team: str | None) -> TeamProgress:
    """Each step of the walkthrough for ``team`` (None: a new team), from the registry."""
    return _team_progress(settings_key(), team)


def teams(user: User) -> tuple[list[str], str | None]:
    """Every team the registry knows, and ``user``'s own (None when they have run nothing yet)."""
    from backend.onboarding import onboarding_teams

    return onboarding_teams(data.get_app(), user)


def forget_progress() -> None:
    """Read the progress afresh on the next run (a run has just ended)."""
    _team_progress.clear()
    data.refresh()


def start_run(user: User, spec_toml: str, train, test) -> BrowserRunStatus:
    """Start the pipeline on the uploaded sample as ``user`` (the backend checks the role)."""
    from backend.onboarding import UploadedFile, start_browser_run

    return start_browser_run(data.get_app(), actor=user, spec_toml=spec_toml,
                             train=UploadedFile(train.name, train.getvalue()),
                             test=UploadedFile(test.name, test.getvalue()))


def run_status(run_id: str) -> BrowserRunStatus:
    from backend.onboarding import browser_run_status

    return browser_run_status(data.get_app(), run_id)


def latest_run(user: User) -> BrowserRunStatus | None:
    from backend.onboarding import latest_browser_run

    return latest_browser_run(data.get_app(), user.username)


def stage_runs(model: str, version: int) -> list[StageRun]:
    """The version's stage runs as the registry holds them now (uncached: the page watches them)."""
    return data.get_app().registry.list_stage_runs(model, version)
