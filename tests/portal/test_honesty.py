"""No page says "passed" over a failure, and the Portfolio shows what is approved, what is in
production and what is on its way — on a constructed registry where a production version exists."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    approve,
    fairness_fail_report,
    new_version,
    put_in_production,
    validated_version,
)
from tests.portal.helpers import open_page, table_with, visible_text

MODEL, REPORTS, PACKET = "../pages/model.py", "../pages/reports.py", "../pages/signoff.py"


@pytest.fixture
def constructed(registry_env):
    """loan-model: v1 approved, v2 failed (the latest). churn-model: v1 in production, v2 awaiting
    sign-off with 2 of 3 fairness checks failing."""
    app = registry_env
    validated_version(app, "loan-model")
    app.signoffs.request("loan-model", 1, actor="pipeline")
    approve(app, "loan-model", 1)
    v2 = new_version(app, "loan-model")
    app.registry.transition("loan-model", v2, "failed", actor="pipeline", reason="build: the training file is empty")
    validated_version(app, "churn-model")
    app.signoffs.request("churn-model", 1, actor="pipeline")
    approve(app, "churn-model", 1)
    put_in_production(app, "churn-model", 1)
    validated_version(app, "churn-model", fairness=fairness_fail_report(failed=2, passed=1))
    app.signoffs.request("churn-model", 2, actor="pipeline")
    return app


def _card_of(at, title: str) -> str:
    """The text of one model's card on the Portfolio (from its heading to the next one)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    text = "\n".join(m.value for m in at.markdown)
    return text.split(f"#### {title}")[1].split("#### ")[0] if f"#### {title}" in text else "\n".join(parts)


def test_the_portfolio_shows_production_approved_and_on_its_way(constructed):
    at = open_page()
    markdown = [m.value for m in at.markdown]
    assert any(m.startswith("**In production:** version 1 ") and "In production]" in m for m in markdown)
    assert any(m.startswith("**Approved:** version 1 ") for m in markdown), "loan-model v1 stays approved"
    assert any(m.startswith("**On its way:** version 2 ") and "Awaiting sign-off]" in m for m in markdown)
    assert any(m.startswith("**Latest pipeline run:** :red[Failed (version 2)]") for m in markdown)
    figures = {m.label: m.value for m in at.metric}
    assert figures["In production"] == "1" and figures["Approved"] == "1" and figures["On its way"] == "1"
    # loan-model failed its latest run but has an approved version: not "needs attention" for that.
    at.selectbox(key="portfolio_group").select("attention").run()
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert headings == ["#### Test"], "only churn-model, which waits for reviewers over a fairness failure"


def test_the_portfolio_never_says_passed_over_a_fairness_failure(constructed):
    text = visible_text(open_page())
    assert "Fairness fails 2 of 3 checks (version 2)" in text
    assert "Passed (version 2)" not in text and "Every automatic check of the pipeline passed" not in text


def test_an_approval_changes_the_portfolio(constructed):
    approve(constructed, "churn-model", 2)
    markdown = [m.value for m in open_page().markdown]
    assert sum(m.startswith("**Approved:** version 2 ") for m in markdown) == 1
    assert not any(m.startswith("**On its way:** version 2") for m in markdown)


def test_the_stage_list_reads_a_fairness_failure_as_a_warning(constructed):
    at = open_page(MODEL, model="churn-model", version="2")
    stages = table_with(at, "Stage")
    reports = stages[stages["Stage"] == "Fairness and explainability reports"]
    assert list(reports["Result"]) == ["⚠ Done — fairness fails 2 of 3 checks"]
    assert "✔ Passed" not in set(reports["Result"])
    titles = [e.label for e in at.expander]
    assert any(t.startswith("Fairness and explainability reports — ⚠ Done — fairness fails 2 of 3 checks")
               for t in titles)
    assert any("The fairness report fails 2 of 3 checks" in w.value for w in at.warning)


def test_no_page_says_passed_next_to_the_failed_fairness_checks(constructed):
    for page, query in ((None, {}), (MODEL, {"model": "churn-model", "version": "2"}),
                        (PACKET, {"model": "churn-model", "version": "2"})):
        text = visible_text(open_page(page, **query) if page else open_page(), "text")
        for line in text.splitlines():
            if re.search(r"fairness (check|report)|fails \d+ of", line, re.I):
                assert not re.search(r"\bpassed\b", line, re.I) or "gates" in line, (page, line)
