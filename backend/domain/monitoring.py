"""Monitoring periods, alerts and each production model's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

__all__ = [
    "MonitoringPeriod",
    "MonitoringAlert",
    "MonitoringRun",
    "ModelHealth",
]


@dataclass(frozen=True)
class MonitoringPeriod:
    """One period (day, week or month) of one version in production, judged against the
    baseline signed off for it. ``result`` holds the figures: volume, score, drift, performance
    (realised or estimated, and which), fairness, and the period's alerts."""

    model: str
    version: int
    period: str
    start: date
    end: date
    complete: bool
    result: dict[str, Any]
    computed_at: datetime


@dataclass(frozen=True)
class MonitoringAlert:
    """A figure left the range agreed at sign-off: kind, severity (info, warning, critical) and
    a sentence that says what happened. Kept until delivered to the webhook, when one is set."""

    id: int
    model: str
    version: int
    period: str
    start: date
    end: date
    kind: str  # drift | performance | estimated_performance | fairness | errors
    severity: str
    sentence: str
    detail: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None = None
    delivery_attempts: int = 0
    last_error: str | None = None

    @property
    def retraining(self) -> dict[str, str] | None:
        """``{"spec", "command"}`` when the alert recommends retraining."""
        return self.detail.get("retraining")


@dataclass(frozen=True)
class MonitoringRun:
    """One run of the monitoring job and what it did."""

    id: int
    actor: str
    period: str
    engine: str
    since: date | None
    status: str  # running | passed | failed
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]
    message: str | None = None


@dataclass(frozen=True)
class ModelHealth:
    """A model's health from its latest monitoring: healthy, at_risk, degraded, or not_monitored."""

    model: str
    status: str
    sentence: str
    version: int | None = None
    period: str | None = None
    start: date | None = None
    retraining: dict[str, str] | None = None

    @property
    def retraining_recommended(self) -> bool:
        return self.retraining is not None

