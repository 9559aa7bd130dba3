"""The production-readiness score: each rubric test flips with the registry's evidence, and the
score follows the paper's rule (the smallest of the four section sums)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from backend.domain import MonitoringPeriod, ServingState
from backend.reports import readiness_score
from backend.reports._readiness import ReadinessEvidence, judge_readiness
from backend.reports._rubric import TESTS, score_reading
from tests.factories import (
    admin,
    approve_all,
    fairness_fail_report,
    new_version,
    put_in_production,
    validated_version,
)


def _item(score, section: str, number: int):
    return next(i for s in score.sections if s.key == section for i in s.items if i.number == number)


def test_the_rubric_has_28_tests_seven_in_each_of_four_sections():
    assert len(TESTS) == 28
    for section in ("data", "model", "infrastructure", "monitoring"):
        assert sorted(n for s, n in TESTS if s == section) == list(range(1, 8))
    assert TESTS[("infrastructure", 6)][0].startswith("Models are tested via a canary process")


def test_a_version_with_nothing_recorded_scores_zero_and_says_what_to_do(app):
    new_version(app, "bare")
    score = readiness_score(app, "bare")
    assert score.version == 1
    assert score.score == 0
    assert score.reading == "More of a research project than a productionized system."
    assert [len(s.items) for s in score.sections] == [7, 7, 7, 7]
    for section in score.sections:
        for item in section.items:
            assert item.status in ("not_yet", "outside") or (section.key, item.number) == ("monitoring", 4)
            assert item.gap, f"{section.key} {item.number} has no advice"


def test_fairness_checks_flip_the_inclusion_and_slice_tests(app):
    validated_version(app, "no-groups")
    validated_version(app, "groups", fairness=fairness_fail_report(failed=1, passed=2, feature="sex"))
    without, with_checks = readiness_score(app, "no-groups"), readiness_score(app, "groups")
    assert _item(without, "model", 7).status == "not_yet" and _item(without, "model", 7).points == 0
    assert _item(with_checks, "model", 7).status == "covered" and _item(with_checks, "model", 7).points == 1
    assert "3 fairness checks" in _item(with_checks, "model", 7).evidence
    assert _item(with_checks, "model", 6).status == "covered" and "sex" in _item(with_checks, "model", 6).evidence
    assert _item(with_checks, "model", 7).gap is None


def test_a_canary_and_a_rollback_target_flip_the_infrastructure_tests(app):
    first = validated_version(app, "loan")
    approve_all(app, "loan", first)
    put_in_production(app, "loan", first)
    only_production = readiness_score(app, "loan")
    assert _item(only_production, "infrastructure", 6).status == "not_yet"
    assert _item(only_production, "infrastructure", 7).status == "not_yet"

    second = validated_version(app, "loan")
    approve_all(app, "loan", second)
    app.deployments.start_canary("loan", second, 10, actor=admin(app))
    app.deployments.promote("loan", actor=admin(app), override_reason="The tests promote without a verdict.")
    promoted = readiness_score(app, "loan")
    assert promoted.version == second
    assert _item(promoted, "infrastructure", 6).status == "covered"
    assert _item(promoted, "infrastructure", 7).status == "covered"
    assert "previous version is kept" in _item(promoted, "infrastructure", 7).evidence


def _evidence(app, name: str) -> ReadinessEvidence:
    from backend.reports._readiness import gather_evidence

    return gather_evidence(app, name)


def _period(result: dict) -> MonitoringPeriod:
    return MonitoringPeriod(model="watched", version=1, period="day", start=date(2026, 1, 1), end=date(2026, 1, 1),
                            complete=True, result=result, computed_at=datetime(2026, 1, 2, tzinfo=UTC))


def test_monitoring_periods_flip_the_monitoring_tests(app):
    validated_version(app, "watched")
    quiet = replace(_evidence(app, "watched"), serving=ServingState(model="watched", production=1, canary=None,
                                                                    canary_percent=0, previous=None, test=None))
    watched = replace(quiet, monitored=(_period({"drift": [{"feature": "income"}],
                                                  "performance": {"kind": "realised", "realised": {"roc_auc": 0.8}}}),),
                      alerts=2)
    before, after = judge_readiness(quiet), judge_readiness(watched)
    assert _item(before, "monitoring", 2).status == "partly"  # the gateway checks the schema, no drift judged yet
    assert _item(after, "monitoring", 2).status == "covered"
    assert _item(before, "monitoring", 7).status == "not_yet"
    assert _item(after, "monitoring", 7).status == "covered" and "2 alert(s)" in _item(after, "monitoring", 7).evidence
    assert _item(after, "model", 2).status == "partly"  # live quality, but not business impact


def test_the_score_is_the_smallest_section_sum_not_the_total(app):
    validated_version(app, "scored", fairness=fairness_fail_report(failed=0, passed=3))
    score = readiness_score(app, "scored")
    sums = {s.key: s.points for s in score.sections}
    for section in score.sections:
        assert section.points == sum({"covered": 1.0, "partly": 0.5}.get(i.status, 0.0) for i in section.items)
    assert score.score == min(sums.values())
    assert sums["model"] == 2.0  # slices and inclusion tests covered, nothing else recorded
    assert score.score == 0.0 < sum(sums.values())  # nothing monitored: the monitoring section sets the score
    assert score.weakest.key == "monitoring" or sums[score.weakest.key] == 0.0


def test_the_papers_reading_of_each_band():
    assert score_reading(0) == "More of a research project than a productionized system."
    assert score_reading(0.5).startswith("Not totally untested")
    assert score_reading(2).startswith("There's been a first pass")
    assert score_reading(3).startswith("Reasonably tested")
    assert score_reading(4.5).startswith("Strong levels")
    assert score_reading(5.5) == "Exceptional levels of automated testing and monitoring."
