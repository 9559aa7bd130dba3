"""Seeds the demo by running the pipeline on the example specs, exactly as CI would.

The demo writes only into a database with no models and no accounts: it claims the empty
database first (one transaction), so it never lands beside real accounts and two demo runs at
once build it once. The claim marks the database as the public demo, which every portal page
then says, and records the build's progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.app import App
from backend.db.types import utcnow
from backend.demo.people import DEMO_ACCOUNTS, seed_accounts, seed_signoffs
from backend.domain import PipelineResult
from backend.errors import Conflict
from backend.pipeline import run_pipeline
from backend.pipeline.context import Progress

__all__ = ["seed_demo", "DEMO_RUNS", "DemoRun", "examples_dir", "DEMO_FACT", "demo_status", "DemoRefused"]

DEMO_FACT = "demo"
_ACTOR = "greenlight demo"


@dataclass(frozen=True)
class DemoRun:
    spec: str  # relative to examples/
    factory: str
    author: str
    note: str


#: The versions the demo builds, in order. One fails a gate on purpose.
DEMO_RUNS = [
    DemoRun("credit-risk/greenlight.toml", "model:build", "dana", "logistic regression baseline"),
    DemoRun("credit-risk/greenlight.toml", "model:build_forest", "dana", "random forest"),
    DemoRun("credit-risk/greenlight.toml", "model:build_shallow_tree", "dana",
            "a two-level tree that fails the ROC AUC and recall gates"),
    DemoRun("income-propensity/greenlight.toml", "model:build_logistic", "dana", "logistic regression"),
    DemoRun("income-propensity/greenlight.toml", "model:build", "dana", "histogram gradient boosting"),
    DemoRun("income-propensity/greenlight.toml", "model:build_forest", "dana", "random forest"),
]


class DemoRefused(Conflict):
    """The database is not empty (or the demo is already there): the demo leaves it alone."""


def examples_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "examples"


def demo_status(app: App) -> dict[str, Any] | None:
    """None for a real database; for the demo's: state (building, ready, failed), done and total."""
    return app.registry.fact(DEMO_FACT)


def _password(username: str) -> str:
    return next(a.password for a in DEMO_ACCOUNTS if a.username == username)


def seed_demo(app: App, *, examples: Path | None = None, progress: Progress | None = None) -> list[PipelineResult]:
    """Claim an empty database for the demo, create the demo accounts, run every demo version
    through the pipeline as its author, then apply the demo reviewers' decisions.

    Raises
    ------
    DemoRefused
        The database holds models or accounts, or the demo was already claimed.
    """
    examples = examples or examples_dir()
    total = len(DEMO_RUNS)
    try:
        app.registry.claim_empty(DEMO_FACT, {"state": "building", "done": 0, "total": total,
                                             "started_at": utcnow().isoformat()}, actor=_ACTOR)
    except Conflict as exc:
        raise DemoRefused(f"The demo writes only into an empty database: {exc.message}",
                          code=exc.code) from None
    results: list[PipelineResult] = []
    try:
        seed_accounts(app)
        for done, run in enumerate(DEMO_RUNS):
            if progress:
                progress("demo", f"{run.spec.split('/')[0]}: {run.note} ({done + 1} of {total})")
            author = app.accounts.authenticate(run.author, _password(run.author))
            results.append(run_pipeline(app, examples / run.spec, actor=author, factory=run.factory,
                                        progress=progress))
            app.registry.set_fact(DEMO_FACT, {"state": "building", "done": done + 1, "total": total}, actor=_ACTOR)
        seed_signoffs(app)
    except BaseException as exc:
        app.registry.set_fact(DEMO_FACT, {"state": "failed", "done": len(results), "total": total,
                                          "error": f"{type(exc).__name__}: {exc}"}, actor=_ACTOR)
        raise
    app.registry.set_fact(DEMO_FACT, {"state": "ready", "done": total, "total": total,
                                      "finished_at": utcnow().isoformat()}, actor=_ACTOR)
    return results
