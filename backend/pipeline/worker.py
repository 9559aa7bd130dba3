"""Work that must run in a fresh process: fitting under the organisation's limits, and loading
the stored model as production would.

    python -m backend.pipeline.worker JOB.json

The job says what to do (``fit``, ``smoke`` or ``performance``) and with what: the training
frame and the factory, or the artifact store and the artifacts (with their SHA-256). The result
is written as one JSON object to the job's ``result_path``, so whatever the estimator prints
cannot be mistaken for it.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from backend.domain import ArtifactRef
from backend.errors import GreenlightError
from backend.pipeline.training import fit
from backend.registry.artifacts import ArtifactStore
from backend.registry.loaded_model import load_model
from backend.registry.schema import apply_schema


def _ref(raw: dict) -> ArtifactRef:
    return ArtifactRef(model=raw["model"], version=raw["version"], kind=raw["kind"], uri=raw["uri"],
                       sha256=raw["sha256"], size_bytes=raw["size_bytes"], created_at=datetime.fromisoformat(raw["created_at"]),
                       meta=raw.get("meta", {}))


def _check(name: str, passed: bool, message: str) -> dict:
    return {"name": name, "passed": bool(passed), "message": message}


def smoke(job: dict) -> dict:
    store = ArtifactStore(Path(job["store"]))
    started = time.perf_counter()
    model = load_model(store, _ref(job["model"]), schema=job["schema"], task=job["task"])
    load_s = time.perf_counter() - started
    sample = pd.read_parquet(io.BytesIO(store.read_bytes(_ref(job["sample"]))))
    checks = [_check("loads", True, f"The stored model loaded in a fresh process in {load_s:.2f} s.")]
    first = model.score(sample)
    second = model.score(sample)
    n = len(sample)
    checks.append(_check("shape", first.shape == (n,), f"{first.shape[0]} predictions for {n} sample rows."))
    finite = bool(np.all(np.isfinite(first)))
    checks.append(_check("no_missing", finite, "Every prediction is a number." if finite else
                         f"{int((~np.isfinite(first)).sum())} predictions are missing (NaN) or infinite."))
    if job["task"] == "classification":
        X = apply_schema(sample, model.schema, "sample")
        raw = model.estimator.predict_proba(X)
        in_range = bool(np.all((raw >= 0) & (raw <= 1))) and bool(np.allclose(raw.sum(axis=1), 1.0))
        checks.append(_check("probabilities", in_range, "Probabilities are between 0 and 1 and sum to 1."
                             if in_range else "Some probabilities are outside [0, 1] or do not sum to 1."))
        labels = model.estimator.predict(X)
        checks.append(_check("labels", set(np.unique(labels)) <= {0, 1}, "Predicted labels are 0 or 1."))
    same = bool(np.array_equal(first, second, equal_nan=True))
    checks.append(_check("deterministic", same, "Scoring the same rows twice gives the same results." if same else
                         "Scoring the same rows twice gave different results."))
    return {"checks": checks, "sample_rows": n, "load_seconds": load_s}


def performance(job: dict) -> dict:
    """Load time, batch throughput and peak memory of the stored model in a fresh process.

    Latency is not measured here: test validation measures it through the test environment's
    gateway, as a client sees it.
    """
    store = ArtifactStore(Path(job["store"]))
    started = time.perf_counter()
    model = load_model(store, _ref(job["model"]), schema=job["schema"], task=job["task"])
    load_s = time.perf_counter() - started
    frame = pd.read_parquet(job["test_path"])
    runs = []
    for _ in range(3 if len(frame) < 50_000 else 1):
        t0 = time.perf_counter()
        model.score(frame)
        runs.append(time.perf_counter() - t0)
    batch_s = float(np.median(runs))
    return {
        "load_time_s": load_s,
        "throughput_rows_per_s": len(frame) / batch_s if batch_s > 0 else float("inf"),
        "batch_rows": len(frame),
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    # A fit's errors are already sentences for a person; the others get "<what> failed: " in front.
    plain = job["task_kind"] == "fit"
    try:
        result = {"fit": fit, "smoke": smoke, "performance": performance}[job["task_kind"]](job)
        answer = {"ok": True, "result": result}
    except GreenlightError as exc:
        answer = {"ok": False, "code": exc.code, "error": exc.message, "plain": plain}
    except Exception as exc:
        answer = {"ok": False, "code": "error", "error": f"{type(exc).__name__}: {exc}"}
    Path(job["result_path"]).write_text(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
