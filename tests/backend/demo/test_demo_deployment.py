"""The demo's second half: 90 days of drifting production traffic, a canary with a verdict, and
the monitoring those days give the Monitoring page to show."""

from __future__ import annotations

import shutil
from contextlib import closing
from datetime import timedelta

import pytest

from backend.app import App
from backend.config import Settings
from backend.demo import examples_dir
from backend.demo.deployment import (
    CANARY_PERCENT,
    CREDIT_SHIFT,
    HISTORY_BATCH,
    HISTORY_DAYS,
    HISTORY_ROWS,
    OUTCOME_DELAY_DAYS,
    seed_deployment,
)
from backend.monitoring import MonitoringStore, model_health
from backend.registry.prediction_log import PredictionLog

CANARY_REQUESTS = 400  # the demo's own: 2,000; the judge's verdict is not what this test is about


def _realised_auc(period) -> float | None:
    figure = ((period.result.get("performance") or {}).get("realised") or {}).get("roc_auc")
    return figure["value"] if figure else None


@pytest.fixture(scope="module")
def deployed_demo(demo_env, tmp_path_factory):
    """The demo with its deployment seeded, on a private copy of the session's demo (read-only)."""
    home = tmp_path_factory.mktemp("demo-deployment") / "home"
    shutil.copytree(demo_env["GREENLIGHT_HOME"], home)  # the session's demo stays as the other tests know it
    lines: list[str] = []
    app = App.open(Settings.from_env({"GREENLIGHT_HOME": str(home)}))
    deployed = seed_deployment(app, examples=examples_dir(), progress=lambda _stage, line: lines.append(line),
                               canary_requests=CANARY_REQUESTS)
    with closing(app):
        yield app, deployed, lines


@pytest.mark.timeout(1500)  # the session's demo may be built first; nothing here is timed
def test_the_demo_leaves_a_model_in_production_with_a_judged_canary(deployed_demo):
    app, deployed, lines = deployed_demo
    serving = app.registry.serving_state("credit-risk")
    assert (serving.production, serving.canary) == (1, deployed.canary) and deployed.canary > 3
    assert serving.canary_percent == CANARY_PERCENT
    assert app.registry.get_version("credit-risk", deployed.canary).state == "canary"
    # The first deployment was an admin's written override, in the audit log like every move.
    moves = app.registry.audit_log(model="credit-risk", action_prefix="alias.")
    assert any(e.actor == "ada" and e.action == "alias.moved" and e.detail.get("alias") == "production"
               for e in moves)

    # 90 days of applications went through the gateway's routing, in batches, into the prediction log.
    history = deployed.history
    assert history.rows == HISTORY_ROWS and history.by_slot == {"production": HISTORY_ROWS // HISTORY_BATCH}
    assert (history.last_at - history.first_at).days >= HISTORY_DAYS - 1
    # Outcomes arrive three weeks late: those of the last three weeks are still to come.
    assert 0.2 < history.outcomes_pending / history.rows < 0.3
    assert set(deployed.canary_traffic.by_slot) == {"production", "canary"}
    # Each shifted request is a new applicant, so the canary's share is near the configured one.
    share = deployed.canary_traffic.by_slot["canary"] / deployed.canary_traffic.requests
    assert abs(share - CANARY_PERCENT / 100) < 0.08
    logged = PredictionLog(str(app.settings.artifacts_dir)).read("predictions", "credit-risk",
                                                                  columns=["slot", "simulated"]).to_pylist()
    live = [row for row in logged if row["slot"] in ("production", "canary")]  # test validation uses "test"
    assert len(live) == HISTORY_ROWS + CANARY_REQUESTS and all(row["simulated"] for row in live)

    # The judge's verdict is stored and reads as one of its three words, with reasons.
    status = app.deployments.status("credit-risk")
    assert status.verdict is not None and status.verdict.verdict in ("pass", "fail", "wait")
    assert status.verdict.reasons and status.verdict.canary_requests == deployed.canary_traffic.by_slot["canary"]
    if status.verdict.canary_requests < 500:  # the policy's floor: a pass needs 500 on each side
        assert status.verdict.verdict in ("wait", "fail")
    assert any("monitoring" in line for line in lines)


def test_the_monitoring_page_has_a_decline_drift_alerts_and_retraining_to_show(deployed_demo):
    app, _deployed, _lines = deployed_demo
    store = MonitoringStore(app.db)
    days = store.periods("credit-risk", "day", version=1, limit=200)
    months = store.periods("credit-risk", "month", version=1, limit=200)
    assert len(days) >= HISTORY_DAYS and 3 <= len(months) <= 5  # every day served; each calendar month

    # Performance falls: the last month with outcomes is clearly below the first (and outcomes
    # are known only up to three weeks ago, so the newest days show an estimate instead).
    realised = [(p, _realised_auc(p)) for p in months if _realised_auc(p) is not None]
    assert len(realised) >= 2 and realised[-1][1] < realised[0][1] - 0.05
    # (Today's canary traffic has its outcomes at once: the judge needs them.)
    recent = [p for p in days[:-1] if p.start > days[-1].start - timedelta(days=OUTCOME_DELAY_DAYS - 2)]
    assert recent and all(_realised_auc(p) is None and p.result["performance"]["estimated"] for p in recent)

    # Drift is named on the inputs that moved, and (mostly) only on them.
    shifted = {*CREDIT_SHIFT.grow, *CREDIT_SHIFT.share}
    last_month = [p for p in months if p.complete][-1]
    flagged = set(last_month.result["drift"]["flagged"])
    assert set(CREDIT_SHIFT.grow) <= flagged
    assert len(flagged - shifted) <= 2, flagged
    first_days = [set(p.result["drift"]["flagged"]) for p in days[:14]]
    assert sum(len(f) for f in first_days) <= 3  # the first fortnight has barely moved

    # Alerts fire, with a severity and a sentence; performance alerts recommend retraining.
    alerts = store.alerts(model="credit-risk", limit=1000)
    kinds = {a.kind for a in alerts if a.severity in ("warning", "critical")}
    assert {"drift", "performance"} <= kinds
    assert any("duration_months" in a.sentence or "credit_amount" in a.sentence for a in alerts if a.kind == "drift")

    health = model_health(app, "credit-risk")
    assert health.status == "degraded" and health.retraining is not None
    assert health.retraining["command"].startswith("greenlight pipeline run ")
    assert "Retraining recommended" in health.sentence
