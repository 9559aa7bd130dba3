"""One guard decides whether a version may take live traffic, for every door that moves it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from backend.errors import InvalidData, InvalidTransition, PermissionDenied
from backend.registry.states import State
from tests.factories import admin, approve_all, person, put_in_production, validated_version


def _approved(app, name="loan-model") -> int:
    number = validated_version(app, name)
    approve_all(app, name, number)
    assert app.registry.get_version(name, number).state == State.APPROVED
    return number


def test_an_approved_version_with_nothing_open_is_cleared(app):
    number = _approved(app)
    verdict = app.registry.live_traffic("loan-model", number)
    assert verdict.allowed and verdict.reasons == ()


def test_an_open_condition_blocks_canary_and_production(app):
    number = validated_version(app, "loan-model", roles=("business_owner",))
    app.signoffs.request("loan-model", number, actor="pipeline")
    status = app.signoffs.status("loan-model", number)
    bea = person(app, "bea", "business_owner")
    app.signoffs.decide("loan-model", number, reviewer=bea, role="business_owner", decision="conditions",
                        comment="Fine.", evidence=status.evidence, conditions=["Report offer rates monthly."])
    assert app.registry.get_version("loan-model", number).state == State.APPROVED
    verdict = app.registry.live_traffic("loan-model", number)
    assert not verdict.allowed
    assert "set at approval is still open: \u201cReport offer rates monthly.\u201d" in verdict.reasons[0]
    for target in (State.CANARY, State.PRODUCTION):
        with pytest.raises(InvalidTransition, match="may not take live traffic") as caught:
            app.registry.transition("loan-model", number, target, actor=admin(app), override_reason="urgent fix")
        assert caught.value.code == "not_cleared_for_traffic"
    assert app.registry.get_version("loan-model", number).state == State.APPROVED


def test_a_model_file_swapped_on_disk_voids_the_clearance(app):
    number = _approved(app)
    ref = app.registry.get_artifact("loan-model", number, "model")
    path = app.artifacts.path_of(ref)
    path.chmod(0o644)
    path.write_bytes(b"another model entirely")
    verdict = app.registry.live_traffic("loan-model", number)
    assert not verdict.allowed
    assert any("the model no longer matches the SHA-256 the sign-offs are bound to" in r for r in verdict.reasons)
    with pytest.raises(InvalidTransition, match="the model no longer matches"):
        app.registry.transition("loan-model", number, State.CANARY, actor=person(app, "dana"))


def test_a_replaced_report_voids_the_sign_offs_and_the_clearance(app):
    number = _approved(app)
    blob = app.artifacts.put_bytes(b'{"checks": ["a different report"]}')
    app.registry.replace_artifact("loan-model", number, kind="fairness_report", uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor="pipeline", reason="regenerated")
    verdict = app.registry.live_traffic("loan-model", number)
    assert not verdict.allowed
    assert any("needs a valid sign-off by business_owner: the business_owner approval is void: fairness report "
               "changed after this sign-off" in r for r in verdict.reasons)


def test_an_expired_approval_blocks(app):
    number = validated_version(app, "loan-model", expires_days=1)
    approve_all(app, "loan-model", number)
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE signoffs SET created_at = :old"), {"old": "2020-01-01 00:00:00"})
    verdict = app.registry.live_traffic("loan-model", number)
    assert not verdict.allowed and any("expired: approvals last 1 days" in r for r in verdict.reasons)


def test_deploying_needs_the_deploy_permission(app):
    number = _approved(app)
    viewer, reviewer = person(app, "vic", "viewer"), person(app, "rick", "risk")
    for who in (viewer, reviewer):
        with pytest.raises(PermissionDenied, match="may not deploy"):
            app.registry.transition("loan-model", number, State.CANARY, actor=who)
    with pytest.raises(PermissionDenied, match="needs a signed-in account allowed to deploy"):
        app.registry.transition("loan-model", number, State.CANARY, actor="ops")
    app.registry.transition("loan-model", number, State.CANARY, actor=person(app, "dana"))
    assert app.registry.get_version("loan-model", number).state == State.CANARY


def test_production_needs_a_canary_verdict_or_an_admins_written_override(app):
    number = _approved(app)
    dana, ada = person(app, "dana"), admin(app)
    with pytest.raises(InvalidTransition, match="goes to production only through a canary") as caught:
        app.registry.transition("loan-model", number, State.PRODUCTION, actor=dana)
    assert caught.value.code == "canary_verdict_missing"
    with pytest.raises(PermissionDenied, match="override deployment"):
        app.registry.transition("loan-model", number, State.PRODUCTION, actor=dana, override_reason="I am sure of it")
    with pytest.raises(InvalidData, match="written reason"):
        app.registry.transition("loan-model", number, State.PRODUCTION, actor=ada, override_reason="ok")
    app.registry.transition("loan-model", number, State.PRODUCTION, actor=ada,
                            override_reason="Regulator deadline; canary skipped with the risk team's consent")
    entry = app.registry.audit_log(action_prefix="version.state", limit=1)[0]
    assert entry.actor == "ada" and entry.detail["override"].startswith("Regulator deadline")


def test_move_alias_never_points_production_at_a_failed_or_unapproved_version(app):
    failed = validated_version(app, "loan-model")
    app.registry.transition("loan-model", failed, State.FAILED, actor="pipeline", reason="test_validation: no")
    waiting = validated_version(app, "loan-model")
    ops = admin(app)
    for number in (failed, waiting):
        with pytest.raises(InvalidTransition, match="points only at a version in state 'production'"):
            app.registry.move_alias("loan-model", "production", number, actor=ops)
    assert app.registry.get_alias("loan-model", "production") is None


def test_the_alias_guard_rechecks_the_evidence(app):
    number = _approved(app)
    put_in_production(app, "loan-model", number)
    ref = app.registry.get_artifact("loan-model", number, "model")
    app.artifacts.path_of(ref).chmod(0o644)
    app.artifacts.path_of(ref).write_bytes(b"tampered")
    with pytest.raises(InvalidTransition, match="may not take live traffic"):
        app.registry.move_alias("loan-model", "production", number, actor=admin(app))


def test_the_portal_and_cli_reach_the_same_guard(app):
    # Every door calls Registry.transition / move_alias; the guard lives below them, in the
    # registry's transaction. A hand-made User with roles the account does not hold gets nothing.
    from dataclasses import replace

    number = _approved(app)
    vic = person(app, "vic", "viewer")
    forged = replace(vic, roles=("data_scientist", "admin"))
    with pytest.raises(PermissionDenied, match="may not deploy"):
        app.registry.transition("loan-model", number, State.CANARY, actor=forged)


def test_serving_state_follows_the_slots(app):
    from tests.factories import approve_all

    first = _approved(app)
    put_in_production(app, "loan-model", first)
    second = validated_version(app, "loan-model")
    app.registry.deploy_to_test("loan-model", second, actor="pipeline")
    approve_all(app, "loan-model", second)
    dana = person(app, "dana")
    with pytest.raises(InvalidData, match="needs its share of traffic"):
        app.registry.move_alias("loan-model", "canary", second, actor=dana)
    app.registry.transition("loan-model", second, State.CANARY, actor=dana)
    with pytest.raises(InvalidData, match="at most 50%"):
        app.registry.move_alias("loan-model", "canary", second, actor=dana, traffic_percent=80)
    app.registry.move_alias("loan-model", "canary", second, actor=dana, traffic_percent=10)
    state = app.registry.serving_state("loan-model")
    assert (state.production, state.canary, state.canary_percent, state.test) == (first, second, 10.0, second)
    assert app.registry.clear_alias("loan-model", "canary", actor=dana, reason="rolled back") == second
    assert app.registry.serving_state("loan-model").canary is None
    assert app.registry.audit_log(action_prefix="alias.cleared")[0].detail == {"alias": "canary",
                                                                               "reason": "rolled back"}
