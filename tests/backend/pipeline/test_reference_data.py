"""After the build, the version's held-out rows are stored for monitoring, and monitoring reads them."""

from __future__ import annotations

import io

import pandas as pd

from backend.monitoring import MonitoringStore, ensure_reference
from backend.pipeline import run_pipeline
from backend.pipeline.data import load_training_data
from backend.pipeline.spec import load_spec
from tests.factories import credit_spec_dir, person


def test_the_pipeline_stores_the_test_rows_and_monitoring_builds_its_reference_from_them(sqlite_app, tmp_path):
    app = sqlite_app
    spec_path = credit_spec_dir(tmp_path)
    result = run_pipeline(app, spec_path, commit="0a1b2c3d", actor=person(app, "ana"))
    assert result.passed, result.reason
    ref = app.registry.get_artifact("credit-risk", result.version, "reference_data")
    stored = pd.read_parquet(io.BytesIO(app.artifacts.read_bytes(ref)))
    spec = load_spec(spec_path)
    data = load_training_data(spec.data, task="classification", folder=spec.folder)
    assert len(stored) == len(data.test.X) == ref.meta["rows"]
    assert list(stored.columns) == [f"input:{c}" for c in data.test.X.columns] + ["outcome"]
    assert stored["outcome"].tolist() == data.test.y.tolist()
    pd.testing.assert_series_equal(stored["input:age"], data.test.X["age"].reset_index(drop=True), check_names=False)
    build = next(s for s in result.stages if s.stage == "build")
    assert build.status == "passed"

    _key, stats = ensure_reference(app, MonitoringStore(app.db), "credit-risk", result.version)
    assert stats["no_reference"] is None and stats["reference_rows"] == len(data.test.X)
    assert set(stats["features"]) == set(data.test.X.columns)
    assert stats["importance"][0]["rank"] == 1 and stats["calibration"]["test_rows"] == len(data.test.X)
    assert stats["baseline"]["metrics"]["roc_auc"]["value"] == app.registry.get_version("credit-risk",
                                                                                         result.version).metrics["roc_auc"]
    assert {"sex", "age", "foreign_worker"} >= set(stats["sensitive"])
