"""Manual validation rules, called at the service level (not only through the UI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.db.tables import SignOffRow
from backend.db.types import utcnow
from backend.errors import Conflict, InvalidData, InvalidTransition, PermissionDenied
from backend.governance import audit
from backend.registry.states import State
from tests.factories import add_user, validated_version


@pytest.fixture
def people(app):
    return {name: add_user(app, name, *roles) for name, roles in {
        "ada": ("admin",), "dana": ("data_scientist", "business_owner"), "vic": ("viewer",),
        "bea": ("business_owner",), "rick": ("risk",), "cora": ("compliance",), "bob": ("business_owner",),
    }.items()}


@pytest.fixture
def awaiting(app, people):
    number = validated_version(app, author="dana")
    app.signoffs.request("loan-model", number, actor="pipeline")
    return number


def _decide(app, user, role, decision="approve", comment="looks fine", conditions=(), number=1):
    evidence = app.signoffs.status("loan-model", number).evidence
    return app.signoffs.decide("loan-model", number, reviewer=user, role=role, decision=decision, comment=comment,
                               evidence=evidence, conditions=conditions)


def test_request_puts_the_version_in_awaiting_signoff(app, awaiting):
    status = app.signoffs.status("loan-model", awaiting)
    assert status.state == "awaiting_signoff"
    assert status.required_roles == ("business_owner", "risk") and status.missing_roles == ("business_owner", "risk")
    assert set(status.evidence) == {"model", "fairness_report"}
    stage = app.registry.list_stage_runs("loan-model", awaiting)[-1]
    assert (stage.stage, stage.status) == ("manual_validation", "waiting")


def test_viewer_cannot_sign(app, people, awaiting):
    with pytest.raises(PermissionDenied, match="vic does not hold the role 'business_owner'"):
        _decide(app, people["vic"], "business_owner")


def test_author_cannot_sign_their_own_version(app, people, awaiting):
    with pytest.raises(PermissionDenied, match="four-eyes"):
        _decide(app, people["dana"], "business_owner")


def test_reviewer_cannot_sign_in_a_role_they_lack(app, people, awaiting):
    with pytest.raises(PermissionDenied, match="rick does not hold the role 'business_owner'"):
        _decide(app, people["rick"], "business_owner")


def test_only_the_policy_roles_count(app, people, awaiting):
    with pytest.raises(PermissionDenied, match="does not ask for a sign-off by 'compliance'"):
        _decide(app, people["cora"], "compliance")


def test_last_required_approval_approves_the_version(app, people, awaiting):
    status = _decide(app, people["bea"], "business_owner")
    assert status.state == "awaiting_signoff" and status.missing_roles == ("risk",)
    status = _decide(app, people["rick"], "risk", comment="risks understood")
    assert status.state == "approved" and status.missing_roles == ()
    stage = app.registry.list_stage_runs("loan-model", awaiting)[-1]
    assert (stage.stage, stage.status) == ("manual_validation", "passed") and stage.finished_at
    decided = app.registry.audit_log(action_prefix="signoff.")
    assert [(e.actor, e.detail["role"]) for e in decided] == [("rick", "risk"), ("bea", "business_owner")]
    assert decided[0].detail["evidence"] == status.evidence


def test_nothing_is_approved_without_the_signoffs_even_from_python(app, people, awaiting):
    with pytest.raises(InvalidTransition) as caught:
        app.registry.transition("loan-model", awaiting, State.APPROVED, actor="dana")
    assert caught.value.code == "signoff_missing" and "business_owner, risk" in caught.value.message
    _decide(app, people["bea"], "business_owner")
    with pytest.raises(InvalidTransition, match="needs a valid sign-off by risk"):
        app.registry.transition("loan-model", awaiting, State.APPROVED, actor="dana")


def test_rejection_needs_a_reason_and_rejects(app, people, awaiting):
    with pytest.raises(InvalidData, match="needs a reason"):
        _decide(app, people["rick"], "risk", decision="reject", comment="  ")
    status = _decide(app, people["rick"], "risk", decision="reject", comment="unstable on young applicants")
    assert status.state == "rejected"
    version = app.registry.get_version("loan-model", awaiting)
    assert version.state == "rejected"
    assert version.failure_reason == "rejected by rick (risk): unstable on young applicants"
    stage = app.registry.list_stage_runs("loan-model", awaiting)[-1]
    assert stage.status == "failed" and "unstable on young applicants" in stage.messages[-1]
    with pytest.raises(InvalidTransition, match="only a version awaiting sign-off can be signed"):
        _decide(app, people["bea"], "business_owner")


def test_conditions_are_open_items(app, people, awaiting):
    with pytest.raises(InvalidData, match="at least one condition"):
        _decide(app, people["bea"], "business_owner", decision="conditions")
    _decide(app, people["bea"], "business_owner", decision="conditions",
            conditions=["Monitor approval rates for applicants under 25 monthly", ""])
    status = _decide(app, people["rick"], "risk")
    assert status.state == "approved"
    assert [r.status for r in status.roles] == ["approved_with_conditions", "approved"]
    (condition,) = status.open_conditions
    assert condition.text.startswith("Monitor approval rates")
    with pytest.raises(PermissionDenied, match="four-eyes"):
        app.signoffs.close_condition(condition.id, user=people["dana"], note="done")
    with pytest.raises(PermissionDenied, match="holding the role 'business_owner'"):
        app.signoffs.close_condition(condition.id, user=people["rick"], note="done")
    with pytest.raises(InvalidData, match="note is required"):
        app.signoffs.close_condition(condition.id, user=people["bob"], note="")
    closed = app.signoffs.close_condition(condition.id, user=people["bob"], note="dashboard in place")
    assert not closed.is_open and closed.closed_by == "bob"
    assert app.signoffs.status("loan-model", awaiting).open_conditions == []
    with pytest.raises(Conflict, match="already closed"):
        app.signoffs.close_condition(condition.id, user=people["ada"], note="again")


def test_a_person_decides_once(app, people, awaiting):
    _decide(app, people["bea"], "business_owner")
    again = _decide(app, people["bea"], "business_owner")  # the same request twice: recorded once
    assert len(again.signoffs) == 1
    with pytest.raises(Conflict, match="decisions cannot be changed"):
        _decide(app, people["bea"], "business_owner", decision="reject", comment="changed my mind")


def test_replaced_artifact_voids_the_signoff(app, people, awaiting):
    _decide(app, people["bea"], "business_owner")
    blob = app.artifacts.put_bytes(b"a retrained model")
    app.registry.replace_artifact("loan-model", awaiting, kind="model", uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor="dana", reason="retrained")
    status = _decide(app, people["rick"], "risk")
    assert status.state == "awaiting_signoff" and status.missing_roles == ("business_owner",)
    void = [s for s in status.signoffs if s.username == "bea"][0]
    assert not void.valid and "model changed after this sign-off" in void.void_reason
    status = _decide(app, people["bea"], "business_owner")  # bea reviews the new model
    assert status.state == "approved"


def test_packet_opened_before_a_change_is_refused(app, people, awaiting):
    seen = app.signoffs.status("loan-model", awaiting).evidence
    blob = app.artifacts.put_bytes(b'{"checks": ["new"]}')
    app.registry.replace_artifact("loan-model", awaiting, kind="fairness_report", uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor="dana", reason="regenerated")
    with pytest.raises(Conflict) as caught:
        app.signoffs.decide("loan-model", awaiting, reviewer=people["bea"], role="business_owner",
                            decision="approve", comment="", evidence=seen)
    assert caught.value.code == "evidence_changed" and "fairness report" in caught.value.message


def test_approval_expires_and_needs_review_again(app, people, awaiting):
    _decide(app, people["bea"], "business_owner")
    _decide(app, people["rick"], "risk")
    with app.db.write() as session:
        session.execute(update(SignOffRow).where(SignOffRow.username == "bea")
                        .values(created_at=utcnow() - timedelta(days=181)))
    assert app.signoffs.refresh_all() == 1
    status = app.signoffs.status("loan-model", awaiting)
    assert status.state == "awaiting_signoff" and status.round == 2
    assert status.missing_roles == ("business_owner", "risk")
    reason = app.registry.history("loan-model")[0].detail["reason"]
    assert "needs review again" in reason and "expired" in reason
    assert _decide(app, people["bea"], "business_owner").missing_roles == ("risk",)


def test_disabled_or_demoted_reviewer_cannot_sign(app, people, awaiting):
    bea = people["bea"]
    app.accounts.set_roles("bea", ["viewer"], actor=people["ada"])
    with pytest.raises(PermissionDenied, match="does not hold the role"):
        _decide(app, bea, "business_owner")  # the stale User object still lists the old role
    app.accounts.set_disabled("rick", True, actor=people["ada"])
    with pytest.raises(PermissionDenied, match="disabled"):
        _decide(app, people["rick"], "risk")


def test_inbox_shows_what_waits_for_me(app, people, awaiting):
    assert [(i.model, i.version, i.roles) for i in app.signoffs.inbox(people["bea"])] == [("loan-model", 1, ("business_owner",))]
    assert app.signoffs.inbox(people["dana"]) == []  # the author
    assert app.signoffs.inbox(people["vic"]) == []
    assert app.signoffs.inbox(people["bea"])[0].waiting_days >= 0
    _decide(app, people["bob"], "business_owner")
    assert app.signoffs.inbox(people["bea"]) == []  # the role is covered
    assert len(app.signoffs.inbox(people["rick"])) == 1


def test_markup_and_sql_in_comments_are_stored_as_written(app, people, awaiting):
    comment = "<script>alert('x')</script> '; DELETE FROM signoffs; --"
    status = _decide(app, people["rick"], "risk", decision="reject", comment=comment)
    assert status.signoffs[0].comment == comment
    with app.db.read() as session:
        assert audit.verify(session=session).intact


def test_conditions_only_go_with_an_approval_with_conditions(app, people, awaiting):
    with pytest.raises(InvalidData) as caught:
        _decide(app, people["rick"], "risk", decision="approve", conditions=["check monthly"])
    assert caught.value.code == "conditions_not_allowed"
    assert app.signoffs.status("loan-model", awaiting).conditions == []


def test_a_condition_knows_the_role_that_set_it_and_the_inbox_the_risk_tier(app, people, awaiting):
    status = _decide(app, people["bea"], "business_owner", decision="conditions", conditions=["monthly report"])
    assert [c.role for c in status.conditions] == ["business_owner"]
    assert app.signoffs.inbox(people["rick"])[0].risk_tier == "low"


def test_audit_log_filters_by_actor_and_pages_back(app, people, awaiting):
    _decide(app, people["bea"], "business_owner")
    mine = app.registry.audit_log(actor="bea")
    assert [e.action for e in mine] == ["signoff.decided"]
    newest = app.registry.audit_log(limit=2)
    older = app.registry.audit_log(limit=2, before_seq=newest[-1].seq)
    assert older[0].seq == newest[-1].seq - 1
    assert app.registry.verify_audit().intact
