"""How long the reports stage takes on UCI Adult.

Runs ``examples/income-propensity`` (16,281 test rows, histogram gradient boosting from
``model:build``) through ``backend.pipeline.run_pipeline`` in a temporary GREENLIGHT_HOME,
twice: first with nothing in production, then with version 1 in production, so the stage also
scores the production version and reports its fairness on the same rows. Prints the reports
stage's duration and the steps inside it (scoring, fairness, SHAP), the fixed, seeded number of
rows SHAP explained (the same on every machine) and the additivity error. Target: the reports stage within 20 s on a 2-core
machine with OMP_NUM_THREADS=1.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/reports_bench.py``. Exits 1 when a run fails
or the stage is too slow.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _workspace import temporary_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

SPEC = ROOT / "examples" / "income-propensity" / "greenlight.toml"
FACTORY = "model:build"
TARGET_SECONDS = 20.0


def run_once(app, label: str) -> bool:
    from backend.pipeline import run_pipeline

    events: list[tuple[float, str, str]] = []
    started = time.perf_counter()
    from tests.factories import person

    result = run_pipeline(app, SPEC, factory=FACTORY, actor=person(app, "bench-ds"),
                          progress=lambda stage, message: events.append((time.perf_counter() - started, stage,
                                                                         message)))
    stage = next((s for s in result.stages if s.stage == "reports"), None)
    print(f"\n{label}: version {result.version}, "
          f"{'passed' if result.passed else f'FAILED at {result.failed_stage}: {result.reason}'}")
    if stage is None or stage.status != "passed":
        return False
    seconds = stage.duration_s
    inside = [(at, message) for at, name, message in events if name == "reports"]
    print("  steps inside the reports stage (duration, message):")
    for (at, message), following in zip(inside, inside[1:] + [None], strict=True):
        # Progress lines are lower-case; the capitalised ones are the stage's findings, printed after it.
        if following is not None and message[:1].islower() and message not in ("started", "passed"):
            print(f"    {following[0] - at:6.2f} s  {message[:80]}")
    explained = stage.evidence["explainability"]
    print(f"  SHAP: {explained['explainer']}, a fixed sample of {explained['rows_explained']:,} of "
          f"{explained['test_rows']:,} rows (seed {explained.get('seed')}), additivity error "
          f"{explained['additivity_error']:.1e}")
    compared = ", ".join(f"v{c['version']} ({' and '.join(c['roles'])})"
                         for c in stage.evidence["fairness"].get("comparisons") or []) or "none"
    print(f"  fairness verdict: {stage.evidence['fairness']['verdict']}, compared with: {compared}")
    within = seconds <= TARGET_SECONDS
    print(f"  reports stage {seconds:6.2f} s  target {TARGET_SECONDS:.0f} s, ratio {seconds / TARGET_SECONDS:.3f}  "
          f"{'ok' if within else 'MISSED'}")
    return within


def main() -> int:
    with temporary_app() as (app, home):
        print(f"Reports bench: {SPEC.parent.name} ({FACTORY}), {os.cpu_count()} CPUs, "
              f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, home {home}")
        ok = run_once(app, "run 1 (nothing in production)")
        if ok:
            from tests.factories import (
                put_in_production,  # signed off, then an admin's override: no canary here
            )

            put_in_production(app, "income-propensity", 1, reason="bench: give run 2 a production version")
            ok = run_once(app, "run 2 (version 1 in production: its fairness on the same rows)")
    print("\nreports bench:", "all targets met" if ok else "TARGET MISSED or run failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
