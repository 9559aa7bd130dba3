"""The prediction log's writer: batches off the request path, flushed on stop, retried whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.deployment.logbook import LogWriter
from backend.registry.prediction_log import PredictionLog


def _row(i: int, ts: datetime) -> dict:
    return {"request_id": f"r{i}", "version": 1, "slot": "production", "ts": ts, "latency_ms": 0.5,
            "routing_key": f"k{i}", "client": None, "simulated": False, "score": 0.25, "decision": "no",
            "error": None, "input:x": float(i)}


def test_stopping_writes_the_waiting_batch_one_file_per_day(tmp_path):
    log = PredictionLog(tmp_path)
    writer = LogWriter(log, flush_seconds=3600)
    writer.start()
    today = datetime.now(UTC)
    writer.add_predictions("m", {"x": "number"}, [_row(i, today - timedelta(days=i % 2)) for i in range(10)])
    writer.add_feedback("m", [{"request_id": "r1", "ts": today, "outcome": "yes", "simulated": False}])
    assert log.read("predictions", "m").num_rows == 0  # nothing written on the request path
    writer.stop()
    assert sorted(log.read("predictions", "m").column("request_id").to_pylist()) == sorted(f"r{i}" for i in range(10))
    assert len(log.files("predictions", "m")) == 2 and log.read("feedback", "m").num_rows == 1
    assert writer.pending == 0 and writer.written == {"predictions": 10, "feedback": 1}


def test_a_batch_that_cannot_be_written_is_kept_and_written_once(tmp_path, monkeypatch):
    log = PredictionLog(tmp_path)
    writer = LogWriter(log)
    real = log.write_predictions
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the store is down")
        return real(*args, **kwargs)

    monkeypatch.setattr(log, "write_predictions", flaky)
    writer.add_predictions("m", {"x": "number"}, [_row(i, datetime.now(UTC)) for i in range(3)])
    assert writer.flush() == 0 and writer.failures == 1 and writer.pending == 3
    assert writer.flush() == 3 and writer.pending == 0
    assert sorted(log.read("predictions", "m").column("request_id").to_pylist()) == ["r0", "r1", "r2"]
