"""Runs a spec through the pipeline's stages, recording each as a stage run.

Each stage's start and end are their own transactions, so the portal shows a running stage
while it runs, and a crash never rolls back what earlier stages stored.
"""

from __future__ import annotations

import getpass
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from backend.app import App
from backend.domain import StageRun
from backend.errors import GreenlightError, InvalidSpec
from backend.pipeline.build import git_commit_of, run_build
from backend.pipeline.context import Progress, RunContext, StageOutcome
from backend.pipeline.smoke import run_smoke_checks
from backend.pipeline.validation import run_test_validation
from backend.spec import load_spec
from backend.states import State

__all__ = ["run_pipeline", "PipelineResult", "STAGES", "STAGE_EXPLANATIONS"]

Stage = Callable[[RunContext], StageOutcome]

#: (name, function, state the version reaches when the stage passes)
STAGES: list[tuple[str, Stage, State]] = [
    ("build", run_build, State.BUILT),
    ("smoke_checks", run_smoke_checks, State.CHECKED),
    ("test_validation", run_test_validation, State.VALIDATED),
]

STAGE_EXPLANATIONS = {
    "build": "Trains the model on the training data and stores it, with its lineage, in long-term storage.",
    "smoke_checks": "Loads the stored model in a fresh process, as production would, and checks its predictions.",
    "test_validation": "Measures accuracy on data the model never saw, compares it with production, and "
                       "measures speed, size and memory through the serving path.",
}


@dataclass(frozen=True)
class PipelineResult:
    model: str
    version: int
    passed: bool
    failed_stage: str | None
    reason: str | None
    stages: list[StageRun]


def _quiet(_stage: str, _message: str) -> None:
    pass


def run_pipeline(app: App, spec_path: str | Path, *, commit: str | None = None, author: str | None = None,
                 factory: str | None = None, progress: Progress | None = None) -> PipelineResult:
    """Register a new version from ``spec_path`` and run every stage until one fails.

    Raises :class:`InvalidSpec` (after recording the refusal) when the spec is unusable;
    everything else is recorded as a failed stage and returned.
    """
    progress = progress or _quiet
    actor = author or getpass.getuser()
    try:
        spec = load_spec(spec_path)
    except InvalidSpec as exc:
        app.registry.record(actor=actor, action="pipeline.refused",
                            detail={"spec": str(spec_path), "reason": exc.message})
        raise
    registry = app.registry
    registry.upsert_model(spec.model, actor=actor)
    version = registry.create_version(
        spec.model.name, author=actor, git_commit=commit or git_commit_of(spec.folder), spec_path=str(spec.path),
        spec_hash=spec.sha256, policy=spec.policy)
    ctx = RunContext(app=app, spec=spec, version=version.number, actor=actor, progress=progress,
                     factory=factory or spec.factory)
    progress("pipeline", f"{spec.model.name} version {version.number} registered")
    failed_stage = reason = None
    for name, stage, reached in STAGES:
        run_id = registry.start_stage(ctx.name, ctx.version, name)
        progress(name, "started")
        outcome = _run_stage(stage, ctx)
        registry.finish_stage(run_id, status="passed" if outcome.passed else "failed",
                              messages=outcome.messages, evidence=outcome.evidence)
        for message in outcome.messages:
            progress(name, message)
        if not outcome.passed:
            failed_stage, reason = name, outcome.reason or "the stage failed"
            registry.transition(ctx.name, ctx.version, State.FAILED, actor=actor, reason=f"{name}: {reason}")
            progress(name, f"failed: {reason}")
            break
        registry.transition(ctx.name, ctx.version, reached, actor=actor)
        progress(name, "passed")
    return PipelineResult(model=ctx.name, version=ctx.version, passed=failed_stage is None,
                          failed_stage=failed_stage, reason=reason,
                          stages=registry.list_stage_runs(ctx.name, ctx.version))


def _run_stage(stage: Stage, ctx: RunContext) -> StageOutcome:
    try:
        return stage(ctx)
    except GreenlightError as exc:
        return StageOutcome(passed=False, messages=[exc.message], evidence={"error_code": exc.code},
                            reason=exc.message)
    except Exception as exc:  # a bug or an environment problem: keep the details for the engineers
        return StageOutcome(passed=False, messages=[f"Unexpected error: {type(exc).__name__}: {exc}"],
                            evidence={"error_code": "unexpected", "traceback": traceback.format_exc()[-4000:]},
                            reason=f"Unexpected error: {type(exc).__name__}: {exc}")
