"""The Deployments page: what each role sees, and the flows of those allowed to deploy (start a
canary, run the judge, promote, roll back, an admin's override), each behind a confirmation."""

from __future__ import annotations

import pytest

from backend.registry.states import State
from tests.factories import admin, approve_all, person, put_in_production, validated_version
from tests.portal.helpers import PACKET, button, no_exception, open_page, visible_text
from tests.serving_factories import canary_in_flight, log_traffic, synthetic_traffic

PAGE = "../pages/deployments.py"
MODEL = "loan-model"


def _served(app, canary_rows=600, **canary):
    since = app.deployments.status(MODEL, live=False).canary.started_at
    log_traffic(app, MODEL, slot="canary", version=2, rows=synthetic_traffic(canary_rows, seed=1, **canary),
                start=since, outcomes=True)
    log_traffic(app, MODEL, slot="production", version=1, rows=synthetic_traffic(3_000, seed=2), start=since,
                outcomes=True)


def _checkbox(at, starts: str):
    found = [c for c in at.checkbox if c.label.startswith(starts)]
    assert found, [c.label for c in at.checkbox]
    return found[0]


def _click(at, label: str):
    return no_exception(button(at, label).click().run())


def _said(at) -> list[str]:
    """The outcome messages (and the verdict box, when it passed)."""
    return [s.value for s in at.success]


def test_a_viewer_follows_the_canary_but_is_offered_no_action(registry_env):
    canary_in_flight(registry_env)
    _served(registry_env)
    at = open_page(PAGE, user="vic", model=MODEL)
    text = visible_text(at)
    assert [m.value for m in at.metric] == ["empty", "version 2", "version 1"]
    assert "Takes 10% of live traffic, for" in text and "started by dana" in text
    assert "The judge has not looked at this canary yet." in text
    assert "Canary (version 2)" in text and "Production (version 1)" in text and "Predictions served" in text
    assert "Only data scientists and administrators can start, promote or roll back a canary" in text
    assert {b.label for b in at.button} == {"Sign out"}
    assert "Deployment timeline" in [s.value for s in at.subheader]


def test_a_data_scientist_starts_a_canary_behind_a_confirmation(registry_env):
    first = validated_version(registry_env, MODEL)
    put_in_production(registry_env, MODEL, first)
    second = validated_version(registry_env, MODEL)
    approve_all(registry_env, MODEL, second)
    at = open_page(PAGE, user="dana", model=MODEL)
    assert button(at, "Start the canary").disabled, "nothing happens before the confirmation"
    at.slider[0].set_value(20.0).run()
    _checkbox(at, "Yes, send 20% of live traffic to version 2.").check().run()
    at = _click(at, "Start the canary")
    assert _said(at) == ["Version 2 now takes 20% of live traffic beside production version 1. "
                         "The judge passes it after 500 predictions on each side."]
    serving = registry_env.registry.serving_state(MODEL)
    assert (serving.canary, serving.canary_percent) == (second, 20.0)
    assert "Run the judge now" in [b.label for b in at.button]


def test_the_judge_passes_and_the_canary_is_promoted(registry_env):
    canary_in_flight(registry_env)
    _served(registry_env)
    at = open_page(PAGE, user="dana", model=MODEL)
    assert "Promotion waits for a pass from the judge" in visible_text(at)
    at = _click(at, "Run the judge now")
    text = visible_text(at)
    assert any(s.startswith("The judge has looked at the canary: Pass: the canary (version 2)") for s in _said(at))
    assert ":green-badge[Pass]" in text and "Shift of the scores" in text and "✔ pass" in text
    _checkbox(at, "Yes, make version 2 the production version").check().run()
    at = _click(at, "Promote to production")
    assert "Version 2 now serves all live traffic. Version 1 is kept as the rollback target." in _said(at)
    assert registry_env.registry.get_version(MODEL, 2).state == State.PRODUCTION
    assert "The last canary, version 2, was promoted to production" in visible_text(at)
    assert "Start a canary" in visible_text(at)


def test_an_error_spike_is_rolled_back_by_the_judge_and_the_page_says_so(registry_env):
    canary_in_flight(registry_env)
    _served(registry_env, canary_rows=150, error_rate=0.3)
    at = _click(open_page(PAGE, user="dana", model=MODEL), "Run the judge now")
    text = visible_text(at)
    assert "The judge rolled the last canary, version 2, back automatically" in text
    assert ":red-badge[Fail]" in text and "The judge rolled it back automatically" in text
    assert [m.value for m in at.metric][1] == "none"
    assert "rolled back automatically, by the judge" in visible_text(at)


