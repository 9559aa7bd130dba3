"""Sign-off in a real browser: a reviewer signs in, opens the packet, approves, and the version
becomes approved when the last required role has signed.

The portal runs with ``streamlit run`` on a copy of the demo's home, so these approvals do not
change the demo the other tests read.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.browser.portal_server import (
    BROWSER_MARKS,
    chromium_browser,
    expect,
    new_page,
    settled,
    sign_in,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def portal_env(demo_env, tmp_path_factory) -> dict[str, str]:
    """What the portal serves here: a private copy of the demo (database and artifacts)."""
    home = tmp_path_factory.mktemp("signoff-browser") / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)
    return {"GREENLIGHT_HOME": str(home)}


@pytest.fixture
def browser(chromium, portal_url):
    with chromium_browser(chromium) as browser:
        yield browser


def reviewer_page(browser, portal_url: str, username: str, version: int):
    """A fresh browser session: ``username`` signs in on the deep link to the packet of ``version``."""
    page = new_page(browser)
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
    # Each failed fairness check is acknowledged in writing before an approval.
    for box in page.get_by_role("textbox", name=re.compile(r"^Acknowledgement \(required\)")).all():
        box.fill("Reviewed: the gap follows the data and is reported monthly.")
        box.press("Tab")
        settled(page)
    page.get_by_role("button", name="Record my decision…").click()
    settled(page)
    page.get_by_text("This cannot be undone.").wait_for()
    page.get_by_role("button", name="Confirm and record my decision").click()


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


def test_rick_approves_the_last_missing_role_and_the_version_is_approved(browser, portal_url, portal_env):
    page = reviewer_page(browser, portal_url, "rick", 2)
    # What he is asked to sign: bea's approval with its condition, and the evidence hashes.
    expect(page.get_by_text("Waiting for risk. So far — business owner: approved with conditions by "
                            "Bea Business-Owner (bea).")).to_be_visible()
    expect(page.get_by_text("Report the offer rate by sex every month to the marketing board.")).to_be_visible()
    expect(page.get_by_role("heading", name="The evidence a decision is bound to")).to_be_visible()
    assert state_of(portal_env, 2) == "awaiting_signoff"

    approve(page, "Risks understood; fine for the autumn campaign.")
    page.get_by_text("Every required role has approved: version 2 is now approved").wait_for()
    settled(page)
    expect(state_badge(page)).to_contain_text("Approved")
    expect(page.get_by_role("button", name="Record my decision…")).to_have_count(0)
    assert state_of(portal_env, 2) == "approved"
    assert "Traceback" not in page.content()


def test_with_two_roles_missing_the_first_approval_waits_and_the_last_approves(browser, portal_url, portal_env):
    assert state_of(portal_env, 3) == "awaiting_signoff"
    page = reviewer_page(browser, portal_url, "bea", 3)
    approve(page, "Good for the premium offer.")
    page.get_by_text("Your approval is recorded. Still waiting for risk.").wait_for()
    settled(page)
    expect(state_badge(page)).to_contain_text("Awaiting sign-off")
    assert state_of(portal_env, 3) == "awaiting_signoff"

    page = reviewer_page(browser, portal_url, "rick", 3)
    expect(page.get_by_text(re.compile(r"An approval by risk is the last one missing"))).to_be_visible()
    approve(page, "Risks acceptable.")
    page.get_by_text("Every required role has approved: version 3 is now approved").wait_for()
    settled(page)
    expect(state_badge(page)).to_contain_text("Approved")
    assert state_of(portal_env, 3) == "approved"
