"""The prediction log's files: partitioned by model and day, written whole, read back typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow.dataset as ds

from backend.registry.prediction_log import PredictionLog, input_column

INPUTS = {"income": "number", "region": "category"}


def _row(i: int, ts: datetime, **extra):
    return {"request_id": f"r{i}", "version": 1, "slot": "production", "ts": ts, "latency_ms": 0.8,
            "routing_key": f"k{i}", "client": None, "simulated": False, "score": 0.25, "decision": "no", "error": None,
            input_column("income"): 50.0 + i, input_column("region"): None if i % 2 else "north", **extra}


def test_a_batch_over_two_days_becomes_two_files_in_their_partitions(tmp_path):
    log = PredictionLog(str(tmp_path))
    day = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    written = log.write_predictions("credit-risk", [_row(0, day), _row(1, day + timedelta(minutes=2))], INPUTS)
    assert [(f.day, f.rows) for f in written] == [(date(2026, 11, 30), 1), (date(2026, 12, 1), 1)]
    assert "model=credit-risk/date=2026-12-01/part-" in written[1].path
    assert len(log.files("predictions", "credit-risk", start=date(2026, 12, 1))) == 1
    table = log.read("predictions", "credit-risk")
    assert table.column("request_id").to_pylist() == ["r0", "r1"]
    assert table.column(input_column("region")).to_pylist() == ["north", None]
    assert log.models() == ["credit-risk"]
    # Hive partitions: any Parquet engine recovers model and date from the path.
    dataset = ds.dataset(str(tmp_path / "prediction-log" / "predictions"), format="parquet", partitioning="hive")
    assert sorted(map(str, dataset.to_table(columns=["model", "date"]).column("date").to_pylist())) == [
        "2026-11-30", "2026-12-01"]


def test_feedback_is_logged_beside_the_predictions(tmp_path):
    log = PredictionLog(str(tmp_path))
    log.write_feedback("credit-risk", [{"request_id": "r0", "ts": datetime.now(UTC), "outcome": "bad",
                                        "simulated": True}])
    assert log.read("feedback", "credit-risk").column("outcome").to_pylist() == ["bad"]
    assert log.read("feedback", "other-model").num_rows == 0
