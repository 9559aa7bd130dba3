"""A new team in a real browser: a data scientist signs in, lands on "Get started", writes the
spec in the form (a mistake first, shown under its field), and runs the pipeline on an uploaded
sample from the page, which follows the run until it ends and ticks the steps the registry shows.

The portal runs with ``streamlit run`` on a registry of the test's own with one account: a new
team has nothing yet.
"""

from __future__ import annotations

from contextlib import closing

import pytest

from backend.app import App
from backend.config import Settings
from tests.browser.portal_server import BROWSER_MARKS, expect, settled, sign_in
from tests.factories import add_user, synthetic_classification

pytestmark = BROWSER_MARKS
RUN_TIMEOUT_MS = 600_000  # the whole pipeline on two busy cores; the page itself answers at once


@pytest.fixture(scope="module")
def portal_env(tmp_path_factory) -> dict[str, str]:
    env = {"GREENLIGHT_HOME": str(tmp_path_factory.mktemp("onboarding-browser") / "home")}
    with closing(App.open(Settings.from_env(env))) as app:
        add_user(app, "dana", "data_scientist", password="dana-demo-password")
    return env


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    frame = synthetic_classification(240, seed=5)
    frame.loc[frame.index % 11 == 0, "income"] = None  # a first export has gaps
    frame.iloc[:170].to_csv(folder / "train.csv", index=False)
    frame.iloc[170:].to_csv(folder / "test.csv", index=False)
    return folder


def test_a_new_team_writes_its_spec_and_runs_the_pipeline_from_the_browser(page, portal_url, portal_env, sample):
    page.goto(portal_url)
    sign_in(page, "dana")
    page.get_by_role("heading", name="Get started").wait_for()  # a data scientist lands on the walkthrough
    assert page.url.endswith("/onboarding")
    page.get_by_text("Step 1. What your team gets, and who does what").wait_for()
    settled(page)
    expect(page.get_by_text("0 of 7 steps done")).to_be_visible()

    # Step 2: the form, a mistake shown under its field, then a valid spec.
    page.get_by_text("○ 2. Write your spec", exact=True).click()
    page.get_by_text("Step 2. Write your spec").wait_for()
    settled(page)
    page.get_by_role("textbox", name="Model name", exact=True).fill("First Model")
    page.get_by_role("textbox", name="Title", exact=True).fill("Our first model")
    page.get_by_role("textbox", name="Owner (your team)", exact=True).fill("growth-team")
    page.get_by_role("textbox", name="Target column", exact=True).fill("label")
    page.get_by_role("textbox", name="Positive label", exact=True).fill("yes")
    page.get_by_role("textbox", name="Sensitive features", exact=True).fill("region")
    page.get_by_role("button", name="Check the spec").click()
    page.get_by_text("[model].name 'First Model' must use lowercase letters").wait_for()
    settled(page)
    expect(page.get_by_text("The spec has 1 problem, each shown under its field.")).to_be_visible()
    page.get_by_role("textbox", name="Model name", exact=True).fill("first-model")
    page.get_by_role("button", name="Check the spec").click()
    page.get_by_text("The spec is valid: greenlight.toml is ready.").wait_for()
    settled(page)
    expect(page.get_by_role("button", name="Download greenlight.toml")).to_be_visible()

    # Step 3: upload the sample and run the pipeline on the spec from step 2.
    page.get_by_text("○ 3. Run the pipeline", exact=True).click()
    page.get_by_text("Step 3. Run the pipeline").wait_for()
    settled(page)
    expect(page.get_by_text("The spec from step 2")).to_be_visible()
    for label, name in (("Training data", "train.csv"), ("Test data", "test.csv")):
        uploader = page.locator("[data-testid=stFileUploader]").filter(has_text=label)
        uploader.locator("input[type=file]").set_input_files(str(sample / name))
        uploader.get_by_text(name).wait_for()
    settled(page)
    run = page.get_by_role("button", name="Run the pipeline")
    expect(run).to_be_enabled()
    run.click()
    page.get_by_text("The pipeline is running first-model as you").wait_for()
    page.get_by_text("Your run of first-model passed every automated stage: version 1 now waits for sign-off."
                     ).wait_for(timeout=RUN_TIMEOUT_MS)
    settled(page)
    expect(page.get_by_text("4 of 7 steps done")).to_be_visible()  # spec, run, reports and sign-off requested
    expect(page.get_by_role("link", name="Read the reports of first-model version 1")).to_be_visible()

    with closing(App.open(Settings.from_env(portal_env))) as app:
        version = app.registry.get_version("first-model", 1)
        assert (version.author, version.state) == ("dana", "awaiting_signoff")
        [started] = app.registry.audit_log(action_prefix="pipeline.started_in_portal")
        assert started.actor == "dana"
    assert "Traceback" not in page.content()
