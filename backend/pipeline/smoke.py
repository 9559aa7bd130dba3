"""Stage 2, smoke checks: the *stored* artifact loads in a fresh process and predicts sensibly."""

from __future__ import annotations

from backend.pipeline.context import RunContext, StageOutcome
from backend.pipeline.fresh_process import ref_payload, run_in_fresh_process

__all__ = ["run_smoke_checks"]


def run_smoke_checks(ctx: RunContext) -> StageOutcome:
    registry = ctx.app.registry
    model_ref = ctx.model_ref or registry.get_artifact(ctx.name, ctx.version, "model")
    sample_ref = ctx.sample_ref or registry.get_artifact(ctx.name, ctx.version, "sample")
    version = registry.get_version(ctx.name, ctx.version)
    ctx.say("smoke_checks", f"loading the stored model in a fresh process and scoring {sample_ref.meta.get('rows')} rows")
    result = run_in_fresh_process({
        "task_kind": "smoke",
        "store": str(ctx.app.artifacts.root),
        "model": ref_payload(model_ref),
        "sample": ref_payload(sample_ref),
        "schema": version.input_schema["columns"],
        "task": ctx.spec.model.task,
    }, what="Loading the stored model in a fresh process")
    checks = result["checks"]
    failed = [c for c in checks if not c["passed"]]
    messages = [f"{'✔' if c['passed'] else '✘'} {c['name']}: {c['message']}" for c in checks]
    evidence = {"checks": checks, "sample_rows": result["sample_rows"], "load_seconds": round(result["load_seconds"], 3)}
    if failed:
        reason = "Smoke check failed: " + "; ".join(c["message"] for c in failed)
        return StageOutcome(passed=False, messages=messages, evidence=evidence, reason=reason)
    return StageOutcome(passed=True, messages=messages, evidence=evidence)
