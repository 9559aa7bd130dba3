"""`audit verify` replays the log and names the first table that disagrees with it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from backend.db.tables import AuditRow, ConditionRow
from backend.governance.audit_checkpoints import CHECKPOINT_FOLDER
from backend.governance.audit_replay import HANDLERS, Replay
from tests.factories import add_user, put_in_production, validated_version
from tests.tampering import rechain, sql

MODEL = "loan-model"


@pytest.fixture
def people(app):
    return {name: add_user(app, name, *roles) for name, roles in {
        "dana": ("data_scientist",), "bea": ("business_owner",), "rick": ("risk",),
    }.items()}


def _decide(app, user, role, number, decision="approve", conditions=(), comment="seen"):
    evidence = app.signoffs.status(MODEL, number).evidence
    return app.signoffs.decide(MODEL, number, reviewer=user, role=role, decision=decision, comment=comment,
                               evidence=evidence, conditions=list(conditions))


@pytest.fixture
def history(app, people):
    """Version 1 approved and in production (an admin's override: no canary here); version 2
    rejected by risk; version 3 validated; version 4 approved with a condition by the business
    owner, still waiting for risk."""
    for _ in range(4):
        number = validated_version(app, MODEL, author="dana")
        if number != 3:
            app.signoffs.request(MODEL, number, actor="pipeline")
    _decide(app, people["bea"], "business_owner", 1)
    _decide(app, people["rick"], "risk", 1)
    put_in_production(app, MODEL, 1)
    _decide(app, people["rick"], "risk", 2, decision="reject", comment="too unstable")
    _decide(app, people["bea"], "business_owner", 4, decision="conditions", conditions=["report drift monthly"])
    report = app.registry.verify_audit()
    assert report.intact and report.versions == 4, report.problem
    return app


def _problem(app) -> str:
    report = app.registry.verify_audit()
    assert not report.intact and report.kind == "replay"
    return report.problem


def test_a_direct_update_of_a_versions_state_is_named(history):
    sql(history, "UPDATE versions SET state = 'approved' WHERE number = 2")
    assert _problem(history) == "loan-model version 2: the table says 'approved' but the log says 'rejected'"


def test_an_alias_moved_by_sql_is_named(history):
    sql(history, "UPDATE aliases SET version_id = (SELECT id FROM versions WHERE number = 2) WHERE alias = 'production'")
    assert _problem(history) == "loan-model: the table points 'production' at version 2 but the log says version 1"


def test_an_alias_created_by_sql_is_named(history):
    sql(history, "INSERT INTO aliases (model_id, alias, version_id, updated_at) "
                 "SELECT model_id, 'canary', id, updated_at FROM versions WHERE number = 3")
    assert _problem(history) == "loan-model: the table points 'canary' at version 3 but the log never moved it there"


def test_a_deleted_signoff_row_is_named(history):
    sql(history, "DELETE FROM signoffs WHERE username = 'rick' AND decision = 'reject'")
    assert _problem(history) == ("loan-model version 2: the log records a sign-off by rick as risk (reject, round 1) "
                                 "that the table does not have")


def test_a_signoff_row_slipped_in_is_named(history):
    sql(history, "INSERT INTO signoffs (version_id, round, username, role, decision, comment, evidence, "
                 "evidence_hash, created_at) SELECT id, 1, 'mallory', 'business_owner', 'approve', '', '{}', "
                 "'x', updated_at FROM versions WHERE number = 2")
    assert _problem(history) == ("loan-model version 2: the table has a sign-off by mallory as business_owner "
                                 "(approve, round 1) that the log never recorded")


def test_a_condition_closed_by_sql_is_named(history):
    with history.db.read() as session:
        condition = session.execute(select(ConditionRow.id)).scalar_one()
    sql(history, "UPDATE conditions SET closed_at = created_at, closed_by = 'mallory'")
    assert _problem(history) == (f"loan-model version 4: condition {condition} is closed in the table but open "
                                 "in the log")


def test_a_condition_deleted_by_sql_is_named(history):
    sql(history, "DELETE FROM conditions")
    assert "loan-model version 4: the log records condition" in _problem(history)
    assert "('report drift monthly') that the table does not have" in _problem(history)


def test_a_condition_closed_through_greenlight_agrees_with_the_log(history, people):
    condition = history.signoffs.status(MODEL, 4).conditions[0]
    history.signoffs.close_condition(condition.id, user=people["bea"], note="dashboard is live")
    assert history.registry.verify_audit().intact


def test_a_state_forged_before_a_real_change_is_named_by_the_entry_that_contradicts_it(history):
    # Skip sign-off by SQL, then let Greenlight move the version on: the table ends where the log
    # does, but the log's own "from" gives the forgery away.
    sql(history, "UPDATE versions SET state = 'awaiting_signoff' WHERE number = 3")
    entry = history.registry.transition(MODEL, 3, "failed", actor="pipeline", reason="stopped")
    seq = history.registry.audit_log(limit=1)[0].seq
    assert entry.state == "failed"
    assert _problem(history) == (f"loan-model version 3: entry {seq} moved it from 'awaiting_signoff' but the log "
                                 "had it at 'validated': its state was changed outside Greenlight before that")


def test_actions_the_replay_does_not_know_change_nothing(history):
    history.registry.record(actor="ops", action="deployment.rehearsed", model=MODEL, version=1,
                            detail={"alias": "production"})
    assert "deployment.rehearsed" not in HANDLERS
    assert history.registry.verify_audit().intact


def test_a_new_action_is_one_handler():
    replay = Replay()
    replay.apply(1, "ops", "version.registered", "m", 1, "{}")
    replay.apply(2, "ops", "alias.moved", "m", 1, json.dumps({"alias": "canary", "from_version": None}))
    replay.apply(3, "ops", "alias.cleared", "m", 1, json.dumps({"alias": "canary", "version": 1}))
    assert replay.aliases == {"m": {}} and replay.problem is None


def test_conditions_recorded_before_decisions_named_their_ids_still_replay(history, people):
    """An older log: `signoff.decided` without condition ids, and no signatures or checkpoints yet."""
    with history.db.engine.begin() as conn:
        seq, detail = next(row for row in conn.execute(
            select(AuditRow.seq, AuditRow.detail).where(AuditRow.action == "signoff.decided").order_by(AuditRow.seq))
            if json.loads(row.detail).get("conditions"))
        older = {k: v for k, v in json.loads(detail).items() if k != "condition_ids"}
        conn.execute(update(AuditRow).where(AuditRow.seq == seq).values(detail=json.dumps(older)))
    rechain(history, strip_signatures=True)
    for checkpoint in (history.settings.artifacts_dir / CHECKPOINT_FOLDER).iterdir():
        checkpoint.chmod(0o644)
        checkpoint.unlink()
    report = history.registry.verify_audit()
    assert report.intact and report.unsigned == report.entries, report.problem

    condition = history.signoffs.status(MODEL, 4).conditions[0]
    history.signoffs.close_condition(condition.id, user=people["bea"], note="dashboard is live")
    report = history.registry.verify_audit()
    assert report.intact and report.unsigned == report.entries - 1, report.problem

    sql(history, "UPDATE conditions SET closed_at = NULL, closed_by = NULL")
    assert _problem(history) == (f"loan-model version 4: condition {condition.id} is open in the table but closed "
                                 "in the log")
