"""What the governance rules look like in the portal: exceptions in the packet, and nothing
reads "running" for a dead process."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from backend.db.types import utcnow
from backend.domain import ModelInfo
from tests.factories import admin, person
from tests.portal.helpers import PACKET, open_page, table_with, visible_text


def _registered_under_an_exception(app) -> int:
    app.policy_exceptions.grant("loan-model", "gates.max.model_size_mb", "900", actor=admin(app),
                                reason="Ensemble of 40 trees; the serving fleet has memory to spare.")
    info = ModelInfo(name="loan-model", title="Loans", description="", owner="credit", risk_tier="low",
                     task="classification")
    return app.registry.register_version(info, author=person(app, "dana"),
                                         declared_policy={"gates": {"max": {"model_size_mb": 850.0}}}).number


def test_the_packet_shows_every_exception_the_version_was_registered_under(registry_env):
    number = _registered_under_an_exception(registry_env)
    at = open_page(PACKET, user="vic", model="loan-model", version=str(number))
    assert "registered under 1 written exception to the organisation's policy" in visible_text(at)
    row = table_with(at, "Granted by").iloc[0]
    assert (row["Setting"], row["This version"], row["Organisation's policy"], row["Granted by"]) == (
        "Model size, maximum", "850.0", "500.0", "ada")
    assert row["Why"].startswith("Ensemble of 40 trees")


def test_a_packet_without_exceptions_says_so(registry_env):
    info = ModelInfo(name="plain", title="Plain", description="", owner="t", risk_tier="low", task="classification")
    registry_env.registry.register_version(info, author=person(registry_env, "dana"))
    at = open_page(PACKET, user="vic", model="plain", version="1")
    assert "None: this version is held to the organisation's policy or stricter." in visible_text(at)


def test_a_stage_whose_process_died_never_reads_running(registry_env):
    info = ModelInfo(name="plain", title="Plain", description="", owner="t", risk_tier="low", task="classification")
    registry_env.registry.register_version(info, author=person(registry_env, "dana"))
    run_id = registry_env.registry.start_stage("plain", 1, "build")
    with registry_env.db.engine.begin() as conn:  # a machine that went silent ten minutes ago
        conn.execute(text("UPDATE stage_runs SET host = 'ci-runner-3', heartbeat_at = :at WHERE id = :id"),
                     {"at": utcnow() - timedelta(minutes=10), "id": run_id})
    at = open_page("../pages/model.py", user="vic", model="plain")
    page = visible_text(at)
    assert "still running" not in page and "Running" not in page
    assert "interrupted" in page.lower()
    assert registry_env.registry.get_version("plain", 1).state == "failed"
