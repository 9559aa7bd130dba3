"""The model card keeps a version's deployment record, an admin's override with its reason above
all; rewriting the card voids no sign-off (it is not evidence a reviewer signed)."""

from __future__ import annotations

import shutil
from contextlib import closing

from backend.app import App
from backend.config import Settings
from backend.reports import load_model_card
from backend.reports._model_card import deployment_section

MODEL = "income-propensity"


def test_the_card_section_says_not_deployed_until_it_is():
    assert deployment_section([]).paragraphs == ["Not deployed: this version has not served live traffic."]
    section = deployment_section(["2026-12-04 10:00 UTC: dana started a canary."])
    assert section.title == "Deployment" and section.bullets == ["2026-12-04 10:00 UTC: dana started a canary."]


def test_an_override_lands_in_the_model_card_and_voids_nothing(demo_env, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)
    with closing(App.open(Settings.from_env({"GREENLIGHT_HOME": str(home)}))) as app:
        before = load_model_card(app, MODEL, 1, "markdown")
        assert "## Deployment" in before.content.decode() and "Not deployed" in before.content.decode()
        reason = "First deployment: there is no production model to run a canary against"
        app.deployments.promote(MODEL, actor=app.accounts.get_user("ada"), version=1, override_reason=reason)

        after = load_model_card(app, MODEL, 1, "markdown")
        text = after.content.decode()
        assert after.sha256 != before.sha256
        assert "ada (admin) sent version 1 to production WITHOUT a passing canary verdict" in text
        assert f"Written reason: “{reason}”" in text
        assert reason in load_model_card(app, MODEL, 1, "html").content.decode()
        replaced = app.registry.audit_log(model=MODEL, action_prefix="artifact.replaced", limit=2)
        assert {e.detail["kind"] for e in replaced} == {"model_card_md", "model_card_html"}
        assert replaced[0].detail["reason"] == "deployment record updated: promoted version 1 to production"
        assert app.registry.live_traffic(MODEL, 1).allowed, "the sign-offs still hold"
