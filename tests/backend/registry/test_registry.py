"""The registry on a real database: SQLite file and PostgreSQL server."""

from __future__ import annotations

import threading

import pytest

from backend.domain import ModelInfo
from backend.errors import InvalidTransition, NotFound
from backend.governance import audit
from backend.registry.states import State
from tests.factories import admin, make_model, new_version, put_in_production, validated_version


def _walk(registry, name, number, *states):
    for state in states:
        registry.transition(name, number, state, actor="pipeline")


def test_versions_are_numbered_per_model(app):
    reg = app.registry
    make_model(app, "alpha")
    make_model(app, "beta")
    assert [new_version(app, "alpha") for _ in range(3)] == [1, 2, 3]
    assert new_version(app, "beta") == 1
    assert reg.get_model("alpha").latest_version == 3


def test_upsert_model_records_changes(app):
    reg = app.registry
    make_model(app, "alpha")
    reg.upsert_model(ModelInfo("alpha", "New title", "", "team", "high", "classification"), actor=make_model(app, "beta"))
    model = reg.get_model("alpha")
    assert (model.title, model.risk_tier) == ("New title", "high")
    actions = [e.action for e in reg.history("alpha")]
    assert actions == ["model.updated", "model.created"]
    assert reg.history("alpha")[0].detail["changes"]["risk_tier"] == ["low", "high"]


def test_state_machine_is_enforced(app):
    reg = app.registry
    make_model(app)
    new_version(app, "test-model")
    with pytest.raises(InvalidTransition) as caught:
        reg.transition("test-model", 1, State.PRODUCTION, actor=admin(app), override_reason="no canary in this test")
    assert caught.value.code == "invalid_transition"
    assert "'registered' cannot move to 'production'" in caught.value.message
    _walk(reg, "test-model", 1, State.BUILT, State.CHECKED, State.REPORTED, State.VALIDATED)
    assert reg.get_version("test-model", 1).state == "validated"


def test_failing_needs_a_reason_and_is_final(app):
    reg = app.registry
    make_model(app)
    new_version(app, "test-model")
    with pytest.raises(InvalidTransition, match="with a reason"):
        reg.transition("test-model", 1, State.FAILED, actor="ana")
    reg.transition("test-model", 1, State.FAILED, actor="ana", reason="build: no data")
    assert reg.get_version("test-model", 1).failure_reason == "build: no data"
    with pytest.raises(InvalidTransition, match="it is final"):
        reg.transition("test-model", 1, State.BUILT, actor="ana")


def test_every_state_change_is_in_the_history(app):
    reg = app.registry
    make_model(app)
    new_version(app, "test-model")
    _walk(reg, "test-model", 1, State.BUILT, State.CHECKED)
    changes = [(e.detail["from"], e.detail["to"]) for e in reg.history("test-model") if e.action == "version.state"]
    assert changes == [("built", "checked"), ("registered", "built")]


def test_aliases_move_and_are_listed(app):
    reg = app.registry
    for _ in range(3):
        validated_version(app, "test-model")
    assert reg.get_alias("test-model", "production") is None
    put_in_production(app, "test-model", 1)
    put_in_production(app, "test-model", 2, reason="better than version 1")
    assert reg.get_alias("test-model", "production") == 2
    assert reg.get_version("test-model", 2).aliases == ("production",)
    page = reg.list_versions("test-model")
    assert {v.number: v.aliases for v in page.versions} == {3: (), 2: ("production",), 1: ("previous",)}
    assert {v.number: v.state for v in page.versions} == {3: "validated", 2: "production", 1: "retired"}
    moved = [e for e in reg.history("test-model") if e.action == "alias.moved"]
    assert moved[1].detail == {"alias": "production", "from_version": 1, "reason": "better than version 1"}
    with pytest.raises(InvalidTransition, match="Unknown alias 'prod'"):
        reg.move_alias("test-model", "prod", 1, actor=admin(app))


def test_list_models_shows_latest_and_production(app):
    reg = app.registry
    make_model(app, "alpha")
    make_model(app, "beta")
    make_model(app, "gamma")
    validated_version(app, "alpha")
    put_in_production(app, "alpha", 1)
    new_version(app, "alpha")
    reg.transition("alpha", 2, State.FAILED, actor="ci", reason="build: broken")
    new_version(app, "beta")
    models = {m.name: m for m in reg.list_models()}
    assert list(models) == ["alpha", "beta", "gamma"]
    assert (models["alpha"].latest_version, models["alpha"].latest_state, models["alpha"].production_version) == (2, "failed", 1)
    assert models["alpha"].latest_failure_reason == "build: broken"
    assert (models["beta"].latest_version, models["beta"].production_version) == (1, None)
    assert (models["gamma"].latest_version, models["gamma"].latest_state) == (None, None)


def test_history_pages_newest_first(app):
    reg = app.registry
    make_model(app)
    for _ in range(7):
        new_version(app, "test-model")
    first = reg.list_versions("test-model", limit=3)
    assert [v.number for v in first.versions] == [7, 6, 5] and first.total == 7
    second = reg.list_versions("test-model", limit=3, before=first.next_before)
    third = reg.list_versions("test-model", limit=3, before=second.next_before)
    assert [v.number for v in second.versions] == [4, 3, 2]
    assert [v.number for v in third.versions] == [1] and third.next_before is None


def test_stage_runs_are_recorded_in_order(app):
    reg = app.registry
    make_model(app)
    new_version(app, "test-model")
    first = reg.start_stage("test-model", 1, "build")
    reg.finish_stage(first, status="passed", messages=["ok"], evidence={"rows": 10})
    second = reg.start_stage("test-model", 1, "smoke_checks")
    runs = reg.list_stage_runs("test-model", 1)
    assert [(r.stage, r.status) for r in runs] == [("build", "passed"), ("smoke_checks", "running")]
    assert runs[0].evidence == {"rows": 10} and runs[0].duration_s >= 0
    assert runs[1].finished_at is None
    reg.finish_stage(second, status="failed", messages=["no"], evidence={})


def test_not_found_errors_name_the_thing(app):
    reg = app.registry
    with pytest.raises(NotFound) as caught:
        reg.get_model("ghost")
    assert caught.value.message == "There is no model named 'ghost'." and caught.value.code == "not_found"
    make_model(app)
    with pytest.raises(NotFound, match="Model 'test-model' has no version 9"):
        reg.get_version("test-model", 9)
    new_version(app, "test-model")
    with pytest.raises(NotFound, match="has no 'model' artifact"):
        reg.get_artifact("test-model", 1, "model")


def test_concurrent_pipelines_get_distinct_version_numbers(app):
    make_model(app)
    numbers, errors = [], []

    def register():
        try:
            for _ in range(5):
                numbers.append(new_version(app, "test-model"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == list(range(1, 21))
    with app.db.read() as session:
        assert audit.verify(session=session).intact


def test_names_with_markup_are_stored_as_written(app):
    reg = app.registry
    eve = make_model(app, "other", author="eve.obrien")
    reg.upsert_model(ModelInfo("m", "<script>alert(1)</script>", "'; DROP TABLE models; --", "o", "low",
                               "classification"), actor=eve)
    model = reg.get_model("m")
    assert model.title == "<script>alert(1)</script>"
    assert model.description == "'; DROP TABLE models; --"
    assert reg.history("m")[0].actor == "eve.obrien"
