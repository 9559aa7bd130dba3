"""The "Get started" page: the checklist from the registry, the spec form with each problem under
its field, the run step by role, and where each role lands after signing in."""

from __future__ import annotations

import pytest

from portal.navigation import ONBOARDING_PAGE
from portal.onboarding_view import NEW_TEAM
from tests.factories import add_user, validated_version
from tests.portal.helpers import button, open_page, shown, visible_text
from tests.portal.test_sign_in_routes import PASSWORD, browser, sign_in


def field(at, key: str):
    return at.text_input(key=f"onboarding_{key}")


def test_a_new_data_scientist_starts_at_step_one_and_writes_a_valid_spec(registry_env):
    add_user(registry_env, "dana", "data_scientist")
    at = open_page(ONBOARDING_PAGE, user="dana")
    assert [t.value for t in at.title] == ["Get started"]
    assert at.selectbox(key="onboarding_team").value == NEW_TEAM
    assert at.radio(key="onboarding_step").value == 1
    text = visible_text(at)
    assert "**0 of 7 steps done**, as the registry shows them." in text
    assert "No enabled account holds business owner, risk, compliance yet" in text
    assert "○ Not yet" in text and "✔ Done" not in text

    at.radio(key="onboarding_step").set_value(2).run()
    field(at, "model.name").set_value("Churn Risk")
    field(at, "model.title").set_value("Customer churn risk")
    field(at, "model.owner").set_value("customer-analytics")
    field(at, "data.target").set_value("churned")
    field(at, "gates").set_value("roc_auc >= 0.7, recall > 0.3")
    button(at, "Check the spec").click().run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    # Under their fields first (the name comes before the gates on the form), then the summary.
    assert errors[0].startswith("[model].name 'Churn Risk' must use lowercase letters"), errors
    assert "recall > 0.3' is not a gate" in errors[1]
    assert errors[2].startswith("The spec has 2 problems, each shown under its field.")
    assert not at.get("download_button")

    field(at, "model.name").set_value("churn-risk")
    field(at, "gates").set_value("roc_auc >= 0.7")
    button(at, "Check the spec").click().run()
    assert not at.error
    assert [s.value for s in at.success][-1].startswith("The spec is valid: greenlight.toml is ready.")
    [code] = [c.value for c in at.code if "[model]" in c.value]
    assert 'name = "churn-risk"' in code and 'min = { roc_auc = 0.7 }' in code
    assert len(at.get("download_button")) == 1

    at.radio(key="onboarding_step").set_value(3).run()
    assert not at.exception
    assert at.radio(key="onboarding_spec_source").value == "form", "the spec from step 2 is offered"
    assert button(at, "Run the pipeline").disabled, "nothing to run before both data files are chosen"
    assert 'greenlight pipeline run greenlight.toml --commit "$(git rev-parse HEAD)"' in visible_text(at)
    assert len(at.get("download_button")) == 2  # the GitHub Actions and GitLab CI files

    for step, page_label in ((4, "Open the reports"), (5, "Open the sign-off packet"), (6, "Open the Deployments page"),
                             (7, "Open the Monitoring page")):
        at.radio(key="onboarding_step").set_value(step).run()
        assert not at.exception
        assert page_label in [link.label for link in at.get("page_link")]


@pytest.mark.parametrize("user", ["vic", "bea"])
def test_people_who_do_not_run_the_pipeline_follow_a_team_but_are_not_offered_a_run(registry_env, user):
    validated_version(registry_env, "loan-model")  # owner "team", run by dana
    if user != "vic":
        add_user(registry_env, user, "business_owner")
    at = open_page(ONBOARDING_PAGE, user=user)
    assert at.selectbox(key="onboarding_team").value == "team"
    # Low risk needs a business owner's sign-off: with bea, the roles are in place too.
    steps_done, next_step = (4, "Step 5. Request sign-off") if user == "bea" else (3, "Step 1. What your team gets")
    assert f"**{steps_done} of 7 steps done**, as the registry shows them." in visible_text(at)
    assert [h.value for h in at.subheader][0].startswith(next_step)
    at.radio(key="onboarding_step").set_value(3).run()
    text = visible_text(at)
    assert "Only data scientists run the pipeline." in text
    assert not [b for b in at.button if b.label == "Run the pipeline"]
    assert "loan-model version 1 passed every automated stage" in text


@pytest.mark.parametrize(("username", "roles", "location"), [
    ("dana", ("data_scientist",), "/onboarding"),
    ("rick", ("risk",), "/inbox"),
    ("mo", ("model_risk",), "/inbox"),  # a reviewer role only a policy names
    ("bea", ("business_owner",), "/"),
    ("vic", ("viewer",), "/"),
    ("ada", ("admin",), "/"),
])
def test_signing_in_on_the_front_page_lands_each_role_on_its_page(registry_env, username, roles, location):
    if username != "vic":
        add_user(registry_env, username, *roles)
    response = sign_in(browser(), username, PASSWORD, next_path="/")
    assert response.status_code == 303 and response.headers["location"] == location


def test_a_deep_link_still_wins_over_the_landing_page(registry_env):
    add_user(registry_env, "dana", "data_scientist")
    for target in ("/reports?model=credit-risk&version=2", "/?model=credit-risk", "/glossary"):
        assert sign_in(browser(), "dana", PASSWORD, next_path=target).headers["location"] == target


def test_the_landing_page_follows_the_portal_s_base_address(registry_env):
    from streamlit import config

    add_user(registry_env, "dana", "data_scientist")
    config.set_option("server.baseUrlPath", "greenlight")
    try:
        assert sign_in(browser(), "dana", PASSWORD, next_path="/greenlight/").headers["location"] == \
            "/greenlight/onboarding"
        assert sign_in(browser(), "dana", PASSWORD, next_path="/greenlight/model").headers["location"] == \
            "/greenlight/model"
    finally:
        config.set_option("server.baseUrlPath", "")




def test_team_names_and_failure_reasons_people_typed_stay_text_on_every_step(sqlite_app, monkeypatch):
    from tests.factories import HOSTILE_TEXT, hostile_registry
    from tests.portal.helpers import point_portal_at
    from tests.portal.test_user_text import assert_text_only, cells

    hostile_registry(sqlite_app)
    settings = sqlite_app.settings
    point_portal_at(monkeypatch, GREENLIGHT_HOME=str(settings.home), GREENLIGHT_DB_URL=settings.db_url,
                    GREENLIGHT_ARTIFACTS=str(settings.artifacts_dir))
    at = open_page(ONBOARDING_PAGE, user="dana")
    assert at.selectbox(key="onboarding_team").value == f"Owner {HOSTILE_TEXT}"
    for step in range(1, 8):
        at.radio(key="onboarding_step").set_value(step).run()
        assert not at.exception
        text = assert_text_only(at)
        assert "Traceback" not in text
        if step == 2:  # the form starts from the team's name, as typed
            assert field(at, "model.owner").value == f"Owner {HOSTILE_TEXT}"
    assert "hostile version 1 passed every automated stage" in cells(at)