def test_a_person_rolls_back_with_a_reason_shown_as_text(registry_env):
    canary_in_flight(registry_env)
    at = open_page(PAGE, user="dana", model=MODEL)
    reason = "**Complaints** from <b>the call centre</b>"
    at.text_area(key=f"deploy_{MODEL}_rollback_reason").input(reason).run()
    _checkbox(at, "Yes, send all live traffic back to version 1 now.").check().run()
    at = _click(at, "Roll back the canary")
    assert "Version 2 is rolled back: all live traffic goes to production version 1." in _said(at)
    assert reason in [t.value for t in at.text], "user text is shown as typed"
    assert not any("<b>" in m.value for m in at.markdown)


def test_a_refused_action_reads_as_the_backends_reason(registry_env):
    canary_in_flight(registry_env)
    at = open_page(PAGE, user="dana", model=MODEL)
    _checkbox(at, "Yes, send all live traffic back").check().run()
    at = _click(at, "Roll back the canary")
    assert at.error[0].value == "A rollback needs a written reason of at least 10 characters."
    assert registry_env.registry.serving_state(MODEL).canary == 2


def test_an_admin_promotes_without_a_pass_and_the_packet_shows_it(registry_env):
    canary_in_flight(registry_env)
    admin(registry_env, "ada")
    at = open_page(PAGE, user="ada", model=MODEL)
    reason = "Regulator deadline; the risk team accepts it"
    at.text_area(key=f"deploy_{MODEL}_override").input(reason).run()
    _checkbox(at, "Yes, make version 2 the production version").check().run()
    at = _click(at, "Promote without a pass")
    assert any(s.startswith("Version 2 now serves all live traffic.") for s in _said(at))
    assert "It was promoted **without a passing verdict**, on an admin's override." in visible_text(at)
    assert reason in [t.value for t in at.text]
    packet = open_page(PACKET, user="vic", model=MODEL, version="2")
    assert "Deployment record" in [s.value for s in packet.subheader]
    assert any("without a passing canary verdict" in w.value for w in packet.warning)
    assert reason in [t.value for t in packet.text]


def test_a_first_deployment_is_an_admins_with_a_reason(registry_env):
    number = validated_version(registry_env, MODEL)
    approve_all(registry_env, MODEL, number)
    person(registry_env, "dana")
    at = open_page(PAGE, user="dana", model=MODEL)
    assert "Only an administrator can make a first deployment." in visible_text(at)
    admin(registry_env, "ada")
    at = open_page(PAGE, user="ada", model=MODEL)
    at.text_area(key=f"deploy_{MODEL}_override").input("First deployment of the model").run()
    _checkbox(at, f"Yes, send all live traffic to version {number}.").check().run()
    at = _click(at, "Send to production")
    assert registry_env.registry.serving_state(MODEL).production == number
    assert f"Version {number} now serves all live traffic." in _said(at)


def test_the_portfolio_counts_real_deployments(registry_env):
    canary_in_flight(registry_env)
    third = validated_version(registry_env, MODEL)
    registry_env.registry.transition(MODEL, third, State.FAILED, actor="pipeline", reason="build: broken data")
    at = open_page(user="vic")
    figures = {m.label: m.value for m in at.metric}
    # The newest version failed, yet version 2 is out as a canary: the model is on its way too, and
    # with version 1 still serving, the failure leaves nothing without a fallback.
    assert (figures["In production"], figures["On its way"], figures["Needs attention"]) == ("1", "1", "0")


def test_an_empty_registry_says_how_to_begin(registry_env):
    assert "There are no models in Greenlight yet" in visible_text(open_page(PAGE, user="vic"))


@pytest.mark.parametrize("user", ["vic", "dana"])
def test_a_model_with_nothing_deployed_says_so(registry_env, user):
    validated_version(registry_env, MODEL)  # made by dana
    at = open_page(PAGE, user=user, model=MODEL)
    text = visible_text(at)
    assert "No canary has run for this model yet." in text
    assert "Nothing serves this model yet, so there are no live figures." in text
    assert "Nothing has served this model yet." in text
    if user == "dana":
        assert "Only an administrator can make a first deployment." in text
