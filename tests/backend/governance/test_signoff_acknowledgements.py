"""Approving a version whose fairness report fails a check needs a written acknowledgement of
each failed check; it is stored with the decision and in the audit log."""

from __future__ import annotations

import pytest

from backend.errors import InvalidData
from backend.registry.states import State
from tests.factories import add_user, fairness_fail_report, validated_version


@pytest.fixture
def failing(app):
    for name, role in (("bea", "business_owner"), ("rick", "risk")):
        add_user(app, name, role)
    number = validated_version(app, author="dana", fairness=fairness_fail_report(failed=2, passed=1))
    app.signoffs.request("loan-model", number, actor="pipeline")
    return number


def _decide(app, username, role, decision="approve", acknowledgements=None, conditions=()):
    status = app.signoffs.status("loan-model", 1)
    return app.signoffs.decide("loan-model", 1, reviewer=app.accounts.get_user(username), role=role,
                               decision=decision, comment="", evidence=status.evidence, conditions=conditions,
                               acknowledgements=acknowledgements)


def test_the_failed_checks_are_read_from_the_report_the_decision_is_bound_to(app, failing):
    checks = app.signoffs.failed_checks("loan-model", failing)
    assert [c["key"] for c in checks] == ["sex:demographic_parity_ratio", "sex:demographic_parity_difference"]
    assert checks[0]["reason"] == "Check 0 of sex."


@pytest.mark.parametrize("decision", ["approve", "conditions"])
def test_an_approval_without_acknowledging_every_failed_check_is_refused(app, failing, decision):
    conditions = ["Report monthly."] if decision == "conditions" else ()
    with pytest.raises(InvalidData) as refused:
        _decide(app, "bea", "business_owner", decision,
                acknowledgements={"sex:demographic_parity_ratio": "The gap mirrors the applicants."},
                conditions=conditions)
    assert refused.value.code == "acknowledgement_required"
    assert "still missing: demographic parity difference for sex (sex:demographic_parity_difference)" in \
        refused.value.message
    blank = {"sex:demographic_parity_ratio": "ok", "sex:demographic_parity_difference": "   "}
    with pytest.raises(InvalidData, match="still missing"):
        _decide(app, "bea", "business_owner", decision, acknowledgements=blank, conditions=conditions)
    assert app.signoffs.status("loan-model", 1).signoffs == []


def test_acknowledging_a_check_that_did_not_fail_is_refused(app, failing):
    with pytest.raises(InvalidData) as refused:
        _decide(app, "bea", "business_owner", acknowledgements={"sex:equalized_odds_difference": "fine"})
    assert refused.value.code == "acknowledgement_unknown"


def test_acknowledgements_are_stored_with_the_decision_and_audited(app, failing):
    texts = {"sex:demographic_parity_ratio": "Reviewed with compliance: the gap follows the applicants.",
             "sex:demographic_parity_difference": "Monitored monthly by the marketing board."}
    _decide(app, "bea", "business_owner", acknowledgements=texts)
    status = _decide(app, "rick", "risk", acknowledgements=texts)
    assert status.state == State.APPROVED
    assert [s.acknowledgements for s in status.signoffs] == [texts, texts]
    entry = next(e for e in app.registry.audit_log(action_prefix="signoff.") if e.actor == "rick")
    assert entry.detail["acknowledgements"] == texts


def test_a_rejection_needs_no_acknowledgement_and_takes_none(app, failing):
    with pytest.raises(InvalidData, match="goes with an approval"):
        app.signoffs.decide("loan-model", 1, reviewer=app.accounts.get_user("rick"), role="risk", decision="reject",
                            comment="Too unfair.", evidence=app.signoffs.status("loan-model", 1).evidence,
                            acknowledgements={"sex:demographic_parity_ratio": "x"})
    status = app.signoffs.decide("loan-model", 1, reviewer=app.accounts.get_user("rick"), role="risk",
                                 decision="reject", comment="Too unfair.",
                                 evidence=app.signoffs.status("loan-model", 1).evidence)
    assert status.state == State.REJECTED


def test_a_version_without_failed_checks_needs_no_acknowledgement(app):
    for name, role in (("bea", "business_owner"), ("rick", "risk")):
        add_user(app, name, role)
    number = validated_version(app, author="dana", fairness=fairness_fail_report(failed=0, passed=3))
    app.signoffs.request("loan-model", number, actor="pipeline")
    _decide(app, "bea", "business_owner")
    assert _decide(app, "rick", "risk").state == State.APPROVED
