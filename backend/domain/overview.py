"""The path to production as history tells it, and the leaders' portfolio figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "StageTiming",
    "PathExample",
    "PathHistory",
    "LeadersOverview",
    "QuarterFigures",
]


@dataclass(frozen=True)
class StageTiming:
    """How long one step of the path to production takes here: the median of its finished runs."""

    stage: str
    runs: int
    median_seconds: float | None


@dataclass(frozen=True)
class PathExample:
    """One real event on the path to production, for the page that explains it: a version a gate
    stopped, a fairness fail a reviewer acknowledged, a canary rolled back. ``text`` is what a
    person or the pipeline wrote (user text: escape it before showing it as Markdown)."""

    kind: str  # stopped | acknowledged | rolled_back
    model: str
    version: int
    when: datetime
    text: str


@dataclass(frozen=True)
class PathHistory:
    """What the registry shows of the path to production: step timings and real examples."""

    timings: dict[str, StageTiming]
    stopped: tuple[PathExample, ...]
    acknowledged: tuple[PathExample, ...]
    rolled_back: tuple[PathExample, ...]


@dataclass(frozen=True)
class QuarterFigures:
    """What one calendar quarter's deployments did: how many took live traffic, how many were
    rolled back, and how long it took to restore production after each rollback."""

    quarter: str
    #: versions that started taking live traffic: canaries started, and versions sent straight to production
    deployments: int
    #: canaries (started in the quarter) that were rolled back
    rolled_back: int
    #: versions that reached production in the quarter
    to_production: int
    #: median time to restore, over the rollbacks made in the quarter: from the first sign of trouble (the
    #: canary judge's first failing verdict, else the canary's start) to all traffic being back on production
    median_restore_seconds: float | None
    restores_measured: int
    #: median time from registration to production, over the versions that reached it in the quarter
    median_lead_time_seconds: float | None

    @property
    def rollback_share(self) -> float | None:
        return self.rolled_back / self.deployments if self.deployments else None


@dataclass(frozen=True)
class LeadersOverview:
    """The portfolio's figures for business leaders, each read from the registry at ``as_of``."""

    as_of: datetime
    in_production: int
    #: health status (healthy, at_risk, degraded, not_monitored) → how many production models have it
    health: dict[str, int]
    waiting_for_signoff: int
    #: the longest wait for sign-off: (model, version, seconds), or None when nothing waits
    longest_wait: tuple[str, int, float] | None
    quarter: str
    deployments_this_quarter: int
    #: median time from registration to production, over the versions that reached it
    median_lead_time_seconds: float | None
    lead_times_measured: int
    #: this calendar quarter's and the previous one's deployment figures, to show how they moved
    this_quarter: QuarterFigures | None = None
    last_quarter: QuarterFigures | None = None

