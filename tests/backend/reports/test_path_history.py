"""How long each step of the path takes here, and the real examples the explanation page shows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from backend.db.tables import StageRunRow
from backend.registry.states import State
from backend.reports import path_history
from backend.reports._path_history import CANARY_STEP, EXAMPLES
from tests.factories import (
    approve_all,
    fairness_fail_report,
    new_version,
    person,
    validated_version,
)
from tests.serving_factories import canary_in_flight

STEPS = ("build", "smoke_checks", "manual_validation", CANARY_STEP)


def _timed_run(app, name: str, number: int, stage: str, seconds: float, *, status: str = "passed") -> None:
    run = app.registry.start_stage(name, number, stage)
    finished = app.registry.finish_stage(run, status=status, messages=[], evidence={})
    with app.db.write() as session:
        session.execute(update(StageRunRow).where(StageRunRow.id == run)
                        .values(finished_at=finished.started_at + timedelta(seconds=seconds)))


def test_an_empty_registry_has_no_runs_and_no_examples(app):
    history = path_history(app, stages=STEPS)
    assert list(history.timings) == list(STEPS)
    assert all(t.runs == 0 and t.median_seconds is None for t in history.timings.values())
    assert history.stopped == history.acknowledged == history.rolled_back == ()


def test_the_median_ignores_one_slow_run_and_runs_still_going(app):
    number = new_version(app, "timed")
    for seconds in (10, 20, 3600):  # skewed: one run took an hour
        _timed_run(app, "timed", number, "build", seconds)
    _timed_run(app, "timed", number, "smoke_checks", 4, status="failed")  # a failed run took time too
    app.registry.start_stage("timed", number, "build")  # still running: no duration yet

    timings = path_history(app, stages=STEPS).timings
    assert (timings["build"].runs, timings["build"].median_seconds) == (3, 20)
    assert (timings["smoke_checks"].runs, timings["smoke_checks"].median_seconds) == (1, 4)
    assert timings["manual_validation"].runs == 0 and timings["manual_validation"].median_seconds is None


def test_real_examples_a_stopped_version_an_acknowledged_fail_and_a_rolled_back_canary(app):
    number = new_version(app, "stopped-model")
    app.registry.transition("stopped-model", number, State.FAILED, actor="pipeline",
                            reason="test_validation: Failed the gate roc_auc ≥ 0.80 (0.61).")
    fair = validated_version(app, "fair-model", fairness=fairness_fail_report(failed=1))
    approve_all(app, "fair-model", fair)
    canary_in_flight(app, "canaried")
    app.deployments.rollback("canaried", actor=person(app, "dana"), reason="Error rate doubled in the canary.")

    history = path_history(app, stages=STEPS)
    assert [(e.model, e.version, e.text) for e in history.stopped] == [
        ("stopped-model", number, "test_validation: Failed the gate roc_auc ≥ 0.80 (0.61).")]
    assert history.acknowledged and {e.model for e in history.acknowledged} == {"fair-model"}
    assert all(e.text.endswith(": Accepted for the test.") for e in history.acknowledged)
    assert [(e.model, e.version, e.text) for e in history.rolled_back] == [
        ("canaried", 2, "Error rate doubled in the canary.")]
    assert history.timings[CANARY_STEP].runs == 1
    assert history.timings["manual_validation"].runs >= 3  # every approved version waited for its reviewers


def test_examples_are_the_newest_few(app):
    for i in range(EXAMPLES + 2):
        number = new_version(app, f"stop-{i}")
        app.registry.transition(f"stop-{i}", number, State.FAILED, actor="pipeline", reason=f"build: broken {i}.")
    stopped = path_history(app, stages=()).stopped
    assert len(stopped) == EXAMPLES
    assert stopped[0].text == f"build: broken {EXAMPLES + 1}."
