"""Stage: test-environment validation.

ML performance on the held-out test set, compared with the production version on the same
rows; computational performance measured in a fresh process through the serving path; and
every policy gate with its verdict.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from backend.errors import GreenlightError, NotFound, StageFailed
from backend.metrics import METRICS, PRIMARY_METRIC
from backend.pipeline.context import RunContext, StageOutcome
from backend.pipeline.evaluation import (
    compare,
    compute_metrics,
    describe_comparison,
    paired_bootstrap,
)
from backend.pipeline.fresh_process import ref_payload, run_in_fresh_process
from backend.pipeline.gates import evaluate_gates
from backend.pipeline.test_environment import test_environment
from backend.registry.loaded_model import LoadedModel, load_model
from backend.registry.states import State

__all__ = ["run_test_validation", "load_version_model", "comparison_versions", "comparison_scores",
           "ROLE_WORDS"]

BOOTSTRAP_RESAMPLES = 1000
#: States of a version that passed test-environment validation at some point.
REACHED_VALIDATION = {State.VALIDATED, State.AWAITING_SIGNOFF, State.APPROVED, State.CANARY, State.PRODUCTION,
                      State.RETIRED, State.REJECTED, State.ROLLED_BACK}
#: States of a version that reviewers approved at some point.
WAS_APPROVED = {State.APPROVED, State.CANARY, State.PRODUCTION, State.RETIRED, State.ROLLED_BACK}
ROLE_WORDS = {"production": "the production version", "previous approved": "the previous approved version",
              "previous validated": "the previous version that passed validation"}


def load_version_model(ctx: RunContext, number: int) -> LoadedModel:
    """A version's model, verified against its SHA-256 and loaded with its recorded types."""
    registry = ctx.app.registry
    version = registry.get_version(ctx.name, number)
    ref = registry.get_artifact(ctx.name, number, "model")
    return load_model(ctx.app.artifacts, ref, schema=version.input_schema["columns"], task=ctx.spec.model.task)


def _scores_evidence(ctx: RunContext) -> dict[str, Any] | None:
    try:
        ref = ctx.app.registry.get_artifact(ctx.name, ctx.version, "test_scores")
    except NotFound:
        return None
    return {"uri": ref.uri, "sha256": ref.sha256, "rows": ref.meta.get("rows")}


def comparison_versions(ctx: RunContext) -> list[tuple[int, tuple[str, ...]]]:
    """The versions a new version is compared with: production if there is one, and always the
    previous approved version, or else the previous version that passed validation.

    Returns ``(number, roles)`` pairs, production first; one version can hold both roles.
    """
    registry = ctx.app.registry
    found: dict[int, list[str]] = {}
    production = registry.get_alias(ctx.name, "production")
    if production is not None and production != ctx.version:
        found[production] = ["production"]
    approved = validated = None
    before: int | None = ctx.version
    while before is not None and approved is None:
        page = registry.list_versions(ctx.name, limit=100, before=before)
        for version in page.versions:
            if approved is None and version.state in WAS_APPROVED:
                approved = version.number
            if validated is None and version.state in REACHED_VALIDATION:
                validated = version.number
        before = page.next_before
    if approved is not None:
        found.setdefault(approved, []).append("previous approved")
    elif validated is not None:
        found.setdefault(validated, []).append("previous validated")
    return [(number, tuple(roles)) for number, roles in found.items()]


def comparison_scores(ctx: RunContext, stage: str) -> list[tuple[int, tuple[str, ...], np.ndarray | None, str | None]]:
    """Each comparison version's scores on this run's test rows (or why it could not score them);
    computed once per run and shared by the reports and validation stages."""
    cached = ctx.extra.get("comparison_scores")
    if cached is not None:
        return cached
    out = []
    for number, roles in comparison_versions(ctx):
        ctx.say(stage, f"scoring the same test rows with version {number} ({', '.join(roles)})")
        try:
            out.append((number, roles, load_version_model(ctx, number).score(ctx.data.test.raw), None))
        except GreenlightError as exc:
            out.append((number, roles, None, exc.message))
    ctx.extra["comparison_scores"] = out
    return out


def _role_text(roles: tuple[str, ...] | list[str]) -> str:
    return " and ".join(ROLE_WORDS.get(r, r) for r in roles)


