"""How fast the registry answers on SQLite, against MLflow 3.17's registry.

Seeds a temporary database with 1,000 models (one of them with 10,000 versions, one with 100,
the others with 1-5 and a production alias on every third), then times the public
``Registry`` methods the portal calls. The seeding is a bulk insert: this measures the
queries, not the writes that produced the history.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/registry_bench.py`` (``--explain`` also prints
SQLite's query plans). Exits 1 when a target is missed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import timedelta  # noqa: E402

from _workspace import temporary_app  # noqa: E402
from sqlalchemy import insert, text, update  # noqa: E402

from backend.app import App  # noqa: E402
from backend.db.tables import AliasRow, AuditHeadRow, AuditRow, ModelRow, VersionRow  # noqa: E402
from backend.db.types import utcnow  # noqa: E402
from backend.registry.states import State  # noqa: E402

MODELS = 1_000
BIG, BIG_VERSIONS = "big-model", 10_000
SMALL, SMALL_VERSIONS = "small-model", 100
WARMUP, REPEATS = 5, 50
#: a later page's (first page's) cost may exceed the small model's by this much and still count as flat
FLAT_LIMIT = 1.5

# MLflow 3.17 on the same kind of machine (from the issue), in milliseconds.
MLFLOW_ALL_MODELS_MS = 254.0
MLFLOW_ALL_VERSIONS_MS = 521.0
MLFLOW_MOVE_ALIAS_MS = 258.0

# What a version row carries after the pipeline has run (so decoding costs what it will).
COLUMNS = ["age", "workclass", "education", "education-num", "marital-status", "occupation",
           "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country"]
INPUT_SCHEMA = {"columns": [{"name": c, "kind": "number" if i % 3 == 0 else "category"} for i, c in enumerate(COLUMNS)],
                "target": "income", "positive_label": ">50K", "sensitive_features": ["sex", "race"]}
POLICY = {"gates": {"min": {"roc_auc": 0.85}, "max": {"latency_p95_ms": 50.0, "model_size_mb": 100.0}},
          "signoff": {"roles": ["business_owner", "risk"]}, "canary": {"traffic_percent": 10, "min_requests": 500}}
PARAMS = {"model__max_iter": 200, "model__learning_rate": 0.1, "model__random_state": 0}
AUDIT_ACTIONS = ("version.registered", "version.state", "version.state", "artifact.stored")
STATES = ["validated", "failed", "checked", "built", "awaiting_signoff", "retired"]


@dataclass
class Timing:
    operation: str
    median_ms: float
    p95_ms: float
    target_ms: float | None = None
    mlflow_ms: float | None = None

    @property
    def passed(self) -> bool:
        return self.target_ms is None or self.median_ms <= self.target_ms


def measure(operation: str, call: Callable[[], object], *, target_ms: float | None = None,
            mlflow_ms: float | None = None) -> Timing:
    """Median and p95 of ``REPEATS`` calls, after ``WARMUP`` untimed ones."""
    for _ in range(WARMUP):
        call()
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
    return Timing(operation, statistics.median(times), p95, target_ms, mlflow_ms)


def _version(model_id: int, number: int, version_id: int, at, *, state: str) -> dict:
    return {"id": version_id, "model_id": model_id, "number": number, "state": state, "author": "bench",
            "created_at": at, "updated_at": at, "git_commit": f"{version_id:040x}", "spec_path": "greenlight.toml",
            "spec_hash": f"sha256:{version_id:064x}", "data_fingerprint": f"sha256:{model_id:064x}",
            "estimator": "HistGradientBoostingClassifier", "params": PARAMS,
            "metrics": {"roc_auc": 0.9, "accuracy": 0.87, "latency_p95_ms": 3.1},
            "policy": POLICY, "input_schema": INPUT_SCHEMA,
            "failure_reason": "test_validation: roc_auc 0.81 is below 0.85" if state == "failed" else None}


def _serving_version(app: App, name: str) -> tuple[int, object]:
    """A new version of ``name`` taken to production the guarded way (signed off, stored model)."""
    from tests.factories import admin, person, put_in_production

    number = app.registry.create_version(name, author=person(app, "bench-ds")).number
    blob = app.artifacts.put_bytes(f"bench model {name} {number}".encode())
    app.registry.add_artifact(name, number, kind="model", uri=blob.uri, sha256=blob.sha256,
                              size_bytes=blob.size_bytes, actor="bench")
    for state in (State.BUILT, State.CHECKED, State.REPORTED, State.VALIDATED):
        app.registry.transition(name, number, state, actor="bench")
    put_in_production(app, name, number, reason="bench: a production version to move the alias of")
    return number, admin(app, "ops-admin")


def seed(app: App) -> None:
    """1,000 models with their versions, aliases and audit entries, in one bulk transaction.

    The audit entries only give the log a realistic size (``move_alias`` appends to it); their
    hashes are not a valid chain.
    """
    start = utcnow() - timedelta(days=400)
    names = [BIG, SMALL] + [f"model-{i:04d}" for i in range(MODELS - 2)]
    models, versions, aliases, audit = [], [], [], []
    version_id = 0
    for model_id, name in enumerate(names, start=1):
        count = {BIG: BIG_VERSIONS, SMALL: SMALL_VERSIONS}.get(name, model_id % 5 + 1)
        models.append({"id": model_id, "name": name, "title": f"Model {name}", "description": "Bench model.",
                       "owner": f"team-{model_id % 17}", "risk_tier": ("low", "medium", "high")[model_id % 3],
                       "task": "classification", "created_at": start, "updated_at": start, "latest_version": count})
        production_id = None
        for number in range(1, count + 1):
            version_id += 1
            at = start + timedelta(minutes=number)
            has_production = name in (BIG, SMALL) or model_id % 3 == 0
            if has_production and number == max(1, count - 1):
                state, production_id = "production", version_id
            else:
                state = STATES[(model_id + number) % len(STATES)]
            versions.append(_version(model_id, number, version_id, at, state=state))
            for action in AUDIT_ACTIONS:
                seq = len(audit) + 1
                audit.append({"seq": seq, "at": at, "actor": "bench", "action": action, "model": name,
                              "version": number, "detail": "{}", "prev_hash": f"{seq - 1:064x}", "hash": f"{seq:064x}"})
        if production_id is not None:
            aliases.append({"model_id": model_id, "alias": "production", "version_id": production_id,
                            "updated_at": start})
            if count > 2:
                aliases.append({"model_id": model_id, "alias": "previous", "version_id": production_id - 1,
                                "updated_at": start})
    with app.db.write() as session:
        session.execute(insert(ModelRow.__table__), models)
        session.execute(insert(VersionRow.__table__), versions)
        session.execute(insert(AliasRow.__table__), aliases)
        session.execute(insert(AuditRow.__table__), audit)
        session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1)
                        .values(seq=len(audit), hash=f"{len(audit):064x}"))


def check_answers(app: App) -> None:
    """The bench is only worth something if the answers are right."""
    registry = app.registry
    summaries = registry.list_models()
    assert len(summaries) == MODELS, len(summaries)
    big = next(s for s in summaries if s.name == BIG)
    assert big.latest_version == BIG_VERSIONS and big.production_version == BIG_VERSIONS - 1, big
    page = registry.list_versions(BIG, limit=50)
    assert [v.number for v in page.versions] == list(range(BIG_VERSIONS, BIG_VERSIONS - 50, -1))
    assert page.total == BIG_VERSIONS and page.next_before == BIG_VERSIONS - 49
    assert "production" in page.versions[1].aliases
    deep = registry.list_versions(BIG, limit=50, before=BIG_VERSIONS // 2 + 1)
    assert deep.versions[0].number == BIG_VERSIONS // 2 and len(deep.versions) == 50


def explain(app: App) -> None:
    """SQLite's plan for each statement the timed calls send."""
    statements = {
        "list_models": """
            SELECT m.name, l.state, p.number FROM models m
            LEFT OUTER JOIN versions l ON l.model_id = m.id AND l.number = m.latest_version
            LEFT OUTER JOIN aliases a ON a.model_id = m.id AND a.alias = 'production'
            LEFT OUTER JOIN versions p ON p.id = a.version_id ORDER BY m.name""",
        "list_versions page": "SELECT * FROM versions WHERE model_id = 1 AND number < 5001 ORDER BY number DESC LIMIT 50",
        "list_versions aliases": "SELECT alias, version_id FROM aliases WHERE model_id = 1",
        "move_alias model": "SELECT * FROM models WHERE name = 'big-model'",
        "move_alias version": "SELECT * FROM versions WHERE model_id = 1 AND number = 9999",
        "move_alias alias": "SELECT * FROM aliases WHERE model_id = 1 AND alias = 'production'",
    }
    with app.db.engine.connect() as conn:
        for label, sql in statements.items():
            print(f"-- {label}")
            for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)):
                print(f"   {row[3]}")
    print()


