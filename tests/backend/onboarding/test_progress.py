"""Each step of the walkthrough is done by what the registry shows, on constructed cases (a new
team, a run that stopped, a reviewer role nobody holds, a disabled account) and on the demo."""

from __future__ import annotations

from contextlib import closing

import pytest

from backend.app import App
from backend.governance.accounts import operator
from backend.onboarding import onboarding_teams, team_progress
from backend.registry.states import State
from tests.factories import add_user, approve_all, person, validated_version
from tests.serving_factories import canary_in_flight

STEPS = ["roles", "spec", "pipeline", "reports", "signoff", "canary", "monitoring"]


def done(progress) -> dict[str, bool]:
    return {step.key: step.done for step in progress.steps}


def evidence(progress, key: str) -> str:
    return next(step.evidence for step in progress.steps if step.key == key)


def test_a_new_team_in_an_empty_registry_has_done_nothing(app):
    progress = team_progress(app, None)
    assert [s.key for s in progress.steps] == STEPS and [s.number for s in progress.steps] == list(range(1, 8))
    assert not any(done(progress).values()) and progress.next_step.key == "roles"
    assert "No enabled account holds data scientist, business owner, risk, compliance yet" in evidence(progress, "roles")


def test_the_roles_step_needs_an_enabled_account_for_each_role_the_policy_asks_of_the_team(app):
    validated_version(app, "loan-model", risk_tier="medium")  # owner "team"; dana is its data scientist
    add_user(app, "bea", "business_owner")
    add_user(app, "rick", "risk")
    progress = team_progress(app, "team")
    assert done(progress)["roles"]  # medium risk: business owner and risk; compliance is not needed
    assert "data scientist: dana; business owner: bea; risk: rick" in evidence(progress, "roles")
    app.accounts.set_disabled("rick", True, actor=operator())
    progress = team_progress(app, "team")
    assert not done(progress)["roles"]
    assert "No enabled account holds risk yet: ask an administrator" in evidence(progress, "roles")


def test_a_run_that_stopped_shows_the_spec_accepted_but_the_pipeline_not_done(app):
    dana = person(app, "dana")
    from tests.factories import make_model

    make_model(app, "loan-model")
    number = app.registry.create_version("loan-model", author=dana).number
    app.registry.transition("loan-model", number, State.FAILED, actor="dana",
                                   reason="build: [data].target 'label' is not a column of data/train.csv")
    progress = team_progress(app, "team")
    assert done(progress) == {**dict.fromkeys(STEPS, False), "spec": True}
    assert progress.next_step.key == "roles"
    assert evidence(progress, "pipeline") == ("loan-model version 1 stopped: build: [data].target 'label' is not a "
                                             "column of data/train.csv. Fix what it names and run the pipeline again.")
    assert team_progress(app, "another-team").models == ()


def test_a_version_through_the_stages_then_approved_then_in_canary_marks_each_step(app):
    number = validated_version(app, "loan-model")
    progress = team_progress(app, "team")
    assert [k for k, v in done(progress).items() if v] == ["spec", "pipeline", "reports"]
    assert evidence(progress, "reports") == "loan-model version 1 has its fairness report."
    app.signoffs.request("loan-model", number, actor="pipeline")
    assert done(team_progress(app, "team"))["signoff"]
    approve_all(app, "loan-model", number)
    assert not done(team_progress(app, "team"))["canary"], "approved is not yet a canary"
    canary_in_flight(app, "loan-model")
    progress = team_progress(app, "team")
    assert done(progress)["canary"] and not done(progress)["monitoring"]
    assert evidence(progress, "canary").startswith("loan-model version 3 started as a canary on ")
    assert evidence(progress, "canary").endswith("(10% of live traffic); it is running.")
    _monitored_days(app, "loan-model", 1, days=3)
    progress = team_progress(app, "team")
    assert done(progress)["monitoring"] and progress.next_step is None
    assert evidence(progress, "monitoring") == "The monitoring job has judged 3 periods of loan-model, up to 03 Mar 2025."


def _monitored_days(app, model: str, number: int, *, days: int) -> None:
    """What the monitoring job leaves for each day it judged (the job itself is tested elsewhere)."""
    from datetime import date

    from backend.db.monitoring_tables import MonitoringPeriodRow
    from backend.db.tables import ModelRow, VersionRow

    with app.db.write() as session:
        model_row = session.query(ModelRow).filter_by(name=model).one()
        version = session.query(VersionRow).filter_by(model_id=model_row.id, number=number).one()
        for day in range(1, days + 1):
            session.add(MonitoringPeriodRow(model_id=model_row.id, version_id=version.id, period="day",
                                            start=date(2025, 3, day), end=date(2025, 3, day), complete=True,
                                            fingerprint=f"day-{day}", result={}))


def test_a_data_scientist_s_team_is_the_owner_of_the_model_they_ran_last(app):
    validated_version(app, "loan-model")
    teams, own = onboarding_teams(app, person(app, "dana"))
    assert (teams, own) == (["team"], "team")
    assert onboarding_teams(app, add_user(app, "newcomer", "data_scientist")) == (["team"], None)


@pytest.mark.parametrize("team", ["retail-credit", "marketing-analytics"])
def test_the_demo_teams_have_reached_sign_off(demo_settings, team):
    """The tests' demo stops after the sign-offs (no live traffic): no canary, nothing monitored."""
    with closing(App.open(demo_settings)) as app:
        progress = team_progress(app, team)
    assert done(progress) == {**dict.fromkeys(STEPS, True), "canary": False, "monitoring": False}
    assert " version 1 was registered by dana on " in evidence(progress, "spec")
    assert progress.next_step.key == "canary"
