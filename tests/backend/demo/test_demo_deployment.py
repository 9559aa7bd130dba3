"""The demo's second half: production with simulated traffic, a canary with a verdict, monitoring."""

from __future__ import annotations

import shutil
from contextlib import closing

import pytest

from backend.app import App
from backend.config import Settings
from backend.demo import examples_dir
from backend.demo.deployment import CANARY_PERCENT, seed_deployment
from backend.monitoring.store import MonitoringStore
from backend.registry.prediction_log import PredictionLog


@pytest.mark.timeout(1500)  # the session's demo may be built first; nothing here is timed
def test_the_demo_leaves_a_model_in_production_with_a_judged_canary_and_monitoring(demo_env, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)  # the session's demo stays as the other tests know it
    lines: list[str] = []
    with closing(App.open(Settings.from_env({"GREENLIGHT_HOME": str(home)}))) as app:
        deployed = seed_deployment(app, examples=examples_dir(), progress=lambda _stage, line: lines.append(line),
                                   history_requests=300, canary_requests=400)  # the demo's own: 1,500 and 2,000

        serving = app.registry.serving_state("credit-risk")
        assert (serving.production, serving.canary) == (1, deployed.canary) and deployed.canary > 3
        assert serving.canary_percent == CANARY_PERCENT
        assert app.registry.get_version("credit-risk", deployed.canary).state == "canary"
        # The first deployment was an admin's written override, in the audit log like every move.
        moves = app.registry.audit_log(model="credit-risk", action_prefix="alias.")
        assert any(e.actor == "ada" and e.action == "alias.moved" and e.detail.get("alias") == "production"
                   for e in moves)

        # Every simulated request went through the gateway's routing and into the prediction log.
        assert deployed.history.requests == 300 and deployed.history.by_slot == {"production": 300}
        assert set(deployed.canary_traffic.by_slot) == {"production", "canary"}
        share = deployed.canary_traffic.by_slot["canary"] / deployed.canary_traffic.requests
        # Routing is sticky per customer, and the credit test set holds 200 customers: the share of
        # requests is near the configured one, not equal to it (the gateway's tests check 10,000 keys).
        assert abs(share - CANARY_PERCENT / 100) < 0.1
        logged = PredictionLog(str(app.settings.artifacts_dir)).read("predictions", "credit-risk",
                                                                      columns=["slot", "simulated"]).to_pylist()
        live = [row for row in logged if row["slot"] in ("production", "canary")]  # test validation uses "test"
        assert len(live) == 700 and all(row["simulated"] for row in live)

        # The judge's verdict is stored and reads as one of its three words, with reasons.
        status = app.deployments.status("credit-risk")
        assert status.verdict is not None and status.verdict.verdict in ("pass", "fail", "wait")
        assert status.verdict.reasons and status.verdict.canary_requests == deployed.canary_traffic.by_slot["canary"]
        if status.verdict.canary_requests < 500:  # the policy's floor: a pass needs 500 on each side
            assert status.verdict.verdict in ("wait", "fail")

        # Monitoring judged the days served against the signed-off baseline.
        periods = MonitoringStore(app.db).periods("credit-risk", "day")
        assert {p.version for p in periods} == {1, deployed.canary} or {p.version for p in periods} == {1}
        assert len([p for p in periods if p.version == 1]) >= 25  # about one per day of the 30 served
        assert any("monitoring" in line for line in lines)
