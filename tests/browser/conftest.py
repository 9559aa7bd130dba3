"""Fixtures of the browser tests: the browser, the portal (on the seeded demo), and a page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.portal_server import CHROMIUM, MISSING, chromium_page, serve_portal


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's executable; without it (or Playwright) the browser tests fail.

    They get this far only when GREENLIGHT_REQUIRE_BROWSER=1: otherwise ``BROWSER_MARKS``
    skipped them at collection.
    """
    if MISSING is not None:
        pytest.fail(f"{MISSING}, and GREENLIGHT_REQUIRE_BROWSER=1 requires the browser tests")
    return CHROMIUM


@pytest.fixture(scope="module")
def portal_env(demo_env) -> dict[str, str]:
    """The ``GREENLIGHT_*`` settings the portal runs with: the seeded demo's (a module that
    changes the registry overrides this with a copy of its own)."""
    return demo_env


@pytest.fixture(scope="module")
def portal_url(chromium, portal_env, tmp_path_factory) -> Iterator[str]:
    """The portal, served by ``streamlit run`` on a free loopback port, on ``portal_env``."""
    with serve_portal(portal_env, tmp_path_factory.mktemp("portal") / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(chromium, portal_url):
    """A page of a fresh Chromium, once the portal answers."""
    with chromium_page(chromium) as page:
        yield page
