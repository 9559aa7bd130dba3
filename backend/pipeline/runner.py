"""Runs a spec through the pipeline's stages, recording each as a stage run.

Each stage's start and end are their own transactions, so the portal shows a running stage
while it runs, and a crash never rolls back what earlier stages stored.
"""

from __future__ import annotations

import getpass
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from backend.domain import PipelineResult
from backend.errors import GreenlightError, InvalidSpec
from backend.pipeline.build import git_commit_of, run_build
from backend.pipeline.context import Progress, RunContext, StageOutcome
from backend.pipeline.reports import run_reports
from backend.pipeline.smoke import run_smoke_checks
from backend.pipeline.spec import load_spec
from backend.pipeline.validation import run_test_validation
from backend.registry.stages import MANUAL_STAGE, STAGE_EXPLANATIONS
from backend.registry.states import State
from backend.reports import write_model_card

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["run_pipeline", "PipelineResult", "STAGES", "STAGE_EXPLANATIONS", "MANUAL_STAGE"]

Stage = Callable[[RunContext], StageOutcome]

#: (name, function, state the version reaches when the stage passes)
STAGES: list[tuple[str, Stage, State]] = [
    ("build", run_build, State.BUILT),
    ("smoke_checks", run_smoke_checks, State.CHECKED),
    ("reports", run_reports, State.REPORTED),
    ("test_validation", run_test_validation, State.VALIDATED),
]



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
    spec = replace(spec, policy=spec.policy_with(app.org_policy.current()))
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
    _write_model_card(ctx)
    waiting_for: tuple[str, ...] = ()
    if failed_stage is None:
        # The automated stages are done; people take it from here.
        waiting_for = app.signoffs.request(ctx.name, ctx.version, actor=actor).missing_roles
        progress(MANUAL_STAGE, f"waiting for sign-off by: {', '.join(waiting_for)}")
    return PipelineResult(model=ctx.name, version=ctx.version, passed=failed_stage is None,
                          failed_stage=failed_stage, reason=reason,
                          stages=registry.list_stage_runs(ctx.name, ctx.version), waiting_for=waiting_for)


def _write_model_card(ctx: RunContext) -> None:
    """A model card for every version that has a model, whatever the outcome: a failed version's
    card says why it stopped. A card that cannot be written never changes the run's result."""
    registry = ctx.app.registry
    if not any(ref.kind == "model" for ref in registry.list_artifacts(ctx.name, ctx.version)):
        return
    try:
        card = write_model_card(ctx.app, ctx.name, ctx.version, actor=ctx.actor)
    except Exception as exc:  # the run's outcome stands; the log says what went wrong
        registry.record(actor=ctx.actor, action="model_card.failed", model=ctx.name, version=ctx.version,
                        detail={"error": f"{type(exc).__name__}: {exc}"})
        ctx.say("model_card", f"could not be written: {type(exc).__name__}: {exc}")
        return
    ctx.say("model_card", f"written (HTML sha256 {card.html.sha256[:12]}…, Markdown sha256 {card.markdown.sha256[:12]}…)")


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
