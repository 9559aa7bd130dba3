"""Simulated traffic: rows the model's data held back, sent through the real gateway.

``simulate_traffic`` takes the test set of the version in production (the rows it was never
trained on), sends them one per request (or in batches) through the gateway's HTTP routing and
logging, with timestamps spread over the past days and marked simulated, then sends each row's
true outcome as feedback, dated a delay after its prediction (outcomes not due yet are held
back, as in life). With a :class:`~backend.deployment.shift.GradualShift`, the rows and their
outcomes drift over those days, so monitoring has a degradation to find. The demo and the canary judge's tests run on it; the portal marks it as simulated.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backend.deployment.client import GatewayClient
from backend.deployment.gateway import MAX_ROWS
from backend.deployment.server import local_gateway
from backend.deployment.shift import GradualShift
from backend.errors import Conflict, GreenlightError, InvalidData
from backend.pipeline.data import plain_frame, read_table
from backend.pipeline.spec import load_spec

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["SimulationResult", "simulate_traffic", "held_back_rows"]

CLIENTS = 4
FEEDBACK_BATCH = 1000


@dataclass
class SimulationResult:
    model: str
    version: int                 # whose held-back rows were sent
    requests: int
    days: float
    gateway: str
    rows: int = 0                # rows sent (requests × rows per request)
    by_slot: dict[str, int] = field(default_factory=dict)
    by_version: dict[int, int] = field(default_factory=dict)
    errors: int = 0              # rows the model could not score
    outcomes_sent: int = 0
    outcomes_pending: int = 0    # not due yet: their delay reaches past now
    first_at: datetime | None = None
    last_at: datetime | None = None


def held_back_rows(app: App, model: str, number: int) -> tuple[pd.DataFrame, pd.Series]:
    """The test rows of ``model`` version ``number`` (features) and their true outcomes, as text."""
    version = app.registry.get_version(model, number)
    if not version.spec_path:
        raise InvalidData(f"{model} version {number} records no spec file, so its held-back rows are unknown.")
    try:
        spec = load_spec(version.spec_path)
        frame = plain_frame(read_table(spec.data.test, "test data"))
    except GreenlightError as exc:
        raise InvalidData(f"The held-back rows of {model} version {number} cannot be read: {exc.message}") from None
    target = spec.data.target
    if target not in frame.columns:
        raise InvalidData(f"The test data of {model} version {number} has no column '{target}'.")
    outcomes = frame[target].astype(str).str.strip()
    features = frame.drop(columns=[target, *[c for c in spec.data.drop if c in frame.columns]])
    return features, outcomes


def _records(features: pd.DataFrame) -> list[dict[str, Any]]:
    records = features.to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and np.isnan(value):
                record[key] = None
            elif isinstance(value, (pd.Timestamp, date)):
                record[key] = value.isoformat()  # the gateway reads an ISO date as the model's date column
            elif isinstance(value, np.generic):
                record[key] = value.item()
    return records


@contextmanager
def _gateway(app: App, url: str | None) -> Iterator[str]:
    url = url or app.settings.gateway_url
    if url:
        yield url
    else:
        with local_gateway(app.settings) as started:
            yield started


def simulate_traffic(app: App, model: str, *, requests: int, days: float = 7.0, outcome_delay_hours: float = 24.0,
                     gateway_url: str | None = None, token: str | None = None, seed: int = 0,
                     outcome_wait_seconds: float = 0.0, rows_per_request: int = 1, shift: GradualShift | None = None,
                     progress: Callable[[str], None] | None = None) -> SimulationResult:
    """Send ``requests`` simulated requests to ``model`` through a gateway, then their outcomes.

    Parameters
    ----------
    app : App
    model : str
    requests : int
        How many requests.
    days : float
        The requests' timestamps are spread evenly over the past ``days`` (0: now).
    outcome_delay_hours : float
        Each true outcome arrives this long after its prediction; outcomes due after now are not sent.
    gateway_url : str, optional
        A running gateway; default ``GREENLIGHT_GATEWAY_URL``, else one started on loopback for the run.
    token : str, optional
        A client application's token, for a gateway that requires one.
    seed : int
        Which rows are drawn, and in which order.
    outcome_wait_seconds : float
        Real seconds to wait between the last prediction and the outcomes.
    rows_per_request : int
        Rows in each request (a client's batch, one routing key and one timestamp), at most the
        gateway's limit. Many days of traffic go faster in batches than one row at a time.
    shift : GradualShift, optional
        A gradual change of the rows and their outcomes over the past days (see
        :mod:`backend.deployment.shift`); by default the held-back rows are sent as they are.
    progress : callable, optional
        Called with a line of text now and then.

    Returns
    -------
    SimulationResult
    """
    say = progress or (lambda _line: None)
    if not 1 <= rows_per_request <= MAX_ROWS:
        raise InvalidData(f"A simulated request holds 1 to {MAX_ROWS} rows, not {rows_per_request}.")
    state = app.registry.serving_state(model)
    number = state.production
    if number is None:
        raise Conflict(f"{model} has no version in production, so there is no traffic to simulate.",
                       code="nothing_in_production")
    features, outcomes = held_back_rows(app, model, number)
    if shift is not None:
        shift.check(features, outcomes)
    rng = np.random.default_rng(seed)
    total = requests * rows_per_request
    picks = rng.integers(0, len(features), size=total)
    now = datetime.now(UTC)
    span = timedelta(days=days)
    stamps = [now - span + span * (i + rng.random()) / requests for i in range(requests)] if days > 0 else \
        [None] * requests
    if shift is None:
        records = _records(features)
        rows = [records[int(row)] for row in picks]
        truths = outcomes.to_numpy(dtype=object)[picks]
    else:
        # Its own generator: the rows drawn without a shift stay those of the same seed before.
        shifted = np.random.default_rng([seed, 1])
        moved = np.repeat([shift.progress(stamp, now) for stamp in stamps], rows_per_request)
        picks = shift.draw(features, moved, shifted)
        drawn = shift.apply(features.iloc[picks], moved, shifted)
        rows = _records(drawn)
        truths = shift.outcomes(drawn, outcomes.iloc[picks], moved, shifted)
    answers: list[dict[str, Any] | None] = [None] * requests
    failures: list[str] = []

    def batch(i: int) -> range:
        return range(i * rows_per_request, (i + 1) * rows_per_request)

    with _gateway(app, gateway_url) as url:
        say(f"sending {requests:,} simulated requests for {model} to {url}, spread over {days:g} days"
            + (f", {rows_per_request:,} rows each" if rows_per_request > 1 else "")
            + (", with a gradual shift" if shift else ""))

        def send(indices: range) -> None:
            with GatewayClient(url, token=token) as client:
                for i in indices:
                    # A held-back row stands for one customer; a shifted row is a new applicant made
                    # from it, so the canary's share draws from the same drifting population.
                    key = (f"batch-{seed}-{i}" if rows_per_request > 1 else f"applicant-{seed}-{i}" if shift
                           else f"customer-{int(picks[i])}")
                    try:
                        answers[i] = client.predict(model, [rows[j] for j in batch(i)], routing_key=key,
                                                    simulated=True, timestamp=stamps[i])
                    except GreenlightError as exc:
                        failures.append(exc.message)

        threads = [threading.Thread(target=send, args=(range(k, requests, CLIENTS),)) for k in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise Conflict(f"{len(failures)} of {requests:,} simulated requests failed; the first: {failures[0]}",
                           code="simulation_failed")
        if outcome_wait_seconds:
            time.sleep(outcome_wait_seconds)
        delay = timedelta(hours=outcome_delay_hours)
        due, pending = [], 0
        arrival_now = datetime.now(UTC)
        for i, answer in enumerate(answers):
            arrives = (stamps[i] or arrival_now) + delay
            if arrives > arrival_now:
                pending += rows_per_request
                continue
            for j, scored in zip(batch(i), answer["predictions"], strict=True):  # type: ignore[index]
                due.append((scored["request_id"], truths[j], arrives))
        with GatewayClient(url, token=token) as client:
            for start in range(0, len(due), FEEDBACK_BATCH):
                client.feedback(model, due[start:start + FEEDBACK_BATCH], simulated=True)
        say(f"sent {len(due):,} true outcomes; {pending:,} are not due yet")

    served = [a for a in answers if a is not None]
    dated = [s for s in stamps if s is not None]
    return SimulationResult(
        model=model, version=number, requests=requests, days=days, gateway=url, rows=total,
        by_slot=dict(Counter(a["slot"] for a in served)), by_version=dict(Counter(a["version"] for a in served)),
        errors=sum(p["error"] is not None for a in served for p in a["predictions"]),
        outcomes_sent=len(due), outcomes_pending=pending,
        first_at=min(dated) if dated else now, last_at=max(dated) if dated else now)
