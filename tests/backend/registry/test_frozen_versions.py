"""A version's policy, lineage and metrics are written once, by the stage that owns them, and
every write is in the audit log."""

from __future__ import annotations

import pytest

from backend.errors import InvalidTransition
from backend.registry.states import State
from tests.factories import new_version, person, validated_version


def test_there_is_no_general_purpose_update(app):
    assert not hasattr(app.registry, "update_version")


def test_build_lineage_is_written_once_while_registered(app):
    number = new_version(app, "loan-model", git_commit="abc1234", factory="model:build")
    app.registry.record_build("loan-model", number, actor="dana", data_fingerprint="sha256:" + "0" * 64,
                              estimator="LogisticRegression", params={"C": 1.0}, input_schema={"columns": {}})
    with pytest.raises(InvalidTransition, match="already recorded and cannot be rewritten") as caught:
        app.registry.record_build("loan-model", number, actor="dana", estimator="Something else")
    assert caught.value.code == "frozen"
    app.registry.transition("loan-model", number, State.BUILT, actor="pipeline")
    with pytest.raises(InvalidTransition, match="it is 'built', so it is frozen"):
        app.registry.record_build("loan-model", number, actor="dana", params={"C": 99.0})
    version = app.registry.get_version("loan-model", number)
    assert (version.estimator, version.params, version.git_commit, version.factory) == (
        "LogisticRegression", {"C": 1.0}, "abc1234", "model:build")
    recorded = app.registry.audit_log(action_prefix="version.recorded")
    assert [e.detail["stage"] for e in recorded] == ["build"]
    assert recorded[0].detail["fields"]["params"].startswith("sha256:")


def test_metrics_are_written_once_by_test_validation(app):
    number = new_version(app, "loan-model")
    with pytest.raises(InvalidTransition, match="written while it is 'reported'"):
        app.registry.record_metrics("loan-model", number, actor="dana", metrics={"roc_auc": 0.99})
    for state in (State.BUILT, State.CHECKED, State.REPORTED):
        app.registry.transition("loan-model", number, state, actor="pipeline")
    app.registry.record_metrics("loan-model", number, actor="pipeline", metrics={"roc_auc": 0.71})
    with pytest.raises(InvalidTransition, match="already recorded"):
        app.registry.record_metrics("loan-model", number, actor="dana", metrics={"roc_auc": 0.99})
    assert app.registry.get_version("loan-model", number).metrics == {"roc_auc": 0.71}
    assert app.registry.audit_log(action_prefix="version.recorded")[0].detail["metrics"] == {"roc_auc": 0.71}


def test_approved_needs_every_signoff_of_the_frozen_policy_through_the_python_api(app):
    number = validated_version(app, "loan-model")
    app.signoffs.request("loan-model", number, actor="pipeline")
    with pytest.raises(InvalidTransition, match="still needs a valid sign-off by business_owner, risk"):
        app.registry.transition("loan-model", number, State.APPROVED, actor="dana")


def test_registration_is_by_a_data_scientist_and_records_the_lineage(app):
    from backend.errors import PermissionDenied

    for roles in (("viewer",), ("risk",), ("admin",)):
        someone = person(app, f"user-{roles[0]}", *roles)
        with pytest.raises(PermissionDenied, match="may not run pipeline"):
            app.registry.create_version("loan-model", author=someone)
    number = new_version(app, "loan-model", git_commit="f00d", spec_hash="sha256:" + "1" * 64)
    entry = [e for e in app.registry.history("loan-model") if e.action == "version.registered"][0]
    assert entry.actor == "dana" and entry.version == number
    assert entry.detail["git_commit"] == "f00d" and entry.detail["policy"].startswith("sha256:")
