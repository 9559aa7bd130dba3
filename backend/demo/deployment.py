"""The second half of the demo's path: a model in production with 90 days of (simulated)
traffic that slowly drifts away from what it was trained on, a canary beside it with the
judge's verdict, and monitoring of the days and months served.

Everything goes through the same services as a real deployment: the guarded deployment service
(an admin's first deployment, a data scientist's canary), a scoring gateway on loopback whose
routing and prediction log serve the traffic, the canary judge and the monitoring job. The
traffic is rows held back from the model's training data, marked simulated everywhere, changed
by :data:`CREDIT_SHIFT` as the days go by, so the Monitoring page has a decline to show.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from backend.app import App
from backend.demo.acknowledgements import demo_acknowledgements
from backend.demo.people import DEMO_ACCOUNTS
from backend.deployment.client import GatewayClient
from backend.deployment.server import local_gateway
from backend.deployment.shift import GradualShift, OutcomeShift
from backend.deployment.simulate import SimulationResult, simulate_traffic
from backend.domain import CanaryVerdict
from backend.monitoring.job import run_monitoring
from backend.pipeline import run_pipeline
from backend.pipeline.context import Progress

__all__ = ["DemoDeployment", "seed_deployment", "DEMO_PRODUCTION", "CANARY_PERCENT", "HISTORY_DAYS", "HISTORY_ROWS",
           "HISTORY_BATCH", "OUTCOME_DELAY_DAYS", "CREDIT_SHIFT", "CANARY_REQUESTS", "MONITORED_PERIODS"]

#: The model the demo deploys; its version 1 is approved by every reviewer in the demo.
DEMO_PRODUCTION = ("credit-risk", 1)
CANARY_PERCENT = 30.0
#: 90 days of production, 240 applications a day, sent in batches of 20 (a branch's batch): the
#: same gateway, routing and log as single requests, in a fraction of the time.
HISTORY_DAYS, HISTORY_ROWS, HISTORY_BATCH = 90, 21_600, 20
#: Whether a loan is repaid is known weeks later: the last three weeks have no outcomes yet, so
#: the Monitoring page shows estimated performance there, realised before.
OUTCOME_DELAY_DAYS = 21
#: What changes over the 90 days. Applicants ask for longer and larger loans (by the end, durations
#: half as long again and amounts 60% larger), more of them for a new car (from a quarter of the
#: applications to half), and defaults rise among applicants without a checking account, whom the
#: model, trained on older data, sees as the safest (by the end, 45% of those who used to repay
#: do not). The first three are input drift; the last is a change in the relation between the
#: inputs and the outcome that no input shows, so the model's realised performance falls.
CREDIT_SHIFT = GradualShift(
    days=HISTORY_DAYS, grow={"duration_months": 1.5, "credit_amount": 1.6}, share={"purpose": ("car (new)", 0.5)},
    outcome=OutcomeShift(feature="checking_account", value="no checking account", outcome="bad", share=0.45))
#: Enough for the judge's 500 predictions on each side at a 30% share.
CANARY_REQUESTS = 2_000
#: The periods the demo's monitoring judges: each day, and each calendar month.
MONITORED_PERIODS = ("day", "month")
_ACTOR = "greenlight demo"


@dataclass(frozen=True)
class DemoDeployment:
    production: int
    canary: int
    history: SimulationResult
    canary_traffic: SimulationResult
    verdict: CanaryVerdict


def _signed_in(app: App, username: str):
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    return app.accounts.authenticate(username, account.password)


def _approve(app: App, model: str, number: int) -> None:
    """Every reviewer the version's policy asks for approves it, through the sign-off service."""
    status = app.signoffs.status(model, number)
    reviewers = {role: a.username for a in DEMO_ACCOUNTS for role in a.roles}
    for role in status.missing_roles:
        status = app.signoffs.decide(model, number, reviewer=_signed_in(app, reviewers[role]), role=role,
                                     decision="approve", comment="Retrained on the same data; ready for a canary.",
                                     evidence=status.evidence,
                                     acknowledgements=demo_acknowledgements(app, model, number, "approve"))


def seed_deployment(app: App, *, examples: Path, progress: Progress | None = None, gateway_url: str | None = None,
                    history_rows: int = HISTORY_ROWS, canary_requests: int = CANARY_REQUESTS) -> DemoDeployment:
    """Deploy the demo's credit model, serve it simulated traffic, start a canary and judge it.

    1. Ada (admin) sends credit-risk version 1 to production: a first deployment, which has nothing
       to be compared with, so it is her written override.
    2. ``history_rows`` simulated applications spread over the past 90 days, drifting as
       :data:`CREDIT_SHIFT` says, in batches through the gateway; their outcomes three weeks later.
    3. A retrained version goes through the pipeline, is approved, and Dana starts it as a canary
       with 30% of the traffic; more requests, stamped now (today's population, fully shifted);
       the judge gives its verdict.
    4. The monitoring job judges each day and each month served against the signed-off baseline:
       performance falls, the shifted inputs drift, alerts fire and retraining is recommended.

    One gateway serves all of it: ``gateway_url``, or one started on loopback for the demo.
    """
    say = (lambda message: progress("demo", message)) if progress else (lambda _message: None)
    model, first = DEMO_PRODUCTION
    say(f"{model}: version {first} to production (a first deployment, by an admin)")
    app.deployments.promote(model, actor=_signed_in(app, "ada"), version=first,
                            override_reason="First deployment of the credit model: nothing runs before it to "
                                            "compare with, so it goes live at once after sign-off.")
    with (nullcontext(gateway_url) if gateway_url else local_gateway(app.settings)) as url:
        say(f"{model}: {history_rows:,} simulated applications over {HISTORY_DAYS} days through the gateway at {url}, "
            "drifting as the weeks go by")
        history = simulate_traffic(app, model, requests=max(history_rows // HISTORY_BATCH, 1), days=HISTORY_DAYS,
                                   rows_per_request=HISTORY_BATCH, outcome_delay_hours=OUTCOME_DELAY_DAYS * 24,
                                   shift=CREDIT_SHIFT, seed=1, gateway_url=url)
        say(f"{model}: a retrained version through the pipeline, for a canary")
        result = run_pipeline(app, examples / "credit-risk" / "greenlight.toml", actor=_signed_in(app, "dana"),
                              factory="model:build")
        if not result.passed:
            raise RuntimeError(f"The demo's retrained credit model stopped: {result.reason}")
        challenger = result.version
        _approve(app, model, challenger)
        app.deployments.start_canary(model, challenger, CANARY_PERCENT, actor=_signed_in(app, "dana"))
        with GatewayClient(url) as client:  # the gateway follows the database within seconds
            client.wait_for(model, lambda state: state.get("canary") == challenger, what="the canary")
        say(f"{model}: version {challenger} as a canary with {CANARY_PERCENT:g}% of the traffic; "
            f"{canary_requests:,} requests now, with their outcomes")
        # Stamped now: the judge reads what was served since the canary started.
        canary_traffic = simulate_traffic(app, model, requests=canary_requests, days=0, outcome_delay_hours=0,
                                          shift=CREDIT_SHIFT, seed=2, gateway_url=url)
    verdict = app.deployments.judge(model, actor=_signed_in(app, "dana"))
    say(f"{model}: the canary judge says {verdict.verdict}; monitoring the days and months served")
    for period in MONITORED_PERIODS:
        run_monitoring(app, actor=_ACTOR, model=model, period=period)
    return DemoDeployment(production=first, canary=challenger, history=history, canary_traffic=canary_traffic,
                          verdict=verdict)
