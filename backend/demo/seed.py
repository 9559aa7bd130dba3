"""Seeds the demo by running the pipeline on the example specs, exactly as CI would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backend.app import App
from backend.demo.people import seed_accounts, seed_signoffs
from backend.domain import PipelineResult
from backend.pipeline import run_pipeline
from backend.pipeline.context import Progress

__all__ = ["seed_demo", "DEMO_RUNS", "DemoRun", "examples_dir"]


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


def examples_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "examples"


def seed_demo(app: App, *, examples: Path | None = None, progress: Progress | None = None) -> list[PipelineResult]:
    """Create the demo accounts, run every demo version through the pipeline, then apply the
    demo's sign-off decisions; return the pipeline results."""
    examples = examples or examples_dir()
    seed_accounts(app)
    results = []
    for run in DEMO_RUNS:
        if progress:
            progress("demo", f"{run.spec.split('/')[0]}: {run.note}")
        results.append(run_pipeline(app, examples / run.spec, factory=run.factory, author=run.author,
                                    progress=progress))
    seed_signoffs(app)
    return results
