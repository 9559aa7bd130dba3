"""A gateway process for a run: forked by the worker's fork server (its libraries already
imported), or a new interpreter with ``GREENLIGHT_WORKER_START=spawn``; either way it serves,
stops on SIGTERM with its prediction log written, and says why when it cannot start."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from backend.deployment.server import GatewayProcess
from backend.errors import GreenlightError
from backend.pipeline.fresh_process import ForkServer
from backend.registry.prediction_log import PredictionLog
from tests.factories import put_in_production, trained_version

ROW = {"income": 55.0, "tenure": 4, "region": "west"}


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_gateway_process_serves_and_writes_its_log_when_stopped(sqlite_app, monkeypatch, start):
    if start == "spawn":
        monkeypatch.setenv("GREENLIGHT_WORKER_START", "spawn")
    app = sqlite_app
    put_in_production(app, "loan-model", trained_version(app, "loan-model"))
    gateway = GatewayProcess(app.settings, refresh_seconds=0.5).start()
    try:
        if start == "fork":
            assert gateway.forked is not None and gateway.process is None
            assert _parent_of(gateway.forked.pid) == ForkServer.get().process.pid
        else:
            assert gateway.forked is None and _parent_of(gateway.process.pid) == os.getpid()
        url = gateway.wait()
        answer = httpx.post(f"{url}/v1/models/loan-model/predict", json={"rows": [ROW]}, timeout=30)
        assert answer.status_code == 200 and answer.json()["predictions"][0]["score"] is not None
    finally:
        gateway.stop()
    log = PredictionLog(app.artifacts.root).read("predictions", "loan-model", columns=["slot"])
    assert log.column("slot").to_pylist() == ["production"]  # written on SIGTERM


def test_a_gateway_that_cannot_start_says_why(sqlite_app):
    # Nothing listens on port 1: the gateway cannot reach its database.
    broken = replace(sqlite_app.settings, db_url="postgresql+psycopg://nobody@127.0.0.1:1/greenlight")
    gateway = GatewayProcess(broken).start()
    try:
        assert gateway.forked is not None
        with pytest.raises(GreenlightError, match=r"The scoring gateway did not start \(exit code [1-9]\d*\): .+"):
            gateway.wait(timeout=60)
    finally:
        gateway.stop()
