"""A real browser against a real portal: ``streamlit run`` on a loopback port, Chromium driven
by Playwright, the demo registry behind it (see :mod:`tests.browser.portal_server` and the
fixtures in ``tests/browser/conftest.py``).
"""

from __future__ import annotations

import re

from tests.browser.portal_server import BROWSER_MARKS, choose, expect, settled, sign_in

pytestmark = BROWSER_MARKS


def version_labels(env: dict[str, str], model: str) -> dict[int, str]:
    """How the version picker names each version, from what the registry holds."""
    from backend.app import App
    from backend.config import Settings
    from portal.wording import state_label

    app = App.open(Settings.from_env(env))
    try:
        return {v.number: f"Version {v.number} — {state_label(v.state)}"
                for v in app.registry.list_versions(model).versions}
    finally:
        app.close()


def test_business_reader_goes_from_portfolio_to_a_failed_version(page, portal_url):
    page.goto(portal_url)
    sign_in(page)
    page.get_by_text("Model portfolio").wait_for()
    settled(page)
    expect(page.get_by_role("heading", name="Consumer credit risk")).to_be_visible()
    expect(page.get_by_role("heading", name="Premium offer propensity")).to_be_visible()
    expect(page.get_by_text("Needs attention").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stopped at test-environment validation")).first).to_be_visible()

    page.get_by_role("link", name=re.compile("Open credit-risk")).click()
    page.get_by_text("Version history").wait_for()
    settled(page)
    assert "model=credit-risk" in page.url
    banner = page.get_by_test_id("stAlert").filter(has_text="Why version 3 stopped")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"ROC AUC is 0\.\d+, below the minimum of 0\.750"))
    expect(page.get_by_role("combobox", name="Version")).to_have_value("Version 3 — Failed")
    # The version history table: a static table, so every sentence shows in full.
    history = page.locator("table").filter(has_text="Why it stopped").first
    for text in ("v3", "v2", "v1", "Failed", "Stopped at test-environment validation"):
        expect(history).to_contain_text(text)
    expect(page.get_by_role("heading", name="Pipeline stages")).to_be_visible()
    assert "Traceback" not in page.content()


def test_deep_link_to_a_version_and_choosing_another(page, portal_url, demo_env):
    labels = version_labels(demo_env, "income-propensity")
    page.goto(f"{portal_url}/model?model=income-propensity&version=1")
    sign_in(page)  # the deep link survives signing in
    page.get_by_role("heading", name="Premium offer propensity").wait_for()
    settled(page)
    version = page.get_by_role("combobox", name="Version")
    expect(version).to_have_value(labels[1])
    expect(page.get_by_role("combobox", name="Model")).to_have_value("Premium offer propensity (income-propensity)")
    assert not page.get_by_text("Why version").count(), "version 1 passed the pipeline: no failure to explain"

    choose(page, version, labels[2])
    page.wait_for_url(re.compile(r"version=2"))
    expect(version).to_have_value(labels[2])


def test_unknown_model_reads_as_a_message_not_a_crash(page, portal_url):
    page.goto(f"{portal_url}/model?model=no-such-model")
    sign_in(page)
    page.get_by_text("There is no model named 'no-such-model'").wait_for()
    settled(page)
    content = page.content()
    assert "Traceback" not in content and "NotFound" not in content


def test_key_measures_fit_the_page_at_1400_px(page, portal_url):
    page.goto(f"{portal_url}/model?model=income-propensity")
    sign_in(page)
    page.get_by_role("heading", name="Key measures across versions").wait_for()
    settled(page)
    main = page.locator("[data-testid=stMain]").bounding_box()
    charts = page.locator("[data-testid=stVegaLiteChart]")
    charts.nth(1).wait_for()
    assert charts.count() >= 2, "the timeline and the key measures"
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box["x"] + box["width"] <= main["x"] + main["width"] + 1, f"chart {i} is cut off"
        svg = charts.nth(i).locator("svg, canvas").first.bounding_box()
        assert svg["x"] + svg["width"] <= main["x"] + main["width"] + 1, f"chart {i} draws past the page"
