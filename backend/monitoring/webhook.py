"""Alerts to a webhook: each one POSTed as JSON, and kept until the webhook accepts it.

An alert is marked delivered only on a 2xx answer. A webhook that is down, slow or answers
with an error leaves the alert undelivered, with the attempt and the error recorded; the next
run (or the scheduler's next tick) sends it again. Nothing is lost, and nothing is sent twice
once it was accepted.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from backend.domain import MonitoringAlert
from backend.errors import InvalidData

__all__ = ["deliver_alerts", "alert_payload", "WEBHOOK_SEVERITIES", "WEBHOOK_TIMEOUT_S", "check_webhook_url"]

#: Info alerts stay in the portal; these go to the webhook.
WEBHOOK_SEVERITIES = ("warning", "critical")
WEBHOOK_TIMEOUT_S = 10.0


def check_webhook_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise InvalidData(f"The webhook must be an http:// or https:// URL, not {url!r}.")
    return url


def alert_payload(alert: MonitoringAlert) -> dict[str, Any]:
    """The JSON a webhook receives for one alert."""
    return {"id": alert.id, "model": alert.model, "version": alert.version, "kind": alert.kind,
            "severity": alert.severity, "text": alert.sentence, "period": alert.period,
            "start": alert.start.isoformat(), "end": alert.end.isoformat(), "created_at": alert.created_at.isoformat(),
            "retraining": alert.retraining, "detail": {k: v for k, v in alert.detail.items() if k != "retraining"}}


def _post(url: str, payload: dict[str, Any]) -> str | None:
    """None when the webhook accepted it, else why not."""
    body = json.dumps(payload, sort_keys=True).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "greenlight-monitoring"})
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:  # noqa: S310 (checked scheme)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def deliver_alerts(store, url: str, *, actor: str) -> int:
    """Send every undelivered warning and critical alert to ``url``; return how many were accepted."""
    check_webhook_url(url)
    delivered = 0
    for alert in store.undelivered(severities=WEBHOOK_SEVERITIES):
        error = _post(url, alert_payload(alert))
        store.record_delivery(alert.id, error=error, actor=actor, target=url)
        delivered += error is None
    return delivered
