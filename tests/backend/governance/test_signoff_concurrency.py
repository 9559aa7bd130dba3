"""Decisions that arrive at the same instant (run on PostgreSQL and on SQLite)."""

from __future__ import annotations

import threading
from functools import partial

from backend.governance import audit
from tests.factories import add_user, validated_version

ROUNDS = 5


def _at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _setup(app, name):
    number = validated_version(app, name, author="dana")
    app.signoffs.request(name, number, actor="pipeline")
    return number, app.signoffs.status(name, number).evidence


def test_two_reviewers_at_the_same_instant_are_both_recorded_once(app):
    bea, rick = add_user(app, "bea", "business_owner"), add_user(app, "rick", "risk")
    for i in range(ROUNDS):
        name = f"model-{i}"
        number, evidence = _setup(app, name)
        results = _at_once(
            partial(app.signoffs.decide, name, number, reviewer=bea, role="business_owner", decision="approve",
                    comment="ok", evidence=evidence),
            partial(app.signoffs.decide, name, number, reviewer=rick, role="risk", decision="approve",
                    comment="ok", evidence=evidence))
        assert not [r for r in results if isinstance(r, Exception)], results
        status = app.signoffs.status(name, number)
        assert sorted(s.username for s in status.signoffs) == ["bea", "rick"]
        assert status.state == "approved"
        approvals = [e for e in app.registry.history(name) if e.action == "version.state" and e.detail["to"] == "approved"]
        assert len(approvals) == 1
    with app.db.read() as session:
        assert audit.verify(session=session).intact


def test_the_same_decision_sent_twice_at_once_is_recorded_once(app):
    bea = add_user(app, "bea", "business_owner")
    for i in range(ROUNDS):
        name = f"model-{i}"
        number, evidence = _setup(app, name)
        decide = partial(app.signoffs.decide, name, number, reviewer=bea, role="business_owner",
                         decision="approve", comment="ok", evidence=evidence)
        results = _at_once(decide, decide)
        assert not [r for r in results if isinstance(r, Exception)], results
        status = app.signoffs.status(name, number)
        assert [s.username for s in status.signoffs] == ["bea"]
        decided = [e for e in app.registry.history(name) if e.action == "signoff.decided"]
        assert len(decided) == 1
