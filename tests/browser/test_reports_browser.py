"""The Reports page in a real browser: sign in, read a demo version's verdicts and drivers,
move the threshold, and follow the menu.

Same set-up as the other browser tests (``streamlit run`` on a loopback port, Debian's Chromium
driven by Playwright, the seeded demo behind it): see :mod:`tests.browser.portal_server` and
``tests/browser/conftest.py``.
"""

from __future__ import annotations

import re

from backend.reports import VERDICT_LABELS
from portal.report_tables import report_labels
from tests.browser.portal_server import BROWSER_MARKS, expect, settled, sign_in

pytestmark = BROWSER_MARKS


def reported_version(env: dict[str, str]) -> tuple[str, int, dict, dict]:
    """A demo version with both reports, the fairness verdict failing if any does (the richest page)."""
    from backend.app import App
    from backend.config import Settings
    from backend.reports import load_reports

    app = App.open(Settings.from_env(env))
    try:
        found = []
        for model in app.registry.list_models():
            for version in app.registry.list_versions(model.name).versions:
                reports = load_reports(app, model.name, version.number)
                if reports.complete:
                    found.append((model.name, version.number, reports.fairness, reports.explainability))
    finally:
        app.close()
    assert found, "the demo has no version with reports"
    return next((f for f in found if f[2]["verdict"] == "fail"), found[0])


def test_a_reader_sees_the_verdict_and_the_top_drivers(page, portal_url, demo_env):
    name, number, fairness, explainability = reported_version(demo_env)
    page.goto(f"{portal_url}/reports?model={name}&version={number}")
    sign_in(page)  # the deep link survives signing in
    page.get_by_role("heading", name="Fairness verdict").wait_for()
    settled(page)
    expect(page.get_by_role("combobox", name="Version")).to_have_value(re.compile(rf"^Version {number} — "))

    verdict = page.get_by_test_id("stAlert").first
    expect(verdict).to_contain_text(f"{VERDICT_LABELS[fairness['verdict']]}.")
    checks = [c for f in fairness["features"] for c in f["checks"]]
    for word in {VERDICT_LABELS[c["verdict"]] for c in checks}:
        expect(page.get_by_text(word, exact=True).first).to_be_visible()

    page.get_by_role("heading", name="What drives the model").scroll_into_view_if_needed()
    drivers = page.get_by_test_id("stMarkdownContainer").filter(has_text="Top drivers.")
    labels = report_labels(explainability)  # the spec's display names, as the reader sees them
    for driver in explainability["global"][:3]:
        expect(drivers).to_contain_text(labels.feature(driver["feature"]))
    expect(page.get_by_role("button", name=re.compile("Download the model card"))).to_have_count(2)
    assert "Traceback" not in page.content()


def test_moving_the_threshold_slider_changes_the_selection_rate(page, portal_url, demo_env):
    name, number, fairness, _ = reported_version(demo_env)
    page.goto(f"{portal_url}/reports?model={name}&version={number}")
    sign_in(page)
    heading = page.get_by_role("heading", name="What if the decision threshold moved?")
    heading.wait_for()
    settled(page)
    heading.scroll_into_view_if_needed()
    headline = page.get_by_text(re.compile(r"Everyone together at a threshold of \d+%"))
    expect(headline).to_contain_text(f"{fairness['threshold']:.0%}")
    rate = page.get_by_test_id("stMetric").filter(has_text="Selection rate").get_by_test_id("stMetricValue")
    before = rate.inner_text()

    slider = page.get_by_role("slider", name=re.compile("Decision threshold"))
    slider.focus()
    for _ in range(4):
        slider.press("ArrowLeft")
    expect(headline).not_to_contain_text(f"{fairness['threshold']:.0%}")
    settled(page)
    expect(rate).not_to_have_text(before)


def test_the_menu_leads_to_the_reports_page(page, portal_url):
    page.goto(portal_url)
    sign_in(page)
    page.get_by_text("Model portfolio").wait_for()
    settled(page)
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("heading", name="Fairness and explainability reports").wait_for()
    page.get_by_role("heading", name="Fairness verdict").wait_for()
    settled(page)
    assert "/reports" in page.url
    expect(page.get_by_role("combobox", name="Model")).not_to_have_value("")