def run(app: App) -> dict[str, Timing]:
    """Every timed call, keyed by (operation, history size)."""
    registry = app.registry
    timings = {"list_models": measure(f"list_models ({MODELS:,} models)", registry.list_models,
                                      target_ms=25, mlflow_ms=MLFLOW_ALL_MODELS_MS)}
    for name, count in ((BIG, BIG_VERSIONS), (SMALL, SMALL_VERSIONS)):
        big = count == BIG_VERSIONS
        timings[f"first page {count}"] = measure(
            f"list_versions, first page of 50 ({count:,} versions)", lambda name=name: registry.list_versions(name),
            target_ms=50 if big else None, mlflow_ms=MLFLOW_ALL_VERSIONS_MS if big else None)
    for name, count in ((BIG, BIG_VERSIONS), (SMALL, SMALL_VERSIONS)):
        big, before = count == BIG_VERSIONS, count // 2 + 1
        timings[f"deeper page {count}"] = measure(
            f"list_versions, 50 before {before:,} ({count:,} versions)",
            lambda name=name, before=before: registry.list_versions(name, limit=50, before=before),
            target_ms=50 if big else None, mlflow_ms=MLFLOW_ALL_VERSIONS_MS if big else None)
    for name, count in ((BIG, BIG_VERSIONS), (SMALL, SMALL_VERSIONS)):
        big = count == BIG_VERSIONS
        number, admin = _serving_version(app, name)

        # Point production at its version again: the whole guarded write (the deployment guard
        # re-hashes the model file and re-reads the sign-offs; the move is audited).
        def move(name=name, number=number, admin=admin):
            registry.move_alias(name, "production", number, actor=admin, reason="bench")

        timings[f"move_alias {count}"] = measure(
            f"move_alias production ({count:,} versions)", move,
            target_ms=10 if big else None, mlflow_ms=MLFLOW_MOVE_ALIAS_MS if big else None)
    return timings


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ratio(ours: float, other: float | None) -> str:
    return "-" if other is None else f"{ours / other:.3f}"


