"""Serving slots, canaries and their verdicts, and what a model's live traffic looks like."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.domain.registry import ModelSummary

__all__ = [
    "LiveTrafficVerdict",
    "ServingState",
    "VersionStanding",
    "ModelStanding",
    "CanaryRun",
    "CanaryCheck",
    "CanaryVerdict",
    "SlotMetrics",
    "DeploymentStatus",
    "ServingPeriod",
]


@dataclass(frozen=True)
class LiveTrafficVerdict:
    """Whether a version may take live traffic now, and if not, every reason why."""

    model: str
    version: int
    allowed: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServingState:
    """What serves a model now: every gateway reads this from the database, so all of them
    follow a promotion within seconds."""

    model: str
    production: int | None
    canary: int | None
    canary_percent: float
    previous: int | None
    test: int | None
    changed_at: datetime | None = None


@dataclass(frozen=True)
class VersionStanding:
    """Where one version stands, with what its automated stages found (for the portfolio)."""

    number: int
    state: str
    updated_at: datetime | None
    failure_reason: str | None
    #: the reports stage's fairness verdict (pass | fail | insufficient_evidence | not_assessed), None if not run
    fairness_verdict: str | None = None
    fairness_failed: int = 0
    fairness_unsure: int = 0
    fairness_checks: int = 0


@dataclass(frozen=True)
class ModelStanding:
    """A model in the portfolio: what is in production, what is approved, what is on its way."""

    summary: ModelSummary
    production: VersionStanding | None
    approved: VersionStanding | None
    on_its_way: list[VersionStanding]
    latest: VersionStanding | None


@dataclass(frozen=True)
class CanaryRun:
    """One canary: a version serving a share of live traffic beside production, start to end."""

    id: int
    model: str
    version: int
    champion: int | None  # the production version when it started
    traffic_percent: float
    min_requests: int  # from the version's frozen policy: what each side serves before a pass
    started_at: datetime
    started_by: str
    ended_at: datetime | None = None
    ended_by: str | None = None
    outcome: str | None = None  # promoted | rolled_back; None while it runs
    end_reason: str | None = None
    override_reason: str | None = None  # promoted without a passing verdict: the admin's reason
    automatic: bool = False  # rolled back by the canary judge itself

    @property
    def running(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class CanaryCheck:
    """One comparison the canary judge made: its status, one plain sentence, the numbers."""

    name: str  # errors | latency | score_shift | quality
    label: str
    status: str  # pass | fail | wait | not_judged
    critical: bool  # a critical failure rolls the canary back by itself
    summary: str
    canary: float | None = None
    production: float | None = None
    p_value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CanaryVerdict:
    """The canary judge's verdict on one canary: pass, fail or wait (keep waiting), and why."""

    model: str
    canary_id: int
    version: int
    production_version: int | None
    verdict: str  # pass | fail | wait
    headline: str
    reasons: tuple[str, ...]
    checks: tuple[CanaryCheck, ...]
    canary_requests: int
    production_requests: int
    min_requests: int
    window_start: datetime
    window_end: datetime
    id: int | None = None  # None until stored
    judged_at: datetime | None = None
    judged_by: str | None = None
    rolled_back: bool = False  # this verdict rolled the canary back (a critical failure)


@dataclass(frozen=True)
class SlotMetrics:
    """What one slot served over a window, from the prediction log."""

    slot: str
    version: int | None
    requests: int
    simulated: int
    errors: int
    error_rate: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    mean_score: float | None
    positive_rate: float | None  # share of positive decisions (classification)
    outcomes: int  # predictions whose true outcome arrived
    quality_metric: str | None = None  # roc_auc | accuracy | mae
    quality: float | None = None


@dataclass(frozen=True)
class DeploymentStatus:
    """Where a model's deployment stands: slots, the canary, its latest verdict, live metrics."""

    model: str
    task: str
    serving: ServingState
    canary: CanaryRun | None  # the running canary, else the latest one (see ``running``)
    verdict: CanaryVerdict | None  # the latest verdict on that canary
    live: tuple[SlotMetrics, ...] = ()  # canary and production, side by side, over ``window_start``→now
    window_start: datetime | None = None


@dataclass(frozen=True)
class ServingPeriod:
    """A version serving one slot from ``start`` to ``end`` (None: still serving), and why."""

    model: str
    slot: str  # production | canary
    version: int
    start: datetime
    end: datetime | None
    started_by: str
    start_reason: str
    end_reason: str | None = None
    traffic_percent: float | None = None

