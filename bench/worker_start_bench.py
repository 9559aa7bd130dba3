"""What the worker's fork server saves: starting a worker job, and a whole pipeline run.

Each fit, smoke check and performance job runs in a fresh process, as does the scoring gateway
of a run's test environment. Started as a new interpreter, each first spends seconds importing
pandas, scikit-learn and skops; forked from the fork server, which imported them once, it does
not. This bench times, in both ways (``GREENLIGHT_WORKER_START=spawn`` for the new interpreter):

* 10 worker jobs that do nothing (the start alone, median);
* 3 runs of ``examples/credit-risk`` (1,000 rows, logistic regression) from build through test
  validation (median).

Reference: the new interpreter, as every job started before the fork server. Target: the fork
server starts a job at least 10 times faster and makes a run at least 1.5 times faster.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/worker_start_bench.py``. Exits 1 when a target
is missed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import contextlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _workspace import temporary_app  # noqa: E402

SPEC = Path(__file__).resolve().parents[1] / "examples" / "credit-risk" / "greenlight.toml"
JOBS, RUNS = 10, 3
JOB_TARGET, RUN_TARGET = 10.0, 1.5


def _job_start_seconds() -> float:
    from backend.errors import StageFailed
    from backend.pipeline.fresh_process import run_in_fresh_process

    times = []
    for _ in range(JOBS):
        started = time.perf_counter()
        # The worker answers that it has no such job: the start is what is timed.
        with contextlib.suppress(StageFailed):
            run_in_fresh_process({"task_kind": "nothing"}, what="An empty job")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _run_seconds() -> float:
    from backend.pipeline import run_pipeline
    from tests.factories import person

    times = []
    with temporary_app() as (app, _home):
        for _ in range(RUNS):
            started = time.perf_counter()
            result = run_pipeline(app, SPEC, actor=person(app, "bench-ds"))
            times.append(time.perf_counter() - started)
            if not result.passed:
                raise SystemExit(f"the run failed at {result.failed_stage}: {result.reason}")
    return statistics.median(times)


def main() -> int:
    print(f"Worker start bench: {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    figures = {}
    for mode in ("spawn", "fork"):
        if mode == "spawn":
            os.environ["GREENLIGHT_WORKER_START"] = "spawn"
        else:
            os.environ.pop("GREENLIGHT_WORKER_START", None)
        figures[mode] = (_job_start_seconds(), _run_seconds())
        print(f"  {mode:<6} job start (median of {JOBS}) {figures[mode][0]:7.3f} s   "
              f"credit-risk run (median of {RUNS}) {figures[mode][1]:7.2f} s")
    job_ratio = figures["spawn"][0] / figures["fork"][0]
    run_ratio = figures["spawn"][1] / figures["fork"][1]
    ok = job_ratio >= JOB_TARGET and run_ratio >= RUN_TARGET
    print(f"  job start: {job_ratio:.1f} times faster forked (target {JOB_TARGET:g}×)")
    print(f"  pipeline run: {run_ratio:.2f} times faster forked (target {RUN_TARGET:g}×)")
    print("worker start bench:", "all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
