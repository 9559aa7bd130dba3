"""In a real browser: the Portfolio shows what is in production, approved and on its way, and no
page says "passed" over a fairness failure. The portal serves a constructed registry where a
production version exists (nothing reaches production in the demo yet)."""

from __future__ import annotations

import re

import pytest

from tests.browser.portal_server import BROWSER_MARKS, expect, settled, sign_in

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def portal_env(tmp_path_factory) -> dict[str, str]:
    """loan-model: v1 approved, v2 failed. churn-model: v1 in production, v2 awaiting sign-off with
    2 of 3 fairness checks failing."""
    from backend.app import App
    from backend.config import Settings
    from tests.factories import (
        add_user,
        approve,
        fairness_fail_report,
        new_version,
        put_in_production,
        validated_version,
    )

    home = tmp_path_factory.mktemp("honesty-browser") / "home"
    env = {"GREENLIGHT_HOME": str(home)}
    app = App.open(Settings.from_env(env))
    try:
        add_user(app, "vic", "viewer", password="vic-demo-password")
        validated_version(app, "loan-model")
        app.signoffs.request("loan-model", 1, actor="pipeline")
        approve(app, "loan-model", 1)
        v2 = new_version(app, "loan-model")
        app.registry.transition("loan-model", v2, "failed", actor="pipeline", reason="build: the file is empty")
        validated_version(app, "churn-model")
        app.signoffs.request("churn-model", 1, actor="pipeline")
        approve(app, "churn-model", 1)
        put_in_production(app, "churn-model", 1)
        validated_version(app, "churn-model", fairness=fairness_fail_report(failed=2, passed=1))
        app.signoffs.request("churn-model", 2, actor="pipeline")
    finally:
        app.close()
    return env


def test_the_portfolio_shows_production_approved_and_on_its_way(page, portal_url):
    page.goto(portal_url)
    sign_in(page, "vic")
    page.get_by_text("Model portfolio").wait_for()
    settled(page)
    expect(page.get_by_text(re.compile(r"^In production: version 1"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Approved: version 1"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^On its way: version 2"))).to_be_visible()
    expect(page.get_by_text("Fairness fails 2 of 3 checks (version 2)")).to_be_visible()
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "Passed (version 2)" not in body and "every automatic check" not in body.lower()
    assert "Traceback" not in page.content()


def test_the_stage_list_says_warning_not_passed(page, portal_url):
    page.goto(f"{portal_url}/model?model=churn-model&version=2")
    sign_in(page, "vic")
    page.get_by_role("heading", name="Pipeline stages").wait_for()
    settled(page)
    stages = page.locator("table").filter(has_text="What the stage does").first
    row = stages.locator("tr").filter(has_text="Fairness and explainability reports")
    expect(row).to_contain_text("⚠ Done — fairness fails 2 of 3 checks")
    expect(row).not_to_contain_text("Passed")
