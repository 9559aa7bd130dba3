"""The scoring gateway's HTTP interface (FastAPI): what client applications call.

``POST /v1/models/{name}/predict``, ``POST /v1/models/{name}/feedback``,
``GET /v1/models/{name}``, ``GET /healthz``, ``GET /metrics``; the OpenAPI document at
``/openapi.json`` and its pages at ``/docs``.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from backend.deployment.gateway import MAX_ROWS, Gateway
from backend.deployment.inputs import InvalidInput
from backend.deployment.slots import SlotUnavailable
from backend.errors import (
    Conflict,
    DatabaseError,
    GreenlightError,
    InvalidData,
    NotFound,
    PermissionDenied,
)

__all__ = ["create_api"]

#: Requests with more rows than this are scored in a worker thread, so the event loop keeps answering.
INLINE_ROWS = 64

Row = dict[str, Any]
Authorization = Annotated[str | None, Header(description="'Bearer <token>' of a client application.")]


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"rows": [{"income": 52.5, "region": "north"}], "routing_key": "customer-1042"}]})

    rows: list[Row] = Field(min_length=1, max_length=MAX_ROWS,
                            description="One object per case, with every input feature of the model by name.")
    routing_key: str | None = Field(None, max_length=200, description="A stable id (a customer, an account) that "
                                    "keeps its requests on one slot; the request id is used when absent.")
    slot: Literal["test"] | None = Field(None, description="'test' scores with the test environment's version "
                                         "instead of routing to production or the canary.")
    simulated: bool = Field(False, description="Traffic sent by `greenlight simulate`, marked as such in the log.")
    timestamp: datetime | None = Field(None, description="When the simulated request happened; only simulated "
                                       "traffic may carry one.")


class RowResult(BaseModel):
    request_id: str = Field(description="This row's id in the prediction log; feedback refers to it.")
    score: float | None = Field(description="Probability of the positive outcome, or the predicted value.")
    decision: str | None = Field(description="The outcome decided at the version's threshold (classification).")
    error: str | None = Field(None, description="Why the model could not score this row.")


class PredictResponse(BaseModel):
    request_id: str
    model: str
    version: int = Field(description="The model version that served the request.")
    slot: Literal["test", "canary", "production"]
    predictions: list[RowResult]


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=200)
    outcome: str | int | float | bool = Field(description="What really happened: the label, or the true value.")
    timestamp: datetime | None = Field(None, description="When this simulated outcome arrived (simulated only); "
                                       "the request's timestamp otherwise.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcomes: list[Outcome] = Field(min_length=1, max_length=10_000)
    simulated: bool = False
    timestamp: datetime | None = Field(None, description="When the simulated outcome arrived; simulated only.")


class FeedbackResponse(BaseModel):
    accepted: int


class ModelServing(BaseModel):
    model: str
    production: int | None = Field(description="The version serving live traffic.")
    canary: int | None = Field(description="The version trying a share of live traffic, if any.")
    canary_percent: float = Field(description="The canary's share of live traffic, in percent.")
    test: int | None = Field(description="The version in the test environment.")
    previous: int | None = Field(description="The last production version, kept for rollback.")
    changed_at: datetime | None
    problems: list[str] = Field(description="Versions this gateway could not load, and why.")


class Health(BaseModel):
    status: Literal["ok"]
    models: int
    slots_age_seconds: float | None = Field(description="Seconds since the slots were last read from the database.")
    slots_error: str | None
    log_rows_pending: int
    log_write_failures: int


class ErrorBody(BaseModel):
    detail: str
    code: str


class BadRequestBody(BaseModel):
    detail: str


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    detail: list[FieldProblem]


_STATUS = [(PermissionDenied, 401), (NotFound, 404), (Conflict, 409), (InvalidData, 422), (SlotUnavailable, 503),
           (DatabaseError, 503)]
_ERRORS = {400: {"model": BadRequestBody, "description": "The body is not JSON."},
           401: {"model": ErrorBody, "description": "No valid client token (when the gateway requires one)."},
           404: {"model": ErrorBody, "description": "No model of that name."},
           422: {"model": ValidationErrorBody, "description": "A row lacks a feature or has one of the wrong type; "
                                                              "each problem names its row and feature."},
           503: {"model": ErrorBody, "description": "The slot's version could not be loaded here, or the database "
                                                    "cannot be reached."}}


def _status_of(exc: GreenlightError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def _error_response(exc: GreenlightError) -> JSONResponse:
    status = _status_of(exc)
    if isinstance(exc, InvalidInput):
        return JSONResponse({"detail": [{"loc": ["body", "rows", p.row, p.feature], "msg": f"{p.feature} {p.message}",
                                         "type": p.kind} for p in exc.problems]}, status_code=422)
    if status == 422:
        return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.message, "type": exc.code}]}, status_code=422)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=status, headers=headers)


def create_api(gateway: Gateway, *, manage_lifecycle: bool = True) -> FastAPI:
    """The FastAPI application around ``gateway`` (started and stopped with the app's lifespan)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if manage_lifecycle:
            await run_in_threadpool(gateway.start)
        try:
            yield
        finally:
            if manage_lifecycle:
                await run_in_threadpool(gateway.stop)

    api = FastAPI(title="Greenlight scoring gateway", version="1",
                  description="Scores cases with the model version each slot serves (production, a canary's share, "
                              "the test environment), and logs every prediction and outcome for monitoring.",
                  lifespan=lifespan)

    @api.exception_handler(GreenlightError)
    async def _greenlight_error(_request: Request, exc: GreenlightError) -> JSONResponse:
        if _status_of(exc) != 401:
            gateway.metrics.refused.labels(str(_status_of(exc))).inc()
        return _error_response(exc)

    @api.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        gateway.metrics.refused.labels("422").inc()
        problems = [{"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                     "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": problems}, status_code=422)

    async def _client(authorization: str | None) -> str | None:
        if authorization is None and not gateway.require_token:
            return None
        return await run_in_threadpool(gateway.client_for, authorization)

    @api.post("/v1/models/{name}/predict", response_model=PredictResponse, tags=["scoring"],
              responses={**_ERRORS, 409: {"model": ErrorBody, "description": "Nothing in production (or in the "
                                                                               "test slot) for this model."}})
    async def predict(name: str, body: PredictRequest, authorization: Authorization = None) -> dict[str, Any]:
        """Score rows with the version the routing key reaches; every row is logged."""
        started = time.perf_counter()
        client = await _client(authorization)
        kwargs = {"routing_key": body.routing_key, "slot": body.slot, "client": client, "simulated": body.simulated,
                  "timestamp": body.timestamp, "started": started}
        if len(body.rows) <= INLINE_ROWS:
            result = gateway.predict(name, body.rows, **kwargs)
        else:
            result = await run_in_threadpool(lambda: gateway.predict(name, body.rows, **kwargs))
        return {"request_id": result.request_id, "model": result.model, "version": result.version,
                "slot": result.slot, "predictions": [{"request_id": r.request_id, "score": r.score,
                                                      "decision": r.decision, "error": r.error} for r in result.rows]}

    @api.post("/v1/models/{name}/feedback", response_model=FeedbackResponse, tags=["scoring"], responses=_ERRORS)
    async def feedback(name: str, body: FeedbackRequest, authorization: Authorization = None) -> dict[str, int]:
        """Record what really happened for earlier predictions, by their request ids."""
        await _client(authorization)
        accepted = gateway.feedback(name, [(o.request_id, o.outcome, o.timestamp) for o in body.outcomes],
                                    simulated=body.simulated, timestamp=body.timestamp)
        return {"accepted": accepted}

    @api.get("/v1/models/{name}", response_model=ModelServing, tags=["scoring"], responses=_ERRORS)
    async def model_serving(name: str, authorization: Authorization = None) -> dict[str, Any]:
        """What serves the model now: production, the canary and its share, the test environment."""
        await _client(authorization)
        return gateway.describe(name)

    @api.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> dict[str, Any]:
        """Whether the gateway runs, and how fresh its view of the slots is."""
        return gateway.health()

    @api.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format."}})
    async def metrics() -> Response:
        """Requests, rows, latency, slots and the prediction log, for Prometheus."""
        return Response(gateway.render_metrics(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return api
