"""Stage 1, build: read the data, fit the estimator, store the artifacts, record the lineage."""

from __future__ import annotations

import io
import subprocess

import sklearn

from backend.pipeline.context import RunContext, StageOutcome
from backend.pipeline.data import load_training_data
from backend.pipeline.factory import factory_path
from backend.pipeline.training import fit_in_fresh_process

__all__ = ["run_build", "SAMPLE_ROWS", "git_commit_of"]

SAMPLE_ROWS = 200


def git_commit_of(folder) -> str | None:
    """The commit checked out where the spec lives, when it is a git repository."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def run_build(ctx: RunContext) -> StageOutcome:
    spec, store, registry = ctx.spec, ctx.app.artifacts, ctx.app.registry
    limits = ctx.app.org_policy.limits()
    factory_path(ctx.factory, spec.folder)  # a missing factory module fails before the data is read
    ctx.say("build", f"reading {spec.data.train.name} and {spec.data.test.name}")
    data = load_training_data(spec.data, task=spec.model.task, folder=spec.folder, limits=limits)
    ctx.data = data
    messages = list(data.warnings)
    X, y = data.train.X, data.train.y
    ctx.say("build", f"training {ctx.factory} on {len(X):,} rows × {X.shape[1]} columns in a separate process "
                     f"(at most {limits.max_train_seconds:,} s and {limits.max_train_memory_mb:,} MB)")
    fitted = fit_in_fresh_process(factory=ctx.factory, folder=spec.folder, task=spec.model.task, X=X, y=y,
                                  limits=limits)
    messages += [f"Training warned: {warning}" for warning in fitted.warnings]

    blob = store.put_bytes(fitted.model_bytes)
    model_ref = registry.add_artifact(
        ctx.name, ctx.version, kind="model", uri=blob.uri, sha256=blob.sha256, size_bytes=blob.size_bytes,
        meta={"format": "skops", "trusted_types": fitted.trusted_types, "sklearn_version": sklearn.__version__,
              "code_folder": str(spec.folder)},
        actor=ctx.actor)
    ctx.model_ref = model_ref

    sample = data.test.X.head(SAMPLE_ROWS)
    buffer = io.BytesIO()
    sample.to_parquet(buffer, index=False)
    sample_blob = store.put_bytes(buffer.getvalue())
    ctx.sample_ref = registry.add_artifact(
        ctx.name, ctx.version, kind="sample", uri=sample_blob.uri, sha256=sample_blob.sha256,
        size_bytes=sample_blob.size_bytes, meta={"format": "parquet", "rows": len(sample)}, actor=ctx.actor)

    description = fitted.description
    input_schema = {"columns": data.schema, "target": spec.data.target, "positive_label": data.positive_label,
                    "sensitive_features": list(data.train.sensitive.columns)}
    registry.record_build(ctx.name, ctx.version, actor=ctx.actor, data_fingerprint=data.fingerprint,
                          estimator=description, params=fitted.params, input_schema=input_schema)
    messages.append(f"Trained {description} in {fitted.fit_seconds:.1f} s (training process peak "
                    f"{fitted.peak_memory_mb:,.0f} MB); stored {blob.size_bytes / 1e6:.2f} MB.")
    evidence = {
        "estimator": description,
        "fit_seconds": round(fitted.fit_seconds, 3),
        "training_peak_memory_mb": round(fitted.peak_memory_mb, 1),
        "limits": limits.as_dict(),
        "artifact": {"uri": blob.uri, "sha256": blob.sha256, "size_bytes": blob.size_bytes,
                     "trusted_types": fitted.trusted_types, "code_folder": str(spec.folder)},
        "sample": {"uri": sample_blob.uri, "sha256": sample_blob.sha256, "rows": len(sample)},
        "data": {
            "fingerprint": data.fingerprint,
            "train": {"file": data.train.name, "rows": len(data.train.X), "sha256": data.train.sha256},
            "test": {"file": data.test.name, "rows": len(data.test.X), "sha256": data.test.sha256},
            "features": len(data.schema),
            "positive_label": data.positive_label,
            "positive_share_train": float(y.mean()) if spec.model.task == "classification" else None,
        },
        "spec_hash": spec.sha256,
        "factory": ctx.factory,
    }
    return StageOutcome(passed=True, messages=messages, evidence=evidence)
