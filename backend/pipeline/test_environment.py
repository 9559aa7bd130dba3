"""The test environment is a real scoring gateway.

Test validation deploys the version to the ``test`` slot of a gateway (the one named by
``GREENLIGHT_GATEWAY_URL``, else one started on loopback for the run), waits until the gateway
serves it, and then, through HTTP as a client would:

* sends the held-out test rows and checks that the gateway's scores equal the pipeline's on
  the same rows: a mismatch fails the stage, since then the model that serves is not the
  model that was measured;
* measures latency (p50, p95, p99 of single-row requests, end to end) and throughput (requests
  per second from a few concurrent clients). These are shown, never gated by default: a busy
  machine must not fail a good model. Each measure has a time budget: 200 requests, or as many
  as fit in 5 seconds once 50 are in, so a slow model costs seconds, not minutes; the evidence
  records how many were sent.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from backend.deployment.client import GatewayClient
from backend.deployment.server import GatewayProcess
from backend.errors import StageFailed
from backend.pipeline.context import RunContext

__all__ = ["ServingTestEnvironment", "test_environment", "SCORE_TOLERANCE"]

#: The gateway's score and the pipeline's may differ by floating-point rounding only.
SCORE_TOLERANCE = 1e-9
#: Rows compared at most (the first ones of the test set), sent this many per request.
COMPARED_ROWS, BATCH_ROWS = 2000, 100
LATENCY_CALLS, MIN_LATENCY_CALLS, LATENCY_BUDGET_S, WARM_UP_CALLS = 200, 50, 5.0, 10
#: Concurrent clients, and the calls each sends: at most THROUGHPUT_CALLS, and no more once
#: THROUGHPUT_BUDGET_S has passed and MIN_THROUGHPUT_CALLS are in.
THROUGHPUT_CLIENTS, THROUGHPUT_CALLS, MIN_THROUGHPUT_CALLS, THROUGHPUT_BUDGET_S = 4, 50, 10, 3.0


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON would carry them: missing values as null."""
    records = frame.to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                record[key] = None
    return records


def _compare(client: GatewayClient, ctx: RunContext, records: list[dict[str, Any]], expected: np.ndarray) -> dict:
    served: list[float] = []
    for start in range(0, len(records), BATCH_ROWS):
        answer = client.predict(ctx.name, records[start:start + BATCH_ROWS], slot="test")
        if answer["version"] != ctx.version:
            raise StageFailed(f"The test environment served version {answer['version']} instead of {ctx.version}.")
        served += [math.nan if p["score"] is None else p["score"] for p in answer["predictions"]]
    got = np.asarray(served, dtype=np.float64)
    gap = np.abs(got - expected)
    wrong = ~((gap <= SCORE_TOLERANCE) | (np.isnan(got) & np.isnan(expected)))
    largest = float(np.nanmax(gap)) if np.isfinite(gap).any() else math.nan
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        raise StageFailed(
            f"The test environment's scores differ from the pipeline's on the same rows: {int(wrong.sum())} of "
            f"{len(got):,} rows differ by more than {SCORE_TOLERANCE:g} (the first is test row {first + 1}: the gateway "
            f"said {got[first]:.6f}, the pipeline {expected[first]:.6f}). The model that serves is not the model "
            "that was measured, so the version stops here.", code="test_environment_mismatch")
    return {"scores_checked_rows": len(got), "max_score_difference": 0.0 if math.isnan(largest) else largest}


def _latency(client: GatewayClient, ctx: RunContext, records: list[dict[str, Any]]) -> dict[str, float]:
    for i in range(WARM_UP_CALLS):
        client.predict(ctx.name, [records[i % len(records)]], slot="test")
    times: list[float] = []
    deadline = time.perf_counter() + LATENCY_BUDGET_S
    for i in range(LATENCY_CALLS):
        if len(times) >= MIN_LATENCY_CALLS and time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        client.predict(ctx.name, [records[i % len(records)]], slot="test")
        times.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    return {"latency_p50_ms": float(p50), "latency_p95_ms": float(p95), "latency_p99_ms": float(p99),
            "latency_calls": len(times)}


