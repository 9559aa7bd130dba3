"""The Compare page: production against the newest version, with a recommendation, as a viewer and a
data scientist; links that name the versions; a model with one version."""

from __future__ import annotations

import numpy as np
import pytest

from tests.factories import add_user, fairness_fail_report, put_in_production
from tests.portal.helpers import open_page, table_with, visible_text
from tests.serving_factories import scored_version

PAGE = "../pages/compare.py"
COMPUTE = {"latency_p50_ms": 2.0, "latency_p95_ms": 4.0, "model_size_mb": 1.5}


@pytest.fixture
def two_versions(registry_env):
    """Version 1 in production; version 2, as good, but failing a fairness check on a hostile feature name."""
    app = registry_env
    rng = np.random.default_rng(0)
    risk = rng.beta(1, 3, 600)
    y = (rng.random(600) < risk).astype(float)
    first = scored_version(app, y=y, scores=np.clip(risk + rng.normal(0, 0.05, 600), 0, 1), compute=COMPUTE,
                           fairness=fairness_fail_report(0, 3, feature="**sex**"), drivers={"income": 0.7, "tenure": 0.3})
    put_in_production(app, "loan-model", first)
    scored_version(app, y=y, scores=np.clip(risk + rng.normal(0, 0.05, 600), 0, 1), compute=COMPUTE,
                   fairness=fairness_fail_report(1, 2, feature="**sex**"), drivers={"tenure": 0.6, "income": 0.4})
    add_user(app, "dana-ds", "data_scientist")
    return app


@pytest.mark.parametrize("user", ["vic", "dana-ds"])
def test_production_against_the_newest_with_a_recommendation(two_versions, user):
    at = open_page(PAGE, user=user, model="loan-model")
    text = visible_text(at)
    assert [t.value for t in at.title] == ["Compare versions"]
    assert "Do not promote version 2" in text
    assert "A new fairness fail: Demographic parity ratio for **sex**" in text, "named, and shown as typed"
    assert r"\*\*sex\*\*" in at.error[0].value, "the feature's name is escaped, never bold"
    assert "How this is decided:" in text
    assert "Both versions scored the same 600 test rows" in text
    quality = table_with(at, "95% interval")
    assert list(quality.columns[:3]) == ["Metric", "Version 1", "Version 2"]
    assert "ROC AUC (primary)" in set(quality["Metric"]) and "What it means" in quality.columns
    assert at.get("vega_lite_chart"), "the differences are drawn"
    fairness = table_with(at, "New fail")
    assert fairness["New fail"].tolist().count("yes") == 1
    drivers = table_with(at, "Input")
    assert drivers.set_index("Input").loc["tenure", "Version 2"] == "#1 (60%)"
    assert "Latency (p95)" in set(table_with(at, "Candidate ÷ kept")["Measure"])


def test_a_link_names_both_versions_and_different_data_is_said(registry_env):
    app = registry_env
    rng = np.random.default_rng(1)
    for sha, n in (("test-a", 300), ("test-b", 200)):
        y = (rng.random(n) < 0.3).astype(float)
        scored_version(app, y=y, scores=rng.random(n), test_sha=sha)
    at = open_page(PAGE, user="vic", model="loan-model", a="2", b="1")
    text = visible_text(at)
    assert "Do not promote version 1" in text
    assert "were tested on different data" in text
    quality = table_with(at, "What it means")
    assert "95% interval" not in quality.columns and "Difference" not in quality.columns
    assert not at.get("vega_lite_chart")


def test_one_version_has_nothing_to_compare(registry_env):
    scored_version(registry_env, y=np.array([0.0, 1.0]), scores=np.array([0.2, 0.7]))
    at = open_page(PAGE, user="vic", model="loan-model")
    assert "nothing to compare it with yet" in visible_text(at)
    assert not at.dataframe


def test_a_running_canary_adds_the_live_figures(registry_env):
    from tests.serving_factories import canary_in_flight, log_traffic, synthetic_traffic

    app = registry_env
    first, second = canary_in_flight(app)
    since = app.deployments.status("loan-model", live=False).canary.started_at
    log_traffic(app, "loan-model", slot="production", version=first, rows=synthetic_traffic(40, seed=1), start=since)
    log_traffic(app, "loan-model", slot="canary", version=second, rows=synthetic_traffic(25, seed=2), start=since)
    at = open_page(PAGE, user="vic", model="loan-model")
    text = visible_text(at)
    assert "A canary is running for this model" in text and "no stored test-set scores" in text
    live = next(t for t in table_with(at, "Measure", every=True) if "Predictions served" in set(t["Measure"]))
    assert live.set_index("Measure").loc["Predictions served"].tolist()[:2] == ["25", "40"]
    assert any("Deployments page" in link.proto.label for link in at.get("page_link"))
