"""The deployment service's rules, on a real database (SQLite file and PostgreSQL): whoever asks,
a canary starts, is judged, promoted or rolled back only the guarded way, in one transaction,
and every step is audited."""

from __future__ import annotations

import threading

import pytest

from backend.errors import Conflict, InvalidData, InvalidTransition, PermissionDenied
from backend.registry.states import State
from tests.factories import admin, approve_all, person, put_in_production, validated_version
from tests.serving_factories import canary_in_flight, log_traffic, synthetic_traffic

MODEL = "loan-model"


def _traffic(app, canary_rows, production_rows, *, canary=2, production=1, outcomes=False):
    """Served since the running canary started, as the gateway logs it."""
    since = app.deployments.status(MODEL, live=False).canary.started_at
    log_traffic(app, MODEL, slot="canary", version=canary, rows=canary_rows, start=since, outcomes=outcomes)
    log_traffic(app, MODEL, slot="production", version=production, rows=production_rows, start=since,
                outcomes=outcomes)


def _healthy(app, **kw):
    _traffic(app, synthetic_traffic(600, seed=1), synthetic_traffic(3_000, seed=2), **kw)


def _actions(app, since_seq=0):
    return [e.action for e in reversed(app.registry.audit_log(model=MODEL)) if e.seq > since_seq]


def test_a_canary_starts_beside_production_at_the_policys_share(app):
    first, second = canary_in_flight(app, traffic_percent=None)
    serving = app.registry.serving_state(MODEL)
    assert (serving.production, serving.canary, serving.canary_percent) == (first, second, 10.0)
    assert app.registry.get_version(MODEL, second).state == State.CANARY
    run = app.deployments.status(MODEL, live=False).canary
    assert (run.version, run.champion, run.started_by, run.min_requests, run.running) == (second, first, "dana", 500,
                                                                                         True)
    started = app.registry.audit_log(model=MODEL, action_prefix="deployment.")[0]
    assert started.action == "deployment.canary_started" and started.actor == "dana"
    assert started.detail == {"canary": run.id, "traffic_percent": 10.0, "production_version": first,
                              "min_requests": 500}


def test_a_canary_needs_something_in_production_to_be_compared_with(app):
    number = validated_version(app, MODEL)
    approve_all(app, MODEL, number)
    with pytest.raises(InvalidTransition, match="nothing in production for a canary to be compared with") as caught:
        app.deployments.start_canary(MODEL, number, 10, actor=person(app, "dana"))
    assert caught.value.code == "no_production"
    assert "--override-reason" in caught.value.message
    assert app.registry.get_version(MODEL, number).state == State.APPROVED


def test_only_an_approved_version_cleared_by_the_guard_starts_a_canary(app):
    first = validated_version(app, MODEL)
    put_in_production(app, MODEL, first)
    waiting = validated_version(app, MODEL)
    dana = person(app, "dana")
    with pytest.raises(InvalidTransition, match="only an approved version can start a canary"):
        app.deployments.start_canary(MODEL, waiting, 10, actor=dana)
    conditional = validated_version(app, MODEL, roles=("business_owner",))
    status = app.signoffs.request(MODEL, conditional, actor="pipeline")
    bea = person(app, "bea", "business_owner")
    app.signoffs.decide(MODEL, conditional, reviewer=bea, role="business_owner", decision="conditions", comment="",
                        evidence=status.evidence, conditions=["Monthly report to the board."])
    with pytest.raises(InvalidTransition, match="still open") as caught:
        app.deployments.start_canary(MODEL, conditional, 10, actor=admin(app))
    assert "closes it with a note" in caught.value.message and caught.value.code == "not_cleared_for_traffic"
    assert app.registry.serving_state(MODEL).canary is None