PAIR_LABELS = {"first page": "list_versions, first page", "deeper page": "list_versions, deeper page",
               "move_alias": "move_alias"}


def report(by_key: dict[str, Timing]) -> bool:
    timings = list(by_key.values())
    width = max(len(t.operation) for t in timings)
    header = (f"{'operation':<{width}}  {'median ms':>9}  {'p95 ms':>8}  {'target':>7}  {'MLflow':>7}  "
              f"{'ours/MLflow':>11}  {'ours/target':>11}  result")
    print(header)
    print("-" * len(header))
    ok = True
    for t in timings:
        verdict = "-" if t.target_ms is None else ("ok" if t.passed else "MISSED")
        ok &= t.passed
        print(f"{t.operation:<{width}}  {t.median_ms:>9.2f}  {t.p95_ms:>8.2f}  {_ms(t.target_ms):>7}  "
              f"{_ms(t.mlflow_ms):>7}  {_ratio(t.median_ms, t.mlflow_ms):>11}  "
              f"{_ratio(t.median_ms, t.target_ms):>11}  {verdict}")

    print(f"\nDoes the cost grow with the history? (median at {BIG_VERSIONS:,} versions / at {SMALL_VERSIONS}; "
          f"flat if at most {FLAT_LIMIT})")
    pairs = [(label, by_key[f"{label} {BIG_VERSIONS}"], by_key[f"{label} {SMALL_VERSIONS}"])
             for label in ("first page", "deeper page", "move_alias")]
    for label, big, small in pairs:
        ratio = big.median_ms / small.median_ms
        flat = ratio <= FLAT_LIMIT
        ok &= flat
        print(f"  {PAIR_LABELS[label]:<26} {big.median_ms:7.2f} ms / {small.median_ms:7.2f} ms = {ratio:5.2f}  "
              f"{'ok' if flat else 'GROWS'}")
    print("\nTargets are judged on the median; MLflow's figures list everything (all models, all versions),"
          " ours return what the portal shows (all models, one page of versions).")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", action="store_true", help="print SQLite's query plans too")
    args = parser.parse_args(argv)
    with temporary_app() as (app, _home):
        started = time.perf_counter()
        seed(app)
        print(f"Registry bench: SQLite, seeded {MODELS:,} models and "
              f"{app.registry.count_versions():,} versions (and their audit entries) in {time.perf_counter() - started:.1f} s; "
              f"{REPEATS} timed calls per operation after {WARMUP} warm-up calls.\n")
        check_answers(app)
        if args.explain:
            explain(app)
        ok = report(run(app))
    print("\nregistry bench:", "all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
