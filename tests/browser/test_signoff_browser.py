"""Sign-off in a real browser: a reviewer signs in, opens the packet, approves, and the version
becomes approved when the last required role has signed.

The portal runs with ``streamlit run`` on a copy of the demo's home, so these approvals do not
change the demo the other tests read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.browser.test_portal_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MISSING,
    REQUIRE_BROWSER,
    ROOT,
    WAIT_MS,
    _free_port,
    _wait_until_healthy,
    expect,
    settled,
    sign_in,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(MISSING is not None and not REQUIRE_BROWSER, reason=str(MISSING))]


@pytest.fixture(scope="module")
def home_env(demo_env, tmp_path_factory) -> dict[str, str]:
    """A private copy of the demo: database and artifacts."""
    home = tmp_path_factory.mktemp("signoff-browser") / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)
    return {"GREENLIGHT_HOME": str(home)}


@pytest.fixture(scope="module")
def portal_url(home_env, tmp_path_factory) -> Iterator[str]:
    if MISSING is not None:
        pytest.fail(f"{MISSING}, and GREENLIGHT_REQUIRE_BROWSER=1 requires the browser tests")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")}
    env.update(home_env)
    env["OMP_NUM_THREADS"] = "1"
    log = tmp_path_factory.mktemp("signoff-portal") / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "portal/app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def browser(portal_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def reviewer_page(browser, portal_url: str, username: str, version: int):
    """A fresh browser session: ``username`` signs in on the deep link to the packet of ``version``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{portal_url}/signoff?model=income-propensity&version={version}")
    sign_in(page, username)
    page.get_by_role("heading", name=f"Premium offer propensity — version {version}").wait_for()
    settled(page)
    return page


def approve(page, comment: str) -> None:
    expect(page.get_by_text(re.compile(r"You can sign this version as "))).to_be_visible()
    page.get_by_text("Approve", exact=True).click()
    settled(page)
    page.get_by_role("textbox", name="Comment (optional)").fill(comment)
    page.get_by_role("textbox", name="Comment (optional)").press("Tab")
    settled(page)
    page.get_by_role("button", name="Record my decision").click()


def state_of(env: dict[str, str], version: int) -> str:
    from backend.app import App
    from backend.config import Settings

    app = App.open(Settings.from_env(env))
    try:
        return app.signoffs.status("income-propensity", version).state
    finally:
        app.close()


def state_badge(page):
    return page.get_by_test_id("stMarkdown").filter(has_text=re.compile(r"^State:"))


def test_rick_approves_the_last_missing_role_and_the_version_is_approved(browser, portal_url, home_env):
    page = reviewer_page(browser, portal_url, "rick", 2)
    # What he is asked to sign: bea's approval with its condition, and the evidence hashes.
    expect(page.get_by_text("Waiting for risk. So far — business owner: approved with conditions by "
                            "Bea Business-Owner (bea).")).to_be_visible()
    expect(page.get_by_text("Report the offer rate by sex every month to the marketing board.")).to_be_visible()
    expect(page.get_by_role("heading", name="The evidence a decision is bound to")).to_be_visible()
    assert state_of(home_env, 2) == "awaiting_signoff"

    approve(page, "Risks understood; fine for the autumn campaign.")
    page.get_by_text("Every required role has approved: version 2 is now approved").wait_for()
    settled(page)
    expect(state_badge(page)).to_contain_text("Approved")
    expect(page.get_by_role("button", name="Record my decision")).to_have_count(0)
    assert state_of(home_env, 2) == "approved"
    assert "Traceback" not in page.content()


def test_with_two_roles_missing_the_first_approval_waits_and_the_last_approves(browser, portal_url, home_env):
    assert state_of(home_env, 3) == "awaiting_signoff"
    page = reviewer_page(browser, portal_url, "bea", 3)
    approve(page, "Good for the premium offer.")
    page.get_by_text("Your approval is recorded. Still waiting for risk.").wait_for()
    settled(page)
    expect(state_badge(page)).to_contain_text("Awaiting sign-off")
    assert state_of(home_env, 3) == "awaiting_signoff"

    page = reviewer_page(browser, portal_url, "rick", 3)
    expect(page.get_by_text(re.compile(r"An approval by risk is the last one missing"))).to_be_visible()
    approve(page, "Risks acceptable.")
    page.get_by_text("Every required role has approved: version 3 is now approved").wait_for()
    settled(page)
    expect(state_badge(page)).to_contain_text("Approved")
    assert state_of(home_env, 3) == "approved"