def test_deploying_needs_the_deploy_permission_whoever_asks(app):
    first = validated_version(app, MODEL)
    put_in_production(app, MODEL, first)
    second = validated_version(app, MODEL)
    approve_all(app, MODEL, second)
    for who in (person(app, "vic", "viewer"), person(app, "rick", "risk")):
        with pytest.raises(PermissionDenied, match="may not deploy"):
            app.deployments.start_canary(MODEL, second, 10, actor=who)
    assert app.deployments.canaries(MODEL) == []


def test_one_canary_at_a_time(app):
    _, second = canary_in_flight(app)
    third = validated_version(app, MODEL)
    approve_all(app, MODEL, third)
    with pytest.raises(Conflict, match=f"Version {second} of {MODEL} is already in canary") as caught:
        app.deployments.start_canary(MODEL, third, 5, actor=person(app, "dana"))
    assert caught.value.code == "canary_running"


def test_two_starts_at_once_give_one_canary(app):
    first = validated_version(app, MODEL)
    put_in_production(app, MODEL, first)
    candidates = [validated_version(app, MODEL) for _ in range(2)]
    for number in candidates:
        approve_all(app, MODEL, number)
    dana, outcomes = person(app, "dana"), []

    def start(number):
        try:
            outcomes.append(app.deployments.start_canary(MODEL, number, 10, actor=dana).version)
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=start, args=(n,)) for n in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted([str(app.registry.serving_state(MODEL).canary), "canary_running"])
    assert len([c for c in app.deployments.canaries(MODEL) if c.running]) == 1


def test_judging_stores_each_verdict_and_a_pass_lets_the_canary_be_promoted(app):
    first, second = canary_in_flight(app)
    dana = person(app, "dana")
    waiting = app.deployments.judge(MODEL, actor=dana)
    assert waiting.verdict == "wait" and waiting.id is not None and waiting.judged_by == "dana"
    with pytest.raises(InvalidTransition, match="latest verdict is “keep waiting”") as caught:
        app.deployments.promote(MODEL, actor=dana)
    assert caught.value.code == "canary_verdict_missing"
    _healthy(app)
    passed = app.deployments.judge(MODEL, actor=dana)
    assert (passed.verdict, passed.canary_requests, passed.production_requests) == ("pass", 600, 3_000)
    seq = app.registry.audit_log(limit=1)[0].seq
    ended = app.deployments.promote(MODEL, actor=dana)
    serving = app.registry.serving_state(MODEL)
    assert (serving.production, serving.previous, serving.canary) == (second, first, None)
    assert app.registry.get_version(MODEL, second).state == State.PRODUCTION
    assert app.registry.get_version(MODEL, first).state == State.RETIRED
    assert (ended.outcome, ended.ended_by, ended.override_reason) == ("promoted", "dana", None)
    # One transaction, every step in the log, in order.
    assert _actions(app, seq)[:6] == ["version.state", "alias.moved", "version.state", "alias.moved",
                                      "alias.cleared", "deployment.promoted"]
    promoted = app.registry.audit_log(action_prefix="deployment.promoted")[0]
    assert promoted.detail["verdict"] == passed.id and promoted.detail["override"] is None
    assert [v.verdict for v in app.deployments.verdicts(MODEL, ended.id)] == ["pass", "wait"]


def test_promotion_without_a_pass_needs_an_admin_and_a_written_reason(app):
    first, second = canary_in_flight(app)
    dana, ada = person(app, "dana"), admin(app)
    with pytest.raises(InvalidTransition, match="the judge has not given a verdict on this canary yet"):
        app.deployments.promote(MODEL, actor=dana)
    with pytest.raises(PermissionDenied, match="override deployment"):
        app.deployments.promote(MODEL, actor=dana, override_reason="I checked the numbers myself")
    with pytest.raises(InvalidData, match="written reason"):
        app.deployments.promote(MODEL, actor=ada, override_reason="ok")
    assert app.registry.serving_state(MODEL).production == first
    reason = "Regulator deadline; the risk team accepts a short canary"
    ended = app.deployments.promote(MODEL, actor=ada, override_reason=reason)
    assert ended.override_reason == reason and app.registry.serving_state(MODEL).production == second
    entry = app.registry.audit_log(action_prefix="deployment.promoted")[0]
    assert (entry.actor, entry.detail["override"], entry.detail["verdict"]) == ("ada", reason, None)
    record = app.deployments.record_sentences(MODEL, second)
    assert "ada (admin) sent version 2 to production WITHOUT a passing canary verdict (there was no canary verdict). " \
           f"Written reason: “{reason}”; version 1 was retired and kept as the rollback target." in record[-1]
    assert "version 2 replaced it in production (ada)" in app.deployments.record_sentences(MODEL, first)[-1]


