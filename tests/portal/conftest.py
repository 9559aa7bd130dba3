"""Fixtures of the portal's AppTest tests: the demo as the portal sees it, a private copy of it,
and an empty registry of the test's own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing

import pytest

from backend.app import App
from tests.portal.helpers import point_portal_at


@pytest.fixture
def demo_app(demo_settings) -> Iterator[App]:
    """The backend on the shared demo, to check the pages against (read it, do not change it)."""
    with closing(App.open(demo_settings)) as app:
        yield app


@pytest.fixture
def demo_copy(demo_env, tmp_path, monkeypatch) -> Iterator[App]:
    """A private copy of the demo (database and artifacts) that the portal and the test share."""
    home = tmp_path / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)
    with closing(App.open(point_portal_at(monkeypatch, GREENLIGHT_HOME=str(home)))) as app:
        yield app


@pytest.fixture
def registry_env(sqlite_app, monkeypatch) -> App:
    """An empty registry of the test's own, with vic (a viewer), that the portal and the test share."""
    from tests.factories import add_user

    add_user(sqlite_app, "vic", "viewer")
    settings = sqlite_app.settings
    point_portal_at(monkeypatch, GREENLIGHT_HOME=str(settings.home), GREENLIGHT_DB_URL=settings.db_url,
                    GREENLIGHT_ARTIFACTS=str(settings.artifacts_dir))
    return sqlite_app
