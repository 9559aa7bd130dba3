"""A small HTTP client for the scoring gateway (test validation and the traffic simulator use it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from backend.errors import Conflict, GreenlightError, InvalidData, NotFound

__all__ = ["GatewayClient"]


class GatewayClient:
    """Calls one gateway over HTTP, keeping the connection open.

    Parameters
    ----------
    url : str
        The gateway's address, e.g. ``http://127.0.0.1:8080``.
    token : str, optional
        A client application's token (``greenlight tokens create --client NAME``).
    """

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code == 200:
            return response.json()
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text
        if isinstance(detail, list):
            detail = "; ".join(str(p.get("msg", p)) for p in detail)
        kind = {404: NotFound, 409: Conflict, 422: InvalidData}.get(response.status_code, GreenlightError)
        raise kind(f"The scoring gateway at {self.url} answered {response.status_code}: {detail}",
                   code=f"gateway_{response.status_code}")

    def predict(self, model: str, rows: list[dict[str, Any]], *, routing_key: str | None = None,
                slot: str | None = None, simulated: bool = False, timestamp: datetime | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"rows": rows}
        if routing_key is not None:
            body["routing_key"] = routing_key
        if slot is not None:
            body["slot"] = slot
        if simulated:
            body["simulated"] = True
        if timestamp is not None:
            body["timestamp"] = timestamp.isoformat()
        return self._answer(self.http.post(f"/v1/models/{model}/predict", json=body))

    def feedback(self, model: str, outcomes: list[tuple], *, simulated: bool = False,
                 timestamp: datetime | None = None) -> int:
        """Send ``(request id, outcome)`` pairs, or ``(request id, outcome, timestamp)`` when simulated."""
        body: dict[str, Any] = {"outcomes": []}
        for rid, outcome, *own in outcomes:
            item = {"request_id": rid, "outcome": outcome}
            if own and own[0] is not None:
                item["timestamp"] = own[0].isoformat()
            body["outcomes"].append(item)
        if simulated:
            body["simulated"] = True
        if timestamp is not None:
            body["timestamp"] = timestamp.isoformat()
        return self._answer(self.http.post(f"/v1/models/{model}/feedback", json=body))["accepted"]

    def describe(self, model: str) -> dict[str, Any]:
        return self._answer(self.http.get(f"/v1/models/{model}"))

    def wait_for(self, model: str, condition: Callable[[dict[str, Any]], bool], *, timeout: float = 60.0,
                 what: str = "the change") -> dict[str, Any]:
        """Poll ``GET /v1/models/{model}`` until ``condition(state)``; Conflict after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                state = self.describe(model)
                if condition(state):
                    return state
            except NotFound:
                state = None  # a model registered a moment ago: the gateway reads it within seconds
            if time.monotonic() > deadline:
                raise Conflict(f"The scoring gateway at {self.url} did not serve {what} within {timeout:.0f} s "
                               f"(it shows {state}).", code="gateway_not_following")
            time.sleep(0.1)
