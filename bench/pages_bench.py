"""How fast the portal's pages render on a big registry: 200 models × 25 versions.

Seeds a temporary SQLite registry through the public services, under the same rules as any
other door (a data scientist registers, reviewers sign off, an admin overrides the missing
canary; no training: the metrics and stage evidence look like the pipeline's), then times AppTest runs of
the Overview and Model pages. Two figures per page:

- *warm*: what a user sees on the second visit within the cache's lifetime;
- *cold*: every query cache cleared before the run, so each run reads the database.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/pages_bench.py``. Exits 1 when a median
misses the 0.5 s target.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import logging  # noqa: E402

import streamlit as st  # noqa: E402
from _workspace import temporary_home  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from backend.app import App  # noqa: E402
from backend.config import Settings  # noqa: E402
from backend.domain import ModelInfo, User  # noqa: E402
from backend.governance.accounts import operator  # noqa: E402
from backend.registry import Registry  # noqa: E402
from backend.registry.states import State  # noqa: E402
from portal.auth import SESSION_KEY  # noqa: E402

MODELS, VERSIONS = 200, 25
WARMUP, REPEATS = 2, 15
TARGET_S = 0.5
ENTRY = ROOT / "portal" / "app.py"

# What each bench spec declares; the registry lays it over the organisation's floor.
POLICY = {"gates": {"min": {"roc_auc": 0.75, "recall": 0.3}, "max": {"model_size_mb": 20.0}}}
REVIEWERS = {"business_owner": "bench-bo", "risk": "bench-risk", "compliance": "bench-compliance"}
CHECKS = [{"name": name, "passed": True, "message": message} for name, message in [
    ("loads", "The stored model loaded in a fresh process in 0.01 s."),
    ("shape", "200 predictions for 200 sample rows."),
    ("no_missing", "Every prediction is a number."),
    ("probabilities", "Probabilities are between 0 and 1 and sum to 1."),
    ("deterministic", "Scoring the same rows twice gives the same results."),
]]


def _metrics(model: int, number: int) -> dict[str, float]:
    auc = 0.70 + ((model * 7 + number * 3) % 20) / 100
    return {"roc_auc": auc, "accuracy": 0.74, "precision": 0.6, "recall": 0.42, "f1": 0.5, "log_loss": 0.49,
            "brier": 0.16, "load_time_s": 0.01, "latency_p50_ms": 8.0, "latency_p95_ms": 9.0 + number % 5,
            "latency_p99_ms": 12.0, "throughput_rows_per_s": 30000.0, "peak_memory_mb": 300.0,
            "model_size_mb": 1.2}


def _gates(metrics: dict[str, float]) -> list[dict]:
    verdicts = []
    for bound, limits in (("min", POLICY["gates"]["min"]), ("max", POLICY["gates"]["max"])):
        for metric, threshold in limits.items():
            value = metrics[metric]
            passed = value >= threshold if bound == "min" else value <= threshold
            verdicts.append({"metric": metric, "bound": bound, "threshold": threshold, "value": value,
                             "passed": passed, "reason": f"{metric} is {value:.3f} (limit {threshold})."})
    return verdicts


def _stage(registry: Registry, name: str, number: int, stage: str, *, passed: bool, messages: list[str],
           evidence: dict) -> None:
    run_id = registry.start_stage(name, number, stage)
    registry.finish_stage(run_id, status="passed" if passed else "failed", messages=messages, evidence=evidence)


def _people(app: App) -> tuple[User, User, dict[str, User]]:
    add = app.accounts.add_user
    scientist = add("bench-ds", "bench-ds-password", ["data_scientist"], actor=operator())
    admin = add("bench-admin", "bench-admin-password", ["admin"], actor=operator())
    reviewers = {role: add(name, f"{name}-password", [role], actor=operator()) for role, name in REVIEWERS.items()}
    return scientist, admin, reviewers


def seed(app: App) -> None:
    """200 models × 25 versions: one in five fails a gate, every fifth validated version is
    signed off and goes to production (the previous one retires)."""
    registry = app.registry
    scientist, admin, reviewers = _people(app)
    for m in range(MODELS):
        name = f"model-{m:03d}"
        production = None
        for _ in range(VERSIONS):
            number = registry.register_version(
                ModelInfo(name=name, title=f"Bench model {m}", description="A model of the page bench.",
                          owner=f"team-{m % 9}", risk_tier=("low", "medium", "high")[m % 3], task="classification"),
                author=scientist, declared_policy=POLICY, git_commit=f"{m:040x}", spec_path="greenlight.toml",
                spec_hash=f"sha256:{m:064x}", factory="model:build").number
            registry.record_build(name, number, actor="bench", data_fingerprint=f"sha256:{number:064x}",
                                  estimator="Pipeline(ColumnTransformer → LogisticRegression)")
            _stage(registry, name, number, "build", passed=True, messages=["Trained in 0.1 s."],
                   evidence={"estimator": "LogisticRegression", "fit_seconds": 0.1})
            registry.transition(name, number, State.BUILT, actor="bench")
            blob = app.artifacts.put_bytes(f"bench model {name} {number}".encode())
            registry.add_artifact(name, number, kind="model", uri=blob.uri, sha256=blob.sha256,
                                  size_bytes=blob.size_bytes, actor="bench")
            _stage(registry, name, number, "smoke_checks", passed=True, messages=[], evidence={"checks": CHECKS})
            registry.transition(name, number, State.CHECKED, actor="bench")
            _stage(registry, name, number, "reports", passed=True, messages=["Fairness and explainability reports written."],
                   evidence={})
            registry.transition(name, number, State.REPORTED, actor="bench")
            metrics = _metrics(m, number)
            if number % 5 == 3:
                metrics["roc_auc"] = 0.70
            gates = _gates(metrics)
            passed = all(g["passed"] for g in gates)
            registry.record_metrics(name, number, actor="bench", metrics=metrics)
            _stage(registry, name, number, "test_validation", passed=passed, messages=[g["reason"] for g in gates],
                   evidence={"metrics": {k: v for k, v in metrics.items() if k in ("roc_auc", "recall")},
                             "compute": {"latency_p95_ms": metrics["latency_p95_ms"]}, "gates": gates,
                             "champion": None, "test_rows": 300})
            if not passed:
                registry.transition(name, number, State.FAILED, actor="bench",
                                    reason="test_validation: Failed the policy gate: ROC AUC is below the minimum.")
                continue
            registry.transition(name, number, State.VALIDATED, actor="bench")
            status = app.signoffs.request(name, number, actor="bench")
            if number % 5 == 0:
                for role in status.required_roles:
                    status = app.signoffs.decide(name, number, reviewer=reviewers[role], role=role, decision="approve",
                                                 comment="", evidence=status.evidence)
                registry.transition(name, number, State.PRODUCTION, actor=admin,
                                    override_reason="bench data: no canary in the page bench")
                registry.move_alias(name, "production", number, actor=admin, reason="bench")
                if production is not None:
                    registry.transition(name, production, State.RETIRED, actor=admin, reason="replaced")
                    registry.move_alias(name, "previous", production, actor=admin, reason="bench")
                production = number


def time_page(at: AppTest, *, cold: bool) -> list[float]:
    times = []
    for i in range(WARMUP + REPEATS):
        if cold:
            st.cache_data.clear()
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise SystemExit(f"the page raised: {at.exception[0].value}")
        if i >= WARMUP:
            times.append(elapsed)
    return times


def report(label: str, times: list[float]) -> bool:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
    ok = median <= TARGET_S
    print(f"{label:<28} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
          f"{median / TARGET_S:5.2f}× the {TARGET_S:.1f} s target   {'ok' if ok else 'MISSED'}")
    return ok


def _quiet_streamlit() -> None:
    # AppTest runs outside a server, and Streamlit warns about it on every run. (A filter,
    # because Streamlit resets its loggers' levels whenever it reads its config.)
    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.cache_data_api"):
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the seeded registry and print where it is")
    args = parser.parse_args()
    _quiet_streamlit()
    with temporary_home("greenlight-pages-bench-", keep=args.keep) as home:
        app = App.open(Settings.from_env())
        started = time.perf_counter()
        seed(app)
        # The pages need someone signed in; a viewer sees everything the bench renders.
        app.accounts.add_user("bench-viewer", "bench-viewer-password", ["viewer"], actor=operator())
        summaries = app.registry.list_models()
        app.close()
        assert len(summaries) == MODELS and all(s.latest_version == VERSIONS for s in summaries)
        print(f"seeded {MODELS} models × {VERSIONS} versions in {time.perf_counter() - started:.0f} s ({home})")

        results = []
        overview = AppTest.from_file(str(ENTRY), default_timeout=60)
        model = AppTest.from_file(str(ENTRY), default_timeout=60)
        for at in (overview, model):
            at.session_state[SESSION_KEY] = "bench-viewer"
        model.run()
        model.query_params["model"] = "model-123"
        model.switch_page("../pages/model.py")
        for cold in (False, True):
            kind = "cold" if cold else "warm"
            results.append(report(f"Overview ({kind})", time_page(overview, cold=cold)))
            results.append(report(f"Model page ({kind})", time_page(model, cold=cold)))
        assert any("Bench model 123" in t.value for t in model.title), "the Model page did not show model-123"
        assert any("Model portfolio" in t.value for t in overview.title), "the Overview did not render"
        return 0 if all(results) else 1

if __name__ == "__main__":
    sys.exit(main())