def test_a_pass_on_an_earlier_canary_never_counts_for_the_current_one(app):
    _, second = canary_in_flight(app)
    dana = person(app, "dana")
    _healthy(app)
    assert app.deployments.judge(MODEL, actor=dana).verdict == "pass"
    app.deployments.rollback(MODEL, actor=dana, reason="We found a data issue upstream.")
    third = validated_version(app, MODEL)
    approve_all(app, MODEL, third)
    app.deployments.start_canary(MODEL, third, 10, actor=dana)
    with pytest.raises(InvalidTransition, match="has not given a verdict on this canary yet"):
        app.deployments.promote(MODEL, actor=dana)
    with pytest.raises(InvalidTransition, match=f"Version {second} is not {MODEL}'s canary"):
        app.deployments.promote(MODEL, actor=dana, version=second)


def test_an_error_spike_rolls_the_canary_back_by_itself_and_says_so_everywhere(app):
    first, second = canary_in_flight(app)
    _traffic(app, synthetic_traffic(120, seed=1, error_rate=0.25), synthetic_traffic(1_000, seed=2))
    verdict = app.deployments.judge(MODEL, actor=person(app, "dana"))
    assert verdict.verdict == "fail" and verdict.rolled_back
    assert verdict.headline.endswith(f"The judge rolled it back automatically: all traffic is back on production "
                                     f"version {first}.")
    serving = app.registry.serving_state(MODEL)
    assert (serving.production, serving.canary) == (first, None)
    version = app.registry.get_version(MODEL, second)
    assert version.state == State.ROLLED_BACK
    assert version.failure_reason.startswith(f"Automatic rollback by the canary judge (verdict {verdict.id}): Errors:")
    status = app.deployments.status(MODEL, live=False)
    assert (status.canary.outcome, status.canary.automatic, status.canary.running) == ("rolled_back", True, False)
    assert status.verdict.id == verdict.id and status.verdict.rolled_back
    rolled = app.registry.audit_log(action_prefix="deployment.rolled_back")[0]
    assert rolled.detail["automatic"] is True and rolled.actor == "dana"
    assert app.registry.audit_log(action_prefix="canary.judged")[0].detail["rolled_back"] is True
    assert "the canary judge rolled version 2 back automatically" in app.deployments.record_sentences(MODEL, second)[-1]


def test_a_rollback_needs_a_reason_and_a_canary(app):
    first, second = canary_in_flight(app)
    dana = person(app, "dana")
    with pytest.raises(InvalidData, match="written reason") as caught:
        app.deployments.rollback(MODEL, actor=dana, reason="  bad ")
    assert caught.value.code == "reason_required"
    with pytest.raises(PermissionDenied):
        app.deployments.rollback(MODEL, actor=person(app, "vic", "viewer"), reason="I do not like it at all")
    ended = app.deployments.rollback(MODEL, actor=dana, reason="Complaints from the call centre")
    assert (ended.outcome, ended.automatic, ended.end_reason) == ("rolled_back", False, "Complaints from the call centre")
    serving = app.registry.serving_state(MODEL)
    assert (serving.production, serving.canary) == (first, None)
    assert app.registry.get_version(MODEL, second).state == State.ROLLED_BACK
    with pytest.raises(InvalidTransition, match="has no canary to roll back") as caught:
        app.deployments.rollback(MODEL, actor=dana, reason="Complaints from the call centre")
    assert caught.value.code == "no_canary"
    with pytest.raises(InvalidTransition, match="nothing to judge"):
        app.deployments.judge(MODEL, actor=dana)


