"""The canary judge on a million logged predictions.

Writes 1,000,000 predictions of one model to a prediction log in a temporary store, the way
gateways write it (batches of 20,000 rows, one file per batch and day, over the last 24 hours):
90% served by production, 10% by a canary, a third of them with their true outcome fed back.
Then times what ``Deployments.judge`` does between its two short transactions: read the canary
window from the log (``backend.deployment.window.read_sides``) and judge it
(``backend.deployment.judge.judge``: Mann–Whitney on errors and latency, the stability index of
the scores, ROC AUC and accuracy with intervals). Median of 3 runs after a warm-up.

Target: at most 10 s for the million rows on a 2-core machine (the design asks that monitoring
reads millions of rows in seconds). Also checks the verdict is a pass (both sides are the same
model). Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/judge_bench.py`` (``--rows N`` for another
size). Exits 1 when the target is missed or the verdict is wrong.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 10.0
BATCH = 20_000
MODEL = "bench-model"


def write_log(root: str, rows: int) -> datetime:
    """``rows`` predictions over the last day; returns when the canary 'started' (a day ago)."""
    from backend.registry.prediction_log import PredictionLog, input_column

    log = PredictionLog(root)
    rng = np.random.default_rng(0)
    now = datetime.now(UTC)
    start = now - timedelta(days=1)
    for first in range(0, rows, BATCH):
        n = min(BATCH, rows - first)
        offsets = np.sort(rng.uniform(0, 86_400, n))
        risk = rng.beta(2, 3, n)
        score = np.clip(risk + rng.normal(0, 0.05, n), 0, 1)
        canary = rng.random(n) < 0.10
        failed = rng.random(n) < 0.001
        latency = rng.lognormal(0, 0.25, n)
        outcome = np.where(rng.random(n) < risk, "yes", "no")
        ids = [f"r{first + i}" for i in range(n)]
        log.write_predictions(MODEL, [{
            "request_id": ids[i], "version": 2 if canary[i] else 1, "slot": "canary" if canary[i] else "production",
            "ts": start + timedelta(seconds=float(offsets[i])), "latency_ms": float(latency[i]),
            "routing_key": ids[i], "client": None, "simulated": True,
            "score": None if failed[i] else float(score[i]),
            "decision": None if failed[i] else ("yes" if score[i] >= 0.5 else "no"),
            "error": "could not score" if failed[i] else None, input_column("income"): 50.0,
        } for i in range(n)], {"income": "number"})
        fed = np.flatnonzero(rng.random(n) < 1 / 3)
        log.write_feedback(MODEL, [{"request_id": ids[i], "ts": now, "outcome": str(outcome[i]), "simulated": True}
                                   for i in fed])
    return start - timedelta(seconds=1)


def judge_once(root: str, since: datetime):
    from backend.deployment.judge import judge
    from backend.deployment.window import read_sides
    from backend.registry.prediction_log import PredictionLog

    started = time.perf_counter()
    canary, production = read_sides(PredictionLog(root), MODEL, start=since, end=datetime.now(UTC), canary_version=2,
                                    production_version=1, positive_label="yes")
    read = time.perf_counter() - started
    verdict = judge(canary, production, min_requests=500)
    return read, time.perf_counter() - started - read, verdict, canary.requests, production.requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="greenlight-judge-bench-") as root:
        began = time.perf_counter()
        since = write_log(root, args.rows)
        print(f"wrote {args.rows:,} predictions in {time.perf_counter() - began:.1f} s (setup, not timed)")
        judge_once(root, since)  # warm-up: imports, file listing caches
        runs = [judge_once(root, since) for _ in range(3)]
    reads, judging = [r[0] for r in runs], [r[1] for r in runs]
    totals = [r[0] + r[1] for r in runs]
    verdict, n_canary, n_production = runs[-1][2], runs[-1][3], runs[-1][4]
    total = statistics.median(totals)
    print(f"{'step':<34}{'median':>10}{'min':>10}")
    print(f"{'read the window from the log':<34}{statistics.median(reads):>9.2f}s{min(reads):>9.2f}s")
    print(f"{'judge (tests, index, quality)':<34}{statistics.median(judging):>9.2f}s{min(judging):>9.2f}s")
    print(f"{'total':<34}{total:>9.2f}s{min(totals):>9.2f}s")
    print(f"canary {n_canary:,} and production {n_production:,} predictions; verdict: {verdict.verdict}")
    print(f"target: at most {TARGET_SECONDS:.0f} s for {args.rows:,} rows; ratio {total / TARGET_SECONDS:.2f} "
          f"({'met' if total <= TARGET_SECONDS else 'MISSED'})")
    ok = total <= TARGET_SECONDS and verdict.verdict == "pass"
    if verdict.verdict != "pass":
        print("the verdict on two copies of one model should be a pass:", verdict.headline)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
