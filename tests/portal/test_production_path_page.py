"""The "What production means" page: the organisation's own path, how long each step takes here,
and real examples from the registry, shown as text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.db.tables import StageRunRow
from backend.demo import DEMO_ACCOUNTS
from backend.domain import PathHistory
from backend.pipeline.runner import STAGES
from backend.reports import path_history
from portal.navigation import PRODUCTION_PATH_PAGE
from portal.production_path_view import path_chart, path_steps, timed_steps
from tests.factories import HOSTILE_TEXT, admin, new_version, person
from tests.portal.helpers import open_page, shown, table_with, visible_text
from tests.portal.test_user_text import assert_text_only
from tests.serving_factories import canary_in_flight

STEP_TITLES = ["Build", "Smoke checks", "Reports", "Test environment", "Sign-off", "Canary", "Production"]


def _expander_titles(at) -> list[str]:
    return [e.label.split(". ", 1)[1].split(" — ")[0] for e in at.expander]


def test_the_path_is_the_pipelines_own_stages_then_sign_off_canary_and_production():
    steps = path_steps()
    assert steps[:len(STAGES)] == [name for name, *_ in STAGES]
    assert steps[len(STAGES):] == ["manual_validation", "canary", "production"]
    assert "production" not in timed_steps()


def test_the_chart_shows_each_step_in_order_with_no_runs_yet():
    empty = PathHistory(timings={}, stopped=(), acknowledged=(), rolled_back=())
    frame = path_chart(empty).layer[1].data
    assert list(frame["step"]) == STEP_TITLES
    assert list(frame["took"]) == ["no runs yet"] * 6 + ["instant"]


def test_an_empty_registry_explains_the_path_and_says_no_runs_yet(registry_env):
    at = open_page(PRODUCTION_PATH_PAGE)
    assert [t.value for t in at.title] == ["What production means"]
    assert _expander_titles(at) == STEP_TITLES
    text = visible_text(at)
    assert text.count("No runs yet: this registry has no finished run of this step to measure.") == 6
    for none_yet in ("Not yet: no version in this registry has been stopped by a gate.",
                     "Not yet: no reviewer here has approved a version with a failed fairness check.",
                     "Not yet: no canary in this registry has been rolled back."):
        assert none_yet in text
    assert [s.value for s in at.subheader] == ["The path, as this organisation runs it", "Benefits",
                                               "The work involved", "The risks, and real examples from this registry"]
    assert len(at.get("vega_lite_chart")) == 1


def test_sign_off_roles_and_gates_are_the_organisations_policy_in_force(registry_env):
    app = registry_env
    app.org_policy.update({"signoff_roles_by_tier": {"low": ["business_owner"], "medium": ["business_owner", "risk"],
                                                     "high": ["business_owner", "model_risk", "compliance"]},
                           "expires_days": 90}, actor=admin(app))
    at = open_page(PRODUCTION_PATH_PAGE)
    roles = table_with(at, "Who must approve")
    assert list(roles["Risk tier"]) == ["Low", "Medium", "High"]
    assert list(roles["Who must approve"]) == ["business owner", "business owner and risk",
                                               "business owner, model risk and compliance"]
    assert "An approval lasts 90 days." in visible_text(at)
    floor = table_with(at, "Organisation's floor")
    assert "Days an approval lasts" in list(floor["Rule"])
    assert "90" in list(floor["Organisation's floor"])


def test_durations_are_medians_measured_from_the_registry(registry_env):
    app = registry_env
    number = new_version(app, "timed")
    for seconds in (30, 42, 5000):
        run = app.registry.start_stage("timed", number, "build")
        started = app.registry.finish_stage(run, status="passed", messages=[], evidence={}).started_at
        with app.db.write() as session:
            session.execute(update(StageRunRow).where(StageRunRow.id == run)
                            .values(finished_at=started + timedelta(seconds=seconds)))
    at = open_page(PRODUCTION_PATH_PAGE)
    assert "Typically 42 s per run (the median of the last 3 finished runs here)." in visible_text(at)


def test_real_examples_from_the_registry_are_shown_as_text(registry_env):
    app = registry_env
    stopped = new_version(app, "stopped")
    app.registry.transition("stopped", stopped, "failed", actor="pipeline",
                            reason=f"test_validation: Failed the gate {HOSTILE_TEXT}")
    canary_in_flight(app, "canaried")
    app.deployments.rollback("canaried", actor=person(app, "dana"), reason=f"Errors doubled {HOSTILE_TEXT}")
    at = open_page(PRODUCTION_PATH_PAGE)
    text = assert_text_only(at)
    assert f"stopped, version {stopped} (" in text
    assert f"Stopped at test-environment validation. Failed the gate {HOSTILE_TEXT}" in text
    assert f"rolled back: Errors doubled {HOSTILE_TEXT}" in text
    assert "canaried, version 2 (" in text
    assert "Not yet: no canary in this registry has been rolled back." not in text


@pytest.mark.parametrize("user", [a.username for a in DEMO_ACCOUNTS])
def test_every_role_reads_the_demos_own_path_and_examples(demo_settings, demo_app, user):
    at = open_page(PRODUCTION_PATH_PAGE, user=user)
    assert _expander_titles(at) == STEP_TITLES
    text = visible_text(at)
    history = path_history(demo_app, stages=timed_steps())
    assert history.stopped, "the demo builds a version that fails a gate on purpose"
    for example in history.stopped:
        assert f"{example.model}, version {example.version} (" in text
    for example in history.acknowledged:
        assert shown(f"“{example.text}”") in text or f"“{example.text}”" in text
    assert history.timings["build"].runs and "Typically " in text