def _throughput(url: str, ctx: RunContext, records: list[dict[str, Any]], token: str | None) -> float:
    failures: list[str] = []
    sent = [0] * THROUGHPUT_CLIENTS
    deadline = time.perf_counter() + THROUGHPUT_BUDGET_S

    def send(client_number: int) -> None:
        offset = client_number * THROUGHPUT_CALLS
        with GatewayClient(url, token=token) as client:
            for i in range(THROUGHPUT_CALLS):
                if i >= MIN_THROUGHPUT_CALLS and time.perf_counter() > deadline:
                    break
                try:
                    client.predict(ctx.name, [records[(offset + i) % len(records)]], slot="test")
                except Exception as exc:  # noqa: BLE001  (reported below)
                    failures.append(str(exc))
                sent[client_number] += 1

    threads = [threading.Thread(target=send, args=(i,)) for i in range(THROUGHPUT_CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise StageFailed(f"{len(failures)} requests to the test environment failed: {failures[0]}")
    return sum(sent) / elapsed


class ServingTestEnvironment:
    """A version deployed to a gateway's test slot, for the length of test validation."""

    def __init__(self, ctx: RunContext, *, token: str | None = None):
        self.ctx, self.token = ctx, token
        self.process: GatewayProcess | None = None

    def open(self) -> ServingTestEnvironment:
        """Deploy to the test slot and, with no gateway configured, start one (without waiting for it)."""
        ctx = self.ctx
        ctx.app.registry.deploy_to_test(ctx.name, ctx.version, actor=ctx.actor)
        if not ctx.app.settings.gateway_url:
            ctx.say("test_validation", "starting a scoring gateway on loopback for this run")
            self.process = GatewayProcess(ctx.app.settings, refresh_seconds=0.5).start()
        return self

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()

    def measure(self, scores: np.ndarray) -> dict[str, Any]:
        """Check the gateway's scores against ``scores`` and measure its speed, through HTTP.

        Parameters
        ----------
        scores : numpy.ndarray
            The pipeline's scores of the test rows, in order.

        Returns
        -------
        dict
            The computational measures: ``latency_p50_ms``, ``latency_p95_ms``, ``latency_p99_ms``,
            ``latency_calls`` and ``throughput_requests_per_s``. What was checked and where
            (``scores_checked_rows``, ``max_score_difference``, ``gateway``) goes to
            ``ctx.extra["test_environment"]``, for the stage's evidence.

        Raises
        ------
        StageFailed
            The gateway's scores differ from the pipeline's, or the gateway cannot be reached.
        """
        ctx = self.ctx
        url = self.process.wait() if self.process is not None else ctx.app.settings.gateway_url
        records = _records(ctx.data.test.X.head(COMPARED_ROWS))
        expected = np.asarray(scores, dtype=np.float64)[:len(records)]
        with GatewayClient(url, token=self.token) as client:
            client.wait_for(ctx.name, lambda state: state.get("test") == ctx.version, timeout=120,
                            what=f"version {ctx.version} in the test slot")
            ctx.say("test_validation", f"comparing the gateway's scores with the pipeline's on {len(records):,} "
                                       "test rows")
            checked = _compare(client, ctx, records, expected)
            ctx.say("test_validation", f"measuring latency over up to {LATENCY_CALLS} single-row requests through "
                                       f"HTTP (as many as fit in {LATENCY_BUDGET_S:g} s once {MIN_LATENCY_CALLS} are in)")
            latency = _latency(client, ctx, records)
        throughput = _throughput(url, ctx, records, self.token)
        ctx.extra["test_environment"] = {**checked, "slot": "test", "measured": "HTTP, end to end, as a client sees it",
                                         "gateway": "started on loopback for this run" if self.process else url}
        return {**latency, "throughput_requests_per_s": throughput}


@contextmanager
def test_environment(ctx: RunContext, *, token: str | None = None) -> Iterator[ServingTestEnvironment]:
    """Deploy ``ctx``'s version to a gateway's test slot (starting a gateway if none is configured);
    the gateway started here stops, writing its prediction log, when the block ends."""
    environment = ServingTestEnvironment(ctx, token=token).open()
    try:
        yield environment
    finally:
        environment.close()
