"""Group metrics with bootstrap intervals on 1,000,000 rows and two sensitive features.

Builds a million Adult-like rows by resampling the Adult test set (its real ``sex`` and
``race`` columns, real outcomes, and the scores of a logistic regression fitted on Adult's
training data), then times ``backend.reports.fairness_report``: both features and their
intersection, every group's selection, base, true- and false-positive rate and accuracy with
their counts and exact 95% intervals, the gaps among judgeable groups with 1,000-resample
bootstrap intervals, fairlearn's values over every group, and the verdicts. Target: at most
2 s, with the same values as fairlearn (checked to 1e-9). Beside it, fairlearn's
``MetricFrame`` on the same data and metrics, point values only (no intervals); with
``--fairlearn-boot N`` it also times MetricFrame's own bootstrap with N resamples and
extrapolates to 1,000.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/fairness_bench.py``. Exits 1 when the target
is missed or a value differs from fairlearn's.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROWS = 1_000_000
RESAMPLES = 1000
TARGET_SECONDS = 2.0
TOLERANCE = 1e-9
FEATURES = ["sex", "race"]


def adult_like_rows(rows: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Outcomes, model scores and sensitive columns: Adult's test set resampled to ``rows``."""
    import importlib.util

    from backend.pipeline.data import load_training_data
    from backend.pipeline.spec import load_spec

    spec = load_spec(ROOT / "examples" / "income-propensity" / "greenlight.toml")
    data = load_training_data(spec.data, task="classification", folder=spec.folder)
    factory = importlib.util.spec_from_file_location("income_model", spec.folder / "model.py")
    module = importlib.util.module_from_spec(factory)
    factory.loader.exec_module(module)
    model = module.build_logistic().fit(data.train.X, data.train.y)
    scores = model.predict_proba(data.test.X)[:, 1]
    pick = np.random.default_rng(0).integers(0, len(scores), rows)
    sensitive = data.test.raw[FEATURES].iloc[pick].reset_index(drop=True).astype(object)
    return data.test.y[pick], scores[pick], sensitive


def fairlearn_frames(y, y_pred, sensitive, n_boot: int | None = None):
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    metrics = {"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
               "false_positive_rate": false_positive_rate, "accuracy": accuracy_score}
    boot = {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975], "random_state": 0} if n_boot else {}
    feature_sets = {"sex": sensitive["sex"], "race": sensitive["race"], "sex × race": sensitive[FEATURES]}
    return {name: MetricFrame(metrics=metrics, y_true=y, y_pred=y_pred, sensitive_features=sf, **boot)
            for name, sf in feature_sets.items()}


def compare(report: dict, frames: dict) -> float:
    """Largest absolute difference between our values and fairlearn's, over groups and disparities."""
    worst = 0.0
    for feature in report["features"]:
        frame = frames[feature["feature"]]
        ours = {g["group"]: g for g in feature["groups"]}
        for key, row in frame.by_group.iterrows():
            name = " · ".join(map(str, key)) if isinstance(key, tuple) else str(key)
            for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"):
                if ours[name][metric]["n"] == 0:  # undefined (fairlearn shows 0): the report says so instead
                    continue
                worst = max(worst, abs(ours[name][metric]["value"] - row[metric]))
        difference, ratio = frame.difference(method="between_groups"), frame.ratio(method="between_groups")
        # fairlearn's definitions span every group; the verdicts use the judgeable groups only.
        checks = {c["metric"]: c["fairlearn_value"] for c in feature["checks"]}
        theirs = {"demographic_parity_difference": difference["selection_rate"],
                  "demographic_parity_ratio": ratio["selection_rate"],
                  "equalized_odds_difference": max(difference["true_positive_rate"], difference["false_positive_rate"])}
        worst = max([worst] + [abs(checks[k] - v) for k, v in theirs.items()])
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--fairlearn-boot", type=int, default=0, metavar="N",
                        help="also time fairlearn's own bootstrap with N resamples (slow: about 10 s each)")
    args = parser.parse_args(argv)
    from backend.reports import fairness_report, group_metrics

    print(f"Fairness bench: {args.rows:,} rows, sensitive features {' and '.join(FEATURES)} and their intersection, "
          f"{RESAMPLES:,} resamples, {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    y, scores, sensitive = adult_like_rows(args.rows)
    y_pred = (scores >= 0.5).astype(int)
    fairness_report(y[:1000], scores[:1000], sensitive.head(1000), features=FEATURES, resamples=10)  # warm-up

    started = time.perf_counter()
    report = fairness_report(y, scores, sensitive, features=FEATURES, resamples=RESAMPLES)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for feature in FEATURES:
        group_metrics(y, y_pred, sensitive[feature], resamples=RESAMPLES)
    per_feature = time.perf_counter() - started

    started = time.perf_counter()
    frames = fairlearn_frames(y, y_pred, sensitive)
    theirs = time.perf_counter() - started
    worst = compare(report, frames)

    groups = sum(len(f["groups"]) for f in report["features"])
    print(f"\n  {'what':<66} {'seconds':>8}")
    print(f"  {f'Greenlight fairness_report: 3 feature sets, {groups} groups, intervals':<66} {ours:8.2f}")
    print(f"  {'Greenlight group_metrics: sex, race, each with intervals':<66} {per_feature:8.2f}")
    print(f"  {'fairlearn MetricFrame: same 3 feature sets, values only':<66} {theirs:8.2f}")
    if args.fairlearn_boot:
        started = time.perf_counter()
        fairlearn_frames(y, y_pred, sensitive, n_boot=args.fairlearn_boot)
        booted = time.perf_counter() - started
        estimate = (booted - theirs) / args.fairlearn_boot * RESAMPLES + theirs
        print(f"  {f'fairlearn MetricFrame with n_boot={args.fairlearn_boot}':<66} {booted:8.2f}")
        print(f"  {f'  extrapolated to n_boot={RESAMPLES:,}':<66} {estimate:8.0f}")
    print(f"\n  fairlearn takes {theirs / ours:.0f}× as long for the values alone; largest difference from "
          f"fairlearn {worst:.1e} (tolerance {TOLERANCE:.0e})")
    within, same = ours <= TARGET_SECONDS, worst <= TOLERANCE
    print(f"  target {TARGET_SECONDS:.0f} s: ratio {ours / TARGET_SECONDS:.3f} {'ok' if within else 'MISSED'}; "
          f"values {'agree' if same else 'DIFFER'}")
    print("\nfairness bench:", "all targets met" if within and same else "TARGET MISSED or values differ")
    return 0 if within and same else 1


if __name__ == "__main__":
    sys.exit(main())
