"""The reference data monitoring compares production with: the version's held-out test rows.

Stored once, right after the build stage, as a Parquet artifact (``reference_data``) holding the
test features, typed by the version's input schema and named like the prediction log's columns
(``input:<feature>``), and the true outcome (``outcome``: 0/1 for a classifier, the number for
a regression). Monitoring computes the reference's bins, categories and quantiles from it once
per version. A version built before this existed has no reference; monitoring says so.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from backend.domain import ArtifactRef
from backend.pipeline.context import RunContext
from backend.registry.prediction_log import input_column

__all__ = ["store_reference_data", "REFERENCE_KIND", "REFERENCE_ROW_CAP", "OUTCOME_COLUMN"]

REFERENCE_KIND = "reference_data"
OUTCOME_COLUMN = "outcome"
#: A larger test set is sampled (seed 0): quantiles and category shares are as good at this size.
REFERENCE_ROW_CAP = 200_000


def reference_frame(X: pd.DataFrame, y: np.ndarray, *, cap: int = REFERENCE_ROW_CAP) -> pd.DataFrame:
    frame = pd.DataFrame({input_column(str(c)): X[c].to_numpy() for c in X.columns})
    frame[OUTCOME_COLUMN] = np.asarray(y)
    if len(frame) > cap:
        frame = frame.sample(n=cap, random_state=0).sort_index()
    return frame.reset_index(drop=True)


def store_reference_data(ctx: RunContext) -> ArtifactRef | None:
    """Store the version's test features and outcomes for monitoring; None (and a message) when
    it cannot, which never changes the run's outcome: only drift monitoring misses it."""
    if ctx.data is None:
        return None
    try:
        frame = reference_frame(ctx.data.test.X, ctx.data.test.y)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        blob = ctx.app.artifacts.put_bytes(buffer.getvalue())
        ref = ctx.app.registry.add_artifact(
            ctx.name, ctx.version, kind=REFERENCE_KIND, uri=blob.uri, sha256=blob.sha256, size_bytes=blob.size_bytes,
            meta={"format": "parquet", "rows": len(frame), "test_rows": len(ctx.data.test.X)}, actor=ctx.actor)
    except Exception as exc:  # the version is fine without it; the audit log keeps why
        ctx.app.registry.record(actor=ctx.actor, action="reference_data.failed", model=ctx.name, version=ctx.version,
                                detail={"error": f"{type(exc).__name__}: {exc}"})
        ctx.say("build", f"reference data for monitoring could not be stored: {type(exc).__name__}: {exc}")
        return None
    ctx.say("build", f"stored {len(frame):,} held-out rows as the reference for monitoring")
    return ref
