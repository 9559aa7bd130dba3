"""Runs a spec through the pipeline's stages, recording each as a stage run.

Each stage's start and end are their own transactions, so the portal shows a running stage
while it runs, and a crash never rolls back what earlier stages stored. A run is made by a
signed-in account with the ``data_scientist`` role, which becomes the version's author.

A run is never left "running": SIGTERM (a CI timeout) and SIGINT (Ctrl-C) mark the stage and
the version failed ("interrupted") before the process exits, and a heartbeat lets the next
reader recognise a process that died without a word (kill -9, a lost machine).
"""

from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from backend.domain import PipelineResult, User
from backend.errors import GreenlightError, Interrupted, InvalidSpec, PermissionDenied
from backend.pipeline.build import git_commit_of, run_build
from backend.pipeline.context import Progress, RunContext, StageOutcome
from backend.pipeline.reference import store_reference_data
from backend.pipeline.reports import run_reports
from backend.pipeline.smoke import run_smoke_checks
from backend.pipeline.spec import check_data_paths, load_spec
from backend.pipeline.validation import run_test_validation
from backend.registry.liveness import HEARTBEAT_SECONDS
from backend.registry.stages import MANUAL_STAGE, STAGE_EXPLANATIONS
from backend.registry.states import State
from backend.reports import write_model_card

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["run_pipeline", "PipelineResult", "STAGES", "STAGE_EXPLANATIONS", "MANUAL_STAGE", "Interrupted"]

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


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` in the main thread (SIGINT already raises
    KeyboardInterrupt), so the run can record where it stopped before the process ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _heartbeat(registry, run_id: int) -> Iterator[None]:
    """Refresh the stage run's heartbeat every few seconds while it runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with suppress(Exception):  # a missed beat only shortens the lease; the stage goes on
                registry.heartbeat(run_id)

    thread = threading.Thread(target=beat, name=f"greenlight-heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def run_pipeline(app: App, spec_path: str | Path, *, actor: User, commit: str | None = None,
                 factory: str | None = None, progress: Progress | None = None) -> PipelineResult:
    """Register a new version from ``spec_path`` and run every stage until one fails.

    Parameters
    ----------
    app : App
    spec_path : str or Path
        The spec file (``greenlight.toml``).
    actor : User
        The signed-in account running it (password or API token); it needs the
        ``data_scientist`` role and becomes the version's author.
    commit : str, optional
        The git commit of the model's code (default: detected from the spec's folder).
    factory : str, optional
        ``module:function`` instead of the spec's ``[estimator].factory``.
    progress : callable, optional
        ``progress(stage, message)`` for the person watching.

    Raises
    ------
    InvalidSpec, PermissionDenied
        Recorded in the audit log, before anything is registered.
    Interrupted, KeyboardInterrupt
        After the stage and the version were marked failed ("interrupted").
    """
    progress = progress or _quiet
    if not isinstance(actor, User):
        raise PermissionDenied("A pipeline run is made by a signed-in account (an API token in GREENLIGHT_TOKEN, "
                               "or --as USER with the password).", code="not_authenticated")
    registry = app.registry
    try:
        spec = load_spec(spec_path)
        check_data_paths(spec, app.org_policy.current().get("data_roots", ()))
        version = registry.register_version(
            spec.model, author=actor, declared_policy=spec.declared_policy,
            git_commit=commit or git_commit_of(spec.folder), spec_path=str(spec.path), spec_hash=spec.sha256,
            factory=factory or spec.factory)
    except (InvalidSpec, PermissionDenied) as exc:
        registry.record(actor=actor.username, action="pipeline.refused",
                        detail={"spec": str(spec_path), "reason": exc.message, "code": exc.code})
        raise
    # From here on the stages read the policy frozen on the version, not the spec's own.
    spec = replace(spec, policy=version.policy)
    ctx = RunContext(app=app, spec=spec, version=version.number, actor=actor.username, progress=progress,
                     factory=factory or spec.factory)
    progress("pipeline", f"{spec.model.name} version {version.number} registered")
    for exception in version.policy.get("exceptions", []):
        progress("pipeline", f"policy exception {exception['id']} applies: {exception['setting']} = "
                             f"{exception['value']} (granted by {exception['granted_by']})")
    failed_stage = reason = None
    current: tuple[str, int | None] = ("build", None)
    with _stop_signals_interrupt():
        try:
            for name, stage, reached in STAGES:
                current = (name, None)
                run_id = registry.start_stage(ctx.name, ctx.version, name)
                current = (name, run_id)
                progress(name, "started")
                with _heartbeat(registry, run_id):
                    outcome = _run_stage(stage, ctx)
                registry.finish_stage(run_id, status="passed" if outcome.passed else "failed",
                                      messages=outcome.messages, evidence=outcome.evidence)
                for message in outcome.messages:
                    progress(name, message)
                if not outcome.passed:
                    failed_stage, reason = name, outcome.reason or "the stage failed"
                    registry.transition(ctx.name, ctx.version, State.FAILED, actor=ctx.actor,
                                        reason=f"{name}: {reason}")
                    progress(name, f"failed: {reason}")
                    break
                registry.transition(ctx.name, ctx.version, reached, actor=ctx.actor)
                progress(name, "passed")
                if name == "build":  # the held-out rows monitoring compares production with
                    store_reference_data(ctx)
        except (Interrupted, KeyboardInterrupt) as exc:
            _record_interruption(ctx, *current, exc)
            raise
    _write_model_card(ctx)
    waiting_for: tuple[str, ...] = ()
    if failed_stage is None:
        # The automated stages are done; people take it from here.
        waiting_for = app.signoffs.request(ctx.name, ctx.version, actor=ctx.actor).missing_roles
        progress(MANUAL_STAGE, f"waiting for sign-off by: {', '.join(waiting_for)}")
    return PipelineResult(model=ctx.name, version=ctx.version, passed=failed_stage is None,
                          failed_stage=failed_stage, reason=reason,
                          stages=registry.list_stage_runs(ctx.name, ctx.version), waiting_for=waiting_for)


def _record_interruption(ctx: RunContext, stage: str, run_id: int | None, exc: BaseException) -> None:
    """Close the stage and fail the version, so nothing reads "running" after the process ends.

    A second signal while this is written is ignored; if the process is killed outright
    instead, the next reader recognises the dead process (see ``Registry.recover_stranded``).
    """
    signal_name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
    message = f"Interrupted by {signal_name} while the {stage} stage ran; nothing stored before was lost."
    registry = ctx.app.registry
    main = threading.current_thread() is threading.main_thread()
    previous = [signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGINT)] if main else []
    try:
        if run_id is not None:
            with suppress(GreenlightError):  # it was closed just before the signal came
                registry.finish_stage(run_id, status="failed", messages=[message],
                                      evidence={"error_code": "interrupted", "signal": signal_name})
        with suppress(GreenlightError):  # it had already stopped
            registry.transition(ctx.name, ctx.version, State.FAILED, actor=ctx.actor,
                                reason=f"{stage}: interrupted ({signal_name})")
        ctx.say(stage, f"failed: interrupted by {signal_name}")
    finally:
        for sig, handler in zip((signal.SIGTERM, signal.SIGINT), previous, strict=False):
            signal.signal(sig, handler)


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