def _compare_with(ctx: RunContext, y: np.ndarray, scores: np.ndarray, number: int, roles: tuple[str, ...],
                  other: np.ndarray | None, error: str | None, messages: list[str]) -> dict[str, Any]:
    task = ctx.spec.model.task
    who = f"version {number} ({_role_text(roles)})"
    if other is None:
        messages.append(f"Could not compare with {who}: {error}")
        return {"version": number, "roles": list(roles), "error": error}
    intervals = paired_bootstrap(task, y, scores, other, resamples=BOOTSTRAP_RESAMPLES)
    primary = PRIMARY_METRIC[task]
    info = METRICS[primary]
    verdict = compare(intervals[primary], higher_is_better=info.higher_is_better)
    summary = describe_comparison(info.label, verdict, intervals[primary], other=who)
    messages.append(summary)
    return {"version": number, "roles": list(roles), "metrics": compute_metrics(task, y, other),
            "comparison": intervals, "primary_metric": primary, "verdict": verdict, "summary": summary,
            "resamples": BOOTSTRAP_RESAMPLES, "rows": int(len(y))}


def _performance(ctx: RunContext) -> dict[str, float]:
    registry = ctx.app.registry
    model_ref = ctx.model_ref or registry.get_artifact(ctx.name, ctx.version, "model")
    ctx.say("test_validation", "measuring load time, batch throughput and memory in a fresh serving process")
    with tempfile.TemporaryDirectory(prefix="greenlight-perf-") as folder:
        test_path = Path(folder) / "test.parquet"
        ctx.data.test.X.to_parquet(test_path, index=False)
        result = run_in_fresh_process({
            "task_kind": "performance",
            "store": str(ctx.app.artifacts.root),
            "model": ref_payload(model_ref),
            "schema": ctx.data.schema,
            "task": ctx.spec.model.task,
            "test_path": str(test_path),
        }, what="Measuring computational performance")
    result["model_size_mb"] = model_ref.size_bytes / 1e6
    return result


def run_test_validation(ctx: RunContext) -> StageOutcome:
    if ctx.data is None:
        raise StageFailed("The test data is not loaded; run the pipeline from the build stage.")
    task = ctx.spec.model.task
    messages: list[str] = []
    ctx.say("test_validation", f"scoring {len(ctx.data.test.X):,} held-out test rows")
    y = ctx.data.test.y
    # The reports stage scored these rows already and stored them (the one test_scores writer).
    scores = ctx.extra.get("test_scores")
    if scores is None:
        scores = load_version_model(ctx, ctx.version).score_prepared(ctx.data.test.X)
    ml = compute_metrics(task, y, scores)
    scores_evidence = _scores_evidence(ctx)
    comparisons = [_compare_with(ctx, y, scores, number, roles, other, error, messages)
                   for number, roles, other, error in comparison_scores(ctx, "test_validation")]
    if not comparisons:
        messages.append("This is the first version to reach validation, so there is no earlier version to compare "
                        "with.")
    champion = next((c for c in comparisons if "production" in c["roles"]), None)
    with test_environment(ctx) as environment:  # its gateway starts while the fresh process measures
        compute = _performance(ctx)
        compute.update(environment.measure(scores))  # latency as a client sees it, through the gateway
    measured = {**ml, **{k: v for k, v in compute.items() if k in METRICS}}

    gates = evaluate_gates(ctx.spec.policy["gates"], measured)
    if champion and "verdict" in champion and ctx.spec.policy["gates"].get("not_worse_than_production", True):
        label = METRICS[champion["primary_metric"]].label
        passed = champion["verdict"] != "worse"
        gates.append({"metric": champion["primary_metric"], "bound": "not_worse_than_production",
                      "threshold": None, "value": ml[champion["primary_metric"]], "passed": passed,
                      "reason": champion["summary"] if not passed else
                      f"{label} is not worse than production version {champion['version']}."})
    ctx.app.registry.record_metrics(ctx.name, ctx.version, actor=ctx.actor,
                                    metrics={k: float(v) for k, v in measured.items()})
    failed = [g for g in gates if not g["passed"]]
    messages += [f"{'✔' if g['passed'] else '✘'} {g['reason']}" for g in gates]
    evidence = {"metrics": ml, "compute": compute, "champion": champion, "comparisons": comparisons, "gates": gates,
                "test_rows": int(len(y)), "scores": scores_evidence, "test_environment": ctx.extra.get("test_environment")}
    if failed:
        reason = "Failed the policy gate" + ("s" if len(failed) > 1 else "") + ": " + " ".join(g["reason"] for g in failed)
        return StageOutcome(passed=False, messages=messages, evidence=evidence, reason=reason)
    return StageOutcome(passed=True, messages=messages, evidence=evidence)
