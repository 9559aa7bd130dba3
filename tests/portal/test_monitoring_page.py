"""The Monitoring page, as every role, on a model with judged periods and on one without."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.monitoring import run_monitoring
from backend.registry.prediction_log import PredictionLog
from tests.backend.monitoring.conftest import IMPORTANCE, SCHEMA, day, population
from tests.factories import add_user, put_in_production
from tests.portal.helpers import open_page, tables, visible_text
from tests.serving_factories import log_predictions, monitored_version

PAGE = "../pages/monitoring.py"
ROLES = ("viewer", "data_scientist", "admin", "business_owner", "risk", "compliance")


@pytest.fixture
def monitored(registry_env):
    app = registry_env
    X, y, s = population(3000, 0)
    version = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE,
                                sensitive=["sex"])
    log = PredictionLog(str(app.settings.artifacts_dir))
    for d in range(4):
        Xp, yp, sp = population(1500, 10 + d, income_shift=0.25 * d, concept=0.5 * d)
        log_predictions(log, "watched", version, Xp, sp, day(d), schema=SCHEMA, outcomes=yp if d < 3 else None,
                        outcome_day=day(5))
    for period in ("day", "week"):
        run_monitoring(app, actor="tester", period=period, now=datetime(2026, 12, 1, tzinfo=UTC))
    for role in ROLES:
        add_user(app, f"user-{role.replace('_', '-')}", role)
    return app


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_health_charts_drift_and_alerts(monitored, role):
    at = open_page(PAGE, user=f"user-{role.replace('_', '-')}", model="watched")
    text = visible_text(at)
    assert [t.value for t in at.title] == ["Monitoring"]
    assert "In short:" in text and "the largest shift is in income, the model's most important input" in text
    assert [s.value for s in at.subheader] == ["Performance over time", "Input drift", "Fairness over time", "Alerts"]
    assert "How to read it:" in text and "The green band is the range signed off for version 1" in text
    drift = next(t for t in tables(at) if "PSI" in t.columns)
    assert list(drift["Input"]) == IMPORTANCE and set(drift["Shifted"]) <= {"yes", "no"}
    alerts = next(t for t in tables(at) if "What happened" in t.columns)
    assert "Input drift" in set(alerts["Kind"]) and "not yet" in set(alerts["Sent to webhook"])
    assert "Retraining recommended" in text or "Healthy" in text or "At risk" in text


def test_the_page_reads_weekly_figures_and_says_which_are_estimates(monitored):
    at = open_page(PAGE, user="vic", model="watched")
    at.segmented_control(key="monitoring_period").set_value("week").run()
    assert not at.exception
    text = visible_text(at)
    assert "weekly figures" in text and "Latest ROC AUC (" in text
    assert "calibrated" in text, "the estimate's assumption is stated"


def test_a_model_that_is_not_monitored_says_so(registry_env):
    from tests.portal.helpers import hand_made_version

    hand_made_version(registry_env)
    at = open_page(PAGE, user="vic", model="hand-made")
    text = visible_text(at)
    assert "Not monitored" in text and "greenlight monitor run" in text
    assert not at.dataframe


def test_the_portfolio_shows_each_production_models_health_from_its_latest_monitoring(monitored):
    from backend.monitoring import model_health
    from backend.monitoring.health import HEALTH_LABELS

    put_in_production(monitored, "watched", 1)
    health = model_health(monitored, "watched")
    assert health.status in ("at_risk", "degraded")  # the fixture's shifted days leave marks
    at = open_page("../pages/overview.py", user="user-viewer")
    text = visible_text(at)
    assert any(m.value.startswith("**Health:**") and f"-badge[{HEALTH_LABELS[health.status]}]" in m.value
               for m in at.markdown)
    assert health.sentence.replace("`", "")[:40] in text