def test_a_first_deployment_goes_straight_to_production_only_by_an_admins_override(app):
    number = validated_version(app, MODEL)
    approve_all(app, MODEL, number)
    with pytest.raises(InvalidTransition, match="has no canary to promote") as caught:
        app.deployments.promote(MODEL, actor=admin(app), override_reason="first deployment of this model")
    assert caught.value.code == "no_canary"
    with pytest.raises(PermissionDenied, match="override deployment"):
        app.deployments.promote(MODEL, actor=person(app, "dana"), version=number,
                                override_reason="first deployment of this model")
    assert app.deployments.promote(MODEL, actor=admin(app), version=number,
                                   override_reason="First deployment: nothing to compare a canary with") is None
    assert app.registry.serving_state(MODEL).production == number


def test_an_open_condition_blocks_even_an_admins_override(app):
    number = validated_version(app, MODEL, roles=("business_owner",))
    status = app.signoffs.request(MODEL, number, actor="pipeline")
    bea = person(app, "bea", "business_owner")
    app.signoffs.decide(MODEL, number, reviewer=bea, role="business_owner", decision="conditions", comment="",
                        evidence=status.evidence, conditions=["Report offer rates monthly."])
    ada = admin(app)
    with pytest.raises(InvalidTransition, match="may not take live traffic") as caught:
        app.deployments.promote(MODEL, actor=ada, version=number, override_reason="The board needs it live today")
    assert "closes it with a note on how it was met" in caught.value.message
    condition = app.signoffs.status(MODEL, number).open_conditions[0]
    app.signoffs.close_condition(condition.id, user=ada, note="The monthly report is scheduled.")
    app.deployments.promote(MODEL, actor=ada, version=number, override_reason="The board needs it live today")
    assert app.registry.serving_state(MODEL).production == number


def test_status_shows_both_sides_live(app):
    first, second = canary_in_flight(app)
    canary_rows = synthetic_traffic(40, seed=1, error_rate=0.05)
    _traffic(app, canary_rows, synthetic_traffic(400, seed=2), outcomes=True)
    status = app.deployments.status(MODEL)
    by_slot = {m.slot: m for m in status.live}
    assert (by_slot["canary"].version, by_slot["canary"].requests) == (second, 40)
    assert (by_slot["production"].version, by_slot["production"].requests) == (first, 400)
    assert by_slot["canary"].errors == sum(r["error"] is not None for r in canary_rows) > 0
    assert by_slot["production"].outcomes == 400 and by_slot["canary"].simulated == 40
    assert status.window_start == status.canary.started_at
    assert status.verdict is None


def test_the_timeline_says_what_served_when_and_why(app):
    first, second = canary_in_flight(app)
    dana = person(app, "dana")
    _healthy(app)
    app.deployments.judge(MODEL, actor=dana)
    app.deployments.promote(MODEL, actor=dana)
    third = validated_version(app, MODEL)
    approve_all(app, MODEL, third)
    app.deployments.start_canary(MODEL, third, 20, actor=dana)
    app.deployments.rollback(MODEL, actor=dana, reason="Latency complaints from the branch network")
    periods = [(p.slot, p.version, p.end is None) for p in app.deployments.timeline(MODEL)]
    assert periods == [("production", first, False), ("canary", second, False), ("production", second, True),
                       ("canary", third, False)]
    timeline = {(p.slot, p.version): p for p in app.deployments.timeline(MODEL)}
    assert timeline[("production", first)].end_reason.startswith("promoted: the canary judge passed it (verdict")
    assert timeline[("canary", third)].traffic_percent == 20
    assert timeline[("canary", third)].end_reason == "Latency complaints from the branch network"
    assert timeline[("canary", second)].start_reason == f"canary at 10% of live traffic beside production version {first}"
