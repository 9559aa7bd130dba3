"""The second half of the demo's path: a model in production with real (simulated) traffic, a
canary beside it with the judge's verdict, and monitoring of the days served.

Everything goes through the same services as a real deployment: the guarded deployment service
(an admin's first deployment, a data scientist's canary), a scoring gateway on loopback whose
routing and prediction log serve the traffic, the canary judge and the monitoring job. The
traffic is rows held back from the model's training data, marked simulated everywhere.
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
from backend.deployment.simulate import SimulationResult, simulate_traffic
from backend.domain import CanaryVerdict
from backend.monitoring.job import run_monitoring
from backend.pipeline import run_pipeline
from backend.pipeline.context import Progress

__all__ = ["DemoDeployment", "seed_deployment", "DEMO_PRODUCTION", "CANARY_PERCENT", "HISTORY_REQUESTS",
           "CANARY_REQUESTS"]

#: The model the demo deploys; its version 1 is approved by every reviewer in the demo.
DEMO_PRODUCTION = ("credit-risk", 1)
CANARY_PERCENT = 30.0
HISTORY_REQUESTS, HISTORY_DAYS = 1_500, 30
#: Enough for the judge's 500 predictions on each side at a 30% share.
CANARY_REQUESTS = 2_000
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
                    history_requests: int = HISTORY_REQUESTS, canary_requests: int = CANARY_REQUESTS) -> DemoDeployment:
    """Deploy the demo's credit model, serve it simulated traffic, start a canary and judge it.

    1. Ada (admin) sends credit-risk version 1 to production: a first deployment, which has nothing
       to be compared with, so it is her written override.
    2. Simulated requests spread over the past 30 days, their outcomes a day later.
    3. A retrained version goes through the pipeline, is approved, and Dana starts it as a canary
       with 30% of the traffic; more requests, stamped now; the judge gives its verdict.
    4. The monitoring job judges each day served against the signed-off baseline.

    One gateway serves all of it: ``gateway_url``, or one started on loopback for the demo.
    """
    say = (lambda message: progress("demo", message)) if progress else (lambda _message: None)
    model, first = DEMO_PRODUCTION
    say(f"{model}: version {first} to production (a first deployment, by an admin)")
    app.deployments.promote(model, actor=_signed_in(app, "ada"), version=first,
                            override_reason="First deployment of the credit model: nothing runs before it to "
                                            "compare with, so it goes live at once after sign-off.")
    with (nullcontext(gateway_url) if gateway_url else local_gateway(app.settings)) as url:
        say(f"{model}: {history_requests:,} simulated requests over {HISTORY_DAYS} days through the gateway at {url}")
        history = simulate_traffic(app, model, requests=history_requests, days=HISTORY_DAYS, seed=1, gateway_url=url)
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
                                          seed=2, gateway_url=url)
    verdict = app.deployments.judge(model, actor=_signed_in(app, "dana"))
    say(f"{model}: the canary judge says {verdict.verdict}; monitoring the days served")
    run_monitoring(app, actor=_ACTOR, model=model, period="day")
    return DemoDeployment(production=first, canary=challenger, history=history, canary_traffic=canary_traffic,
                          verdict=verdict)
