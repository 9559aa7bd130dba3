"""Stage 1, build: read the data, fit the estimator, store the artifacts, record the lineage."""

from __future__ import annotations

import io
import subprocess
import time
import warnings

import sklearn

from backend.errors import StageFailed
from backend.pipeline.context import RunContext, StageOutcome
from backend.pipeline.data import load_training_data
from backend.pipeline.factory import build_estimator, describe_estimator, json_params
from backend.registry.model_io import dump_estimator

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
    ctx.say("build", f"reading {spec.data.train.name} and {spec.data.test.name}")
    data = load_training_data(spec.data, task=spec.model.task, folder=spec.folder)
    ctx.data = data
    messages = list(data.warnings)
    estimator = build_estimator(ctx.factory, spec.folder, task=spec.model.task)
    X, y = data.train.X, data.train.y
    ctx.say("build", f"training {describe_estimator(estimator)} on {len(X):,} rows × {X.shape[1]} columns")
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(X, y)
        except Exception as exc:
            raise StageFailed(f"Training failed: {type(exc).__name__}: {exc}") from exc
    fit_seconds = time.perf_counter() - started
    for warning in {str(w.message).splitlines()[0] for w in caught if issubclass(w.category, UserWarning)}:
        messages.append(f"Training warned: {warning}")

    model_bytes, trusted = dump_estimator(estimator)
    blob = store.put_bytes(model_bytes)
    model_ref = registry.add_artifact(
        ctx.name, ctx.version, kind="model", uri=blob.uri, sha256=blob.sha256, size_bytes=blob.size_bytes,
        meta={"format": "skops", "trusted_types": trusted, "sklearn_version": sklearn.__version__},
        actor=ctx.actor)
    ctx.model_ref = model_ref

    sample = data.test.X.head(SAMPLE_ROWS)
    buffer = io.BytesIO()
    sample.to_parquet(buffer, index=False)
    sample_blob = store.put_bytes(buffer.getvalue())
    ctx.sample_ref = registry.add_artifact(
        ctx.name, ctx.version, kind="sample", uri=sample_blob.uri, sha256=sample_blob.sha256,
        size_bytes=sample_blob.size_bytes, meta={"format": "parquet", "rows": len(sample)}, actor=ctx.actor)

    description = describe_estimator(estimator)
    input_schema = {"columns": data.schema, "target": spec.data.target, "positive_label": data.positive_label,
                    "sensitive_features": list(data.train.sensitive.columns)}
    registry.record_build(ctx.name, ctx.version, actor=ctx.actor, data_fingerprint=data.fingerprint,
                          estimator=description, params=json_params(estimator), input_schema=input_schema)
    messages.append(f"Trained {description} in {fit_seconds:.1f} s; stored {blob.size_bytes / 1e6:.2f} MB.")
    evidence = {
        "estimator": description,
        "fit_seconds": round(fit_seconds, 3),
        "artifact": {"uri": blob.uri, "sha256": blob.sha256, "size_bytes": blob.size_bytes,
                     "trusted_types": trusted},
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
