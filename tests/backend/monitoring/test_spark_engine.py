"""The same aggregations on Spark give the same figures as on DuckDB (a local Spark session)."""

from __future__ import annotations

import shutil

import pytest

from backend.monitoring import DuckDBEngine
from backend.monitoring.aggregations import input_aggregates, outcome_aggregates, versions_by_day
from backend.monitoring.job import ensure_reference, plan_for
from backend.monitoring.store import MonitoringStore
from tests.backend.monitoring.conftest import IMPORTANCE, SCHEMA, day, population
from tests.serving_factories import log_predictions, monitored_version

pyspark = pytest.importorskip("pyspark", reason="the optional extra 'spark' (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 on the PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def spark_engine():
    from backend.monitoring import SparkEngine

    engine = SparkEngine()
    yield engine
    engine.close()


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _close(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path


def test_duckdb_and_spark_give_the_same_figures(sqlite_app, tmp_path, spark_engine):
    from backend.registry.prediction_log import PredictionLog

    app = sqlite_app
    X, y, s = population(3000, 0)
    version = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE,
                                sensitive=["sex"])
    log = PredictionLog(str(app.settings.artifacts_dir))
    for d in range(2):
        Xp, yp, sp = population(1500, 5 + d, income_shift=0.5 * d, missing_income=0.05)
        Xp.loc[Xp.index[:20], "region"] = "unheard-of"
        log_predictions(log, "watched", version, Xp, sp, day(d), schema=SCHEMA, outcomes=yp, outcome_day=day(2))
    files = log.files("predictions", "watched")
    by_day = {day(d): log.files("predictions", "watched", start=day(d), end=day(d)) for d in range(2)}
    feedback = log.files("feedback", "watched")
    plan = plan_for(ensure_reference(app, MonitoringStore(app.db), "watched", version)[1])
    duck = DuckDBEngine()
    try:
        for run in (lambda e: versions_by_day(e, by_day),
                    lambda e: input_aggregates(e, by_day, plan),
                    lambda e: input_aggregates(e, by_day, plan, rows={d: 1500 for d in by_day}),  # days together
                    lambda e: outcome_aggregates(e, files, feedback, plan)):
            expected, got = run(duck), run(spark_engine)
            if isinstance(expected, list):
                expected = sorted(expected, key=lambda r: (r["day"], r["version"]))
                got = sorted(got, key=lambda r: (r["day"], r["version"]))
            _close(expected, got)
    finally:
        duck.close()
    assert input_aggregates(DuckDBEngine(), by_day, plan)[day(1)]["features"]["region"][str(-2)] == 20
