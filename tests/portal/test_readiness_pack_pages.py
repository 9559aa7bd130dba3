"""The readiness score and the audit-pack button on the Model and sign-off pages, and the
leaders' rollback figures, on constructed registries."""

from __future__ import annotations

from backend.reports import leaders_overview
from tests.factories import (
    add_user,
    admin,
    approve_all,
    fairness_fail_report,
    person,
    put_in_production,
    validated_version,
)
from tests.portal.helpers import PACKET, open_page, visible_text
from tests.portal.test_user_text import assert_text_only

MODEL_PAGE = "../pages/model.py"


def _downloads(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def _rolled_back(app) -> None:
    first = validated_version(app, "loan")
    approve_all(app, "loan", first)
    put_in_production(app, "loan", first)
    second = validated_version(app, "loan", fairness=fairness_fail_report(failed=1, passed=2))
    approve_all(app, "loan", second)
    app.deployments.start_canary("loan", second, 10, actor=person(app, "dana"))
    app.deployments.rollback("loan", actor=admin(app), reason="Complaints from the call centre.")


def test_the_model_page_shows_the_score_and_offers_the_pack_to_reviewers_only(registry_env):
    _rolled_back(registry_env)
    add_user(registry_env, "cora", "compliance")
    at = open_page(MODEL_PAGE, user="cora", model="loan")
    assert "Production readiness" in [h.value for h in at.header]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ML Test Score"] == "0"  # nothing monitored, no schema recorded: sections at 0
    text = visible_text(at)
    assert "The paper's reading: More of a research project than a productionized system." in text
    assert "(0 of 7)." in text
    assert any("Tests for model development: " in e.label for e in at.expander)
    assert _downloads(at) == ["Download the audit pack of version 2"]
    viewer = open_page(MODEL_PAGE, user="vic", model="loan")
    assert _downloads(viewer) == []
    assert "Admins and reviewers export it; your roles do not." in visible_text(viewer)


def test_the_signoff_packet_offers_the_pack(registry_env):
    _rolled_back(registry_env)
    add_user(registry_env, "cora", "compliance")
    at = open_page(PACKET, user="cora", model="loan", version="2")
    assert _downloads(at) == ["Download the audit pack of version 2"]


def test_the_leaders_see_the_rollback_share_and_time_to_restore(registry_env):
    _rolled_back(registry_env)
    at = open_page()
    quarter = leaders_overview(registry_env).quarter
    figures = {m.label: m.value for m in at.metric}
    assert figures[f"Rolled back in {quarter}"] == "50%"
    assert figures["Time to restore"].endswith("min")
    text = assert_text_only(at)
    assert f"Of the 2 versions that started taking live traffic in {quarter}" in text
    assert "1 had to be rolled back" in text
    assert "over 1 rollback this quarter." in text
