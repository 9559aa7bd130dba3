"""Reading a 2-million-row training set: today's pandas reader beside the new pyarrow one.

Creates a training CSV of 2,000,000 rows × 30 columns (23 numbers with about 1% missing, of
which 4 whole numbers, 6 text columns with 3 to 50 values, and a yes/no target) and a test CSV
of 20,000 rows in a temporary folder under /tmp, which it removes at the end. Each reader runs
in a fresh process, which reports its seconds and its peak memory (resident set, counted from
after the imports), beside the size of the training data in memory (the typed features and the
target; each distinct string counted once). Three runs:

- today's reader: the pandas reader Greenlight used before (``bench/_todays_reader.py``);
- the new reader, build side: ``load_training_data`` (both splits, within the default limits)
  and the Arrow file that hands the training frame to the training process;
- the new reader, training side: the training process reading that file back (its baseline
  before the estimator's own fit).

Target: every new run's peak at most 3 times the data in memory. Prints seconds, peak memory,
peak / data and the ratios between today's reader and the new one; exits 1 when the target is
missed. Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/reader_bench.py`` (``--rows N`` for
another size, ``--skip-today`` to leave out the slow reader).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

BENCH = Path(__file__).resolve().parent
TARGET_RATIO = 3.0
TEST_ROWS = 20_000
CHUNK_ROWS = 250_000


# -- the data -----------------------------------------------------------------------------------

def _chunk(rows: int, seed: int):
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    columns = {}
    for i in range(19):
        values = np.round(rng.normal(100 * i, 10 + i, rows), 4)
        columns[f"measure_{i:02d}"] = pa.array(values, mask=rng.random(rows) < 0.01)
    for i in range(4):
        columns[f"count_{i}"] = pa.array(rng.integers(0, 10 ** (i + 2), rows), mask=rng.random(rows) < 0.01)
    for i, distinct in enumerate((3, 5, 8, 12, 20, 50)):
        names = np.array([f"group-{i}-{k}" for k in range(distinct)], dtype=object)
        columns[f"segment_{i}"] = pa.array(names[rng.integers(0, distinct, rows)], mask=rng.random(rows) < 0.01)
    score = columns["measure_01"].to_numpy(zero_copy_only=False)
    noisy = np.nan_to_num(score, nan=100.0) + rng.normal(0, 15, rows)
    columns["label"] = pa.array(np.where(noisy > 100, "yes", "no"))
    return pa.table(columns)


def write_csv(path: Path, rows: int, seed: int) -> None:
    import pyarrow.csv as pa_csv

    writer = None
    for start in range(0, rows, CHUNK_ROWS):
        table = _chunk(min(CHUNK_ROWS, rows - start), seed + start)
        writer = writer or pa_csv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    writer.close()


# -- one measured run, in its own process -------------------------------------------------------

def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Start the peak (VmHWM) from the current resident set (Linux 4.0 and later)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def data_bytes(X, y) -> int:
    """Features and target in memory: array bytes, plus each distinct Python string once."""
    total, seen = int(y.nbytes), set()
    for name in X.columns:
        values = X[name].to_numpy()
        total += values.nbytes
        if values.dtype == object:
            for value in values:
                if id(value) not in seen:
                    seen.add(id(value))
                    total += sys.getsizeof(value)
    return total


def measure(which: str, folder: Path) -> dict:
    sys.path.insert(0, str(BENCH))
    from backend.pipeline.data import load_training_data, read_training_frame, write_training_frame
    from backend.pipeline.spec import DataSpec

    spec = DataSpec(train=folder / "train.csv", test=folder / "test.csv", target="label", positive_label="yes",
                    sensitive_features=("segment_0",))
    handoff = folder / "train.arrow"
    if which == "today":
        import _todays_reader  # noqa: F401  (imported before the baseline, like the new reader)
    baseline = _status("VmRSS")
    _reset_peak()
    started = time.perf_counter()
    if which == "today":
        data = _todays_reader.load_training_data(spec, task="classification", folder=folder)
        X, y = data.train.X, data.train.y
    elif which == "new":
        data = load_training_data(spec, task="classification", folder=folder)
        X, y = data.train.X, data.train.y
        write_training_frame(X, y, handoff)
    else:
        X, y = read_training_frame(handoff)
    seconds = time.perf_counter() - started
    peak = _status("VmHWM")
    return {"seconds": seconds, "baseline_mb": baseline, "peak_mb": peak - baseline, "data_mb": data_bytes(X, y) / 2**20,
            "rows": len(X), "columns": X.shape[1] + 1}


def run_measured(which: str, folder: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", which, str(folder)], capture_output=True, text=True,
                          check=False, env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    if done.returncode != 0:
        raise SystemExit(f"the {which} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="training rows (default 2,000,000)")
    parser.add_argument("--skip-today", action="store_true", help="leave out today's (slow) reader")
    parser.add_argument("--measure", nargs=2, metavar=("WHICH", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="greenlight-reader-bench-", dir="/tmp"))
    try:
        started = time.perf_counter()
        write_csv(folder / "train.csv", args.rows, seed=1)
        write_csv(folder / "test.csv", TEST_ROWS, seed=2)
        size = (folder / "train.csv").stat().st_size / 2**20
        print(f"training CSV: {args.rows:,} rows × 30 columns, {size:,.0f} MB on disk "
              f"(written in {time.perf_counter() - started:.0f} s); test CSV: {TEST_ROWS:,} rows")
        runs = {}
        for which in ("new", "handoff") + (() if args.skip_today else ("today",)):
            runs[which] = run_measured(which, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    data_mb = runs["new"]["data_mb"]
    print(f"training data in memory (typed features and target): {data_mb:,.0f} MB\n")
    labels = {"today": "today's reader (pandas)", "new": "new reader, build side", "handoff": "new reader, training side"}
    print(f"  {'run':<28} {'seconds':>8} {'peak MB':>9} {'peak / data':>12}")
    ok = True
    for which in ("today", "new", "handoff"):
        if which not in runs:
            continue
        run = runs[which]
        ratio = run["peak_mb"] / data_mb
        verdict = "" if which == "today" else ("  ok" if ratio <= TARGET_RATIO else f"  MISSED (target ≤ {TARGET_RATIO:.0f}×)")
        ok &= which == "today" or ratio <= TARGET_RATIO
        print(f"  {labels[which]:<28} {run['seconds']:8.1f} {run['peak_mb']:9,.0f} {ratio:11.2f}×{verdict}")
    if "today" in runs:
        today, new = runs["today"], runs["new"]
        print(f"\n  new vs today: {today['seconds'] / new['seconds']:.1f}× faster "
              f"({new['seconds']:.1f} s against {today['seconds']:.1f} s), "
              f"{today['peak_mb'] / new['peak_mb']:.1f}× less peak memory "
              f"({new['peak_mb']:,.0f} MB against {today['peak_mb']:,.0f} MB)")
    print(f"\ntarget: peak at most {TARGET_RATIO:.0f}× the data in memory — {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
