"""Run every ``bench/*_bench.py`` script in turn; exit 1 if any of them failed.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/run_all.py`` (or ``make bench``). Each script
runs in its own process with this interpreter, OMP_NUM_THREADS=1 unless set otherwise, and
its output printed as it comes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(BENCH.glob("*_bench.py"))
    if not scripts:
        print(f"no *_bench.py scripts in {BENCH}")
        return 1
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "PYTHONUNBUFFERED": "1"}
    results: list[tuple[str, int, float]] = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, env=env, check=False).returncode
        results.append((script.name, code, time.perf_counter() - started))
        print(flush=True)

    print("=== summary ===")
    for name, code, seconds in results:
        print(f"  {name:<28} {'ok' if code == 0 else f'FAILED (exit {code})':<18} {seconds:6.1f} s")
    failed = [name for name, code, _ in results if code != 0]
    print("all benches passed" if not failed else f"{len(failed)} of {len(results)} benches failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
