"""The scoring gateway's work, apart from HTTP: route, check, score, log.

:class:`Gateway` is what the HTTP layer (:mod:`backend.deployment.http_api`) calls; a test or
a script may call it directly too.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from backend.deployment.inputs import check_rows
from backend.deployment.logbook import LogWriter
from backend.deployment.routing import choose_slot
from backend.deployment.slots import ModelSlots, ServingTable
from backend.deployment.telemetry import GatewayMetrics
from backend.errors import InvalidData, PermissionDenied
from backend.registry.prediction_log import PredictionLog

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["Gateway", "Prediction", "ScoredRow", "MAX_ROWS", "SIMULATED_HISTORY_DAYS"]

#: Rows per request at most (a bigger batch is split by the client).
MAX_ROWS = 1000
#: How far back a simulated request may be dated.
SIMULATED_HISTORY_DAYS = 400
#: How long an accepted client token is trusted before it is checked against the database again.
TOKEN_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class ScoredRow:
    request_id: str
    score: float | None
    decision: str | None
    error: str | None = None


@dataclass(frozen=True)
class Prediction:
    request_id: str
    model: str
    version: int
    slot: str
    rows: list[ScoredRow] = field(default_factory=list)


class RequestIds:
    """Unique request ids: a random prefix per gateway and a counter.

    Unique across gateways and restarts (64 random bits each), and far cheaper than a UUID4,
    which asks the kernel for randomness on every request.
    """

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


def _utc(ts: datetime | None) -> datetime:
    if ts is None:
        return datetime.now(UTC)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _check_timestamp(ts: datetime | None, simulated: bool) -> datetime:
    """Only simulated traffic carries its own time (so a backdated row is always marked simulated)."""
    now = datetime.now(UTC)
    if ts is None:
        return now
    if not simulated:
        raise InvalidData("Only simulated traffic may carry a timestamp; a real request is logged at the time it "
                          "arrives.", code="timestamp_not_allowed")
    try:
        stamped = _utc(ts)
    except (OverflowError, ValueError):
        stamped = None
    if stamped is None or stamped > now + timedelta(minutes=5) or stamped < now - timedelta(days=SIMULATED_HISTORY_DAYS):
        raise InvalidData(f"A simulated timestamp must lie within the last {SIMULATED_HISTORY_DAYS} days, not in the "
                          "future.", code="timestamp_out_of_range")
    return stamped


class Gateway:
    """Serves every model of one Greenlight database.

    Parameters
    ----------
    app : App
    refresh_seconds : float, optional
        How often the slots are re-read (default: the setting, 2 s).
    require_token : bool, optional
        Refuse requests without a client application's bearer token (default: the setting).
    flush_seconds : float
        The longest a prediction-log row waits in memory.
    """

    def __init__(self, app: App, *, refresh_seconds: float | None = None, require_token: bool | None = None,
                 flush_seconds: float = 1.0):
        settings = app.settings
        self.app = app
        self.require_token = settings.gateway_require_token if require_token is None else require_token
        self.table = ServingTable(app, refresh_seconds=refresh_seconds or settings.gateway_refresh_seconds)
        self.writer = LogWriter(PredictionLog(app.artifacts.root, **app.artifacts.storage_options),
                                flush_seconds=flush_seconds)
        self.metrics = GatewayMetrics()
        self._tokens: dict[str, tuple[str, float]] = {}  # SHA-256 of a secret -> (client, checked at)
        self._tokens_lock = threading.Lock()
        self.started_at: float | None = None
        self._ids = RequestIds()

    # -- life ------------------------------------------------------------------------------

    def start(self) -> None:
        self.table.start()
        self.writer.start()
        self.started_at = time.monotonic()

    def stop(self) -> None:
        """Stop reading slots and write every logged row that waits (a graceful shutdown)."""
        self.table.stop()
        self.writer.stop()

    # -- clients ---------------------------------------------------------------------------

    def client_for(self, authorization: str | None) -> str | None:
        """The client application of a ``Bearer`` token; None when no token is sent and none is required."""
        secret = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise PermissionDenied("Send the client application's token as 'Authorization: Bearer <token>'.",
                                       code="token_invalid")
            secret = value.strip()
        if secret is None:
            if self.require_token:
                raise PermissionDenied("This gateway needs a client application's token: send 'Authorization: Bearer "
                                       "<token>' (an admin creates one with `greenlight tokens create --client NAME`).",
                                       code="token_required")
            return None
        key = hashlib.sha256(secret.encode()).hexdigest()
        now = time.monotonic()
        with self._tokens_lock:
            cached = self._tokens.get(key)
        if cached and now - cached[1] < TOKEN_CACHE_SECONDS:
            return cached[0]
        client = self.app.tokens.authenticate_client(secret)
        with self._tokens_lock:
            self._tokens[key] = (client, now)
        return client

    # -- scoring ---------------------------------------------------------------------------

    def route(self, model: str, key: str, *, slot: str | None = None) -> tuple[ModelSlots, str]:
        slots = self.table.slots(model)
        if slot is None:
            state = slots.state
            slot = choose_slot(model, key, state.canary_percent, has_canary=state.canary is not None
                               and state.production is not None)
        return slots, slot

    def predict(self, model: str, rows: list[dict[str, Any]], *, routing_key: str | None = None,
                slot: str | None = None, client: str | None = None, simulated: bool = False,
                timestamp: datetime | None = None, started: float | None = None) -> Prediction:
        """Score ``rows`` with the version the key routes to, and log every row.

        Raises
        ------
        NotFound
            No such model (404).
        Conflict
            Nothing in production (or in the test slot, when asked for it) (409).
        InvalidData
            A row lacks a feature or has one of the wrong type, naming it (422).
        """
        started = time.perf_counter() if started is None else started
        if not rows:
            raise InvalidData("Send at least one row.", code="no_rows")
        if len(rows) > MAX_ROWS:
            raise InvalidData(f"Send at most {MAX_ROWS} rows per request.", code="too_many_rows")
        ts = _check_timestamp(timestamp, simulated)
        request_id = self._ids.next()
        slots, chosen = self.route(model, routing_key or request_id, slot=slot)
        served = slots.version_in(chosen)
        typed = check_rows(rows, served.schema)
        scores, errors = served.score_each(typed)
        ids = [request_id] if len(rows) == 1 else [f"{request_id}-{i}" for i in range(len(rows))]
        scored = [ScoredRow(request_id=rid, score=s, decision=served.decision(s), error=e)
                  for rid, s, e in zip(ids, scores, errors, strict=True)]
        latency_ms = (time.perf_counter() - started) * 1000
        key = routing_key or request_id
        self.writer.add_predictions(model, served.input_types, [
            {"request_id": row.request_id, "version": served.version, "slot": chosen, "ts": ts,
             "latency_ms": latency_ms, "routing_key": key, "client": client, "simulated": simulated,
             "score": row.score, "decision": row.decision, "error": row.error, **typed.log_inputs(i)}
            for i, row in enumerate(scored)])
        version = str(served.version)
        self.metrics.requests.labels(model, chosen, version, "200").inc()
        failed = sum(1 for e in errors if e is not None)
        if failed:
            self.metrics.rows.labels(model, chosen, version, "error").inc(failed)
        self.metrics.rows.labels(model, chosen, version, "scored").inc(len(rows) - failed)
        self.metrics.latency.labels(model, chosen).observe(latency_ms / 1000)
        return Prediction(request_id=request_id, model=model, version=served.version, slot=chosen, rows=scored)

    def feedback(self, model: str, outcomes: list[tuple], *, simulated: bool = False,
                 timestamp: datetime | None = None) -> int:
        """Log true outcomes of ``model``'s predictions; returns how many.

        ``outcomes`` holds ``(request id, outcome)`` pairs, or ``(request id, outcome, timestamp)``
        for simulated outcomes that each arrived at their own time.
        """
        self.table.slots(model)  # 404 for a model that does not exist
        if not outcomes:
            raise InvalidData("Send at least one outcome.", code="no_outcomes")
        ts = _check_timestamp(timestamp, simulated)
        rows = []
        for rid, outcome, *own in outcomes:
            at = _check_timestamp(own[0], simulated) if own and own[0] is not None else ts
            rows.append({"request_id": rid, "ts": at, "outcome": str(outcome), "simulated": simulated})
        self.writer.add_feedback(model, rows)
        self.metrics.feedback.labels(model).inc(len(outcomes))
        return len(outcomes)

    # -- reading ---------------------------------------------------------------------------

    def describe(self, model: str) -> dict[str, Any]:
        """What serves ``model`` now, as this gateway sees it."""
        slots = self.table.slots(model)
        state = slots.state
        return {"model": model, "production": state.production, "canary": state.canary,
                "canary_percent": state.canary_percent if state.canary is not None else 0.0, "test": state.test,
                "previous": state.previous, "changed_at": state.changed_at,
                "problems": [slots.problems[s] for s in sorted(slots.problems)]}

    def health(self) -> dict[str, Any]:
        age = self.table.age_seconds
        return {"status": "ok", "models": len(self.table.models()),
                "slots_age_seconds": round(age, 3) if age is not None else None,
                "slots_error": self.table.last_error, "log_rows_pending": self.writer.pending,
                "log_write_failures": self.writer.failures}

    def render_metrics(self) -> bytes:
        m = self.metrics
        m.serving.clear()
        m.canary_percent.clear()
        for name, slots in self.table.models().items():
            for slot in ("production", "canary", "test"):
                number = getattr(slots.state, slot)
                if number is not None:
                    m.serving.labels(name, slot).set(number)
            m.canary_percent.labels(name).set(slots.state.canary_percent if slots.state.canary is not None else 0)
        m.slots_age.set(self.table.age_seconds or 0)
        m.log_pending.set(self.writer.pending)
        for kind, count in self.writer.written.items():
            m.log_written.labels(kind).set(count)
        m.log_failures.set(self.writer.failures)
        return m.render()
