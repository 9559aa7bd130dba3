"""Deployment in a real browser: a data scientist starts a canary, watches the judge's verdict and
promotes it.

The portal runs with ``streamlit run`` on a private copy of the demo, where version 1 of the
premium-offer model serves production and version 3 has just been approved. The gateway's
traffic is written to the prediction log by the test itself, the way the gateway writes it.
"""

from __future__ import annotations

import re
import shutil
from contextlib import closing

import pytest

from backend.app import App
from backend.config import Settings
from tests.browser.portal_server import (
    BROWSER_MARKS,
    chromium_browser,
    expect,
    new_page,
    settled,
    sign_in,
)
from tests.serving_factories import log_traffic, synthetic_traffic

pytestmark = BROWSER_MARKS
MODEL = "income-propensity"


def _open(env: dict[str, str]):
    return closing(App.open(Settings.from_env(env)))


@pytest.fixture(scope="module")
def portal_env(demo_env, tmp_path_factory) -> dict[str, str]:
    """A private demo copy: version 1 in production, version 3 approved and ready for a canary."""
    home = tmp_path_factory.mktemp("deployments-browser") / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)
    env = {"GREENLIGHT_HOME": str(home)}
    with _open(env) as app:
        ada = app.accounts.get_user("ada")
        if app.registry.serving_state(MODEL).canary is not None:
            app.deployments.rollback(MODEL, actor=ada, reason="Cleared for the browser test.")
        if app.registry.serving_state(MODEL).production is None:
            app.deployments.promote(MODEL, actor=ada, version=1,
                                    override_reason="First deployment of the demo model, for the browser test")
        status = app.signoffs.status(MODEL, 3)
        acknowledged = {c["key"]: "Reviewed: the gap mirrors the census data; the offer rate by group is reported monthly."
                        for c in app.signoffs.failed_checks(MODEL, 3)}
        for username in ("bea", "rick"):
            reviewer = app.accounts.get_user(username)
            role = next(r for r in reviewer.roles if r in status.missing_roles)
            status = app.signoffs.decide(MODEL, 3, reviewer=reviewer, role=role, decision="approve",
                                         comment="Fine for the autumn campaign.", evidence=status.evidence,
                                         acknowledgements=acknowledged)
        assert status.state == "approved"
    return env


@pytest.fixture
def browser(chromium, portal_url):
    with chromium_browser(chromium) as browser:
        yield browser


def test_dana_starts_a_canary_watches_the_verdict_and_promotes(browser, portal_url, portal_env):
    page = new_page(browser)
    page.goto(f"{portal_url}/deployments?model={MODEL}")
    sign_in(page, "dana")
    page.get_by_role("heading", name=f"Premium offer propensity ({MODEL})").wait_for()
    settled(page)
    expect(page.get_by_text("No new version is trying out live traffic now.")).to_be_visible()

    # Start: nothing happens until the confirmation is ticked.
    start = page.get_by_role("button", name="Start the canary")
    expect(start).to_be_disabled()
    page.get_by_text(re.compile(r"^Yes, send 10% of live traffic to version 3\.$")).click()
    settled(page)
    expect(start).to_be_enabled()
    start.click()
    page.get_by_text("Version 3 now takes 10% of live traffic beside production version 1.").wait_for()
    settled(page)
    expect(page.get_by_text("The judge has not looked at this canary yet.")).to_be_visible()

    # The gateway serves both sides; the judge first says to keep waiting, then passes.
    with _open(portal_env) as app:
        since = app.deployments.status(MODEL, live=False).canary.started_at
        log_traffic(app, MODEL, slot="canary", version=3, rows=synthetic_traffic(120, seed=1), start=since)
        log_traffic(app, MODEL, slot="production", version=1, rows=synthetic_traffic(1_500, seed=2), start=since)
    page.get_by_role("button", name="Run the judge now").click()
    page.get_by_text(re.compile(r"^The judge has looked at the canary: Keep waiting: the canary \(version 3\) has "
                                r"served 120 of the 500 predictions")).wait_for()
    settled(page)
    expect(page.get_by_role("button", name="Promote to production")).to_have_count(0)

    with _open(portal_env) as app:
        log_traffic(app, MODEL, slot="canary", version=3, rows=synthetic_traffic(500, seed=3), start=since)
    page.get_by_role("button", name="Run the judge now").click()
    page.get_by_text(re.compile(r"^The judge has looked at the canary: Pass: the canary \(version 3\)")).wait_for()
    settled(page)
    expect(page.get_by_text("Canary: 620 predictions served (500 needed before a pass)")).to_be_visible()

    promote = page.get_by_role("button", name="Promote to production")
    page.get_by_text("Yes, make version 3 the production version for all live traffic.").click()
    settled(page)
    promote.click()
    page.get_by_text("Version 3 now serves all live traffic. Version 1 is kept as the rollback target.").wait_for()
    settled(page)
    expect(page.get_by_text(re.compile(r"^The last canary, version 3, was promoted to production"))).to_be_visible()
    with _open(portal_env) as app:
        serving = app.registry.serving_state(MODEL)
        assert (serving.production, serving.previous, serving.canary) == (3, 1, None)
        assert app.registry.audit_log(model=MODEL, action_prefix="deployment.promoted")[0].actor == "dana"
    assert "Traceback" not in page.content()
