"""Plain domain objects: what services return. Database rows never leave the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = [
    "LeadersOverview",
    "StageTiming",
    "PathExample",
    "PathHistory",
    "Model",
    "ModelSummary",
    "Version",
    "VersionPage",
    "StageRun",
    "ArtifactRef",
    "AuditEntry",
    "User",
    "SignOff",
    "Condition",
    "ModelInfo",
    "RoleStatus",
    "SignOffStatus",
    "InboxItem",
    "ChainReport",
    "PipelineResult",
    "ApiToken",
    "PolicyException",
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
    "MonitoringPeriod",
    "MonitoringAlert",
    "MonitoringRun",
    "ModelHealth",
]


@dataclass(frozen=True)
class Model:
    name: str
    title: str
    description: str
    owner: str
    risk_tier: str
    task: str
    created_at: datetime
    latest_version: int | None


@dataclass(frozen=True)
class ModelSummary:
    """One line of the portfolio: a model with its latest and production versions."""

    name: str
    title: str
    description: str
    owner: str
    risk_tier: str
    task: str
    latest_version: int | None
    latest_state: str | None
    latest_updated_at: datetime | None
    latest_failure_reason: str | None
    production_version: int | None
    canary_version: int | None = None  # a version serving a canary beside production


@dataclass(frozen=True)
class Version:
    model: str
    number: int
    state: str
    author: str
    created_at: datetime
    updated_at: datetime
    git_commit: str | None
    spec_path: str | None
    spec_hash: str | None
    data_fingerprint: str | None
    estimator: str | None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    input_schema: dict[str, Any] = field(default_factory=dict)
    failure_reason: str | None = None
    aliases: tuple[str, ...] = ()
    factory: str | None = None
    review_round: int = 1
    review_requested_at: datetime | None = None


@dataclass(frozen=True)
class VersionPage:
    """A page of a model's history, newest first; ``next_before`` fetches the next page."""

    versions: list[Version]
    total: int
    next_before: int | None


@dataclass(frozen=True)
class StageRun:
    stage: str
    status: str  # running | passed | failed
    started_at: datetime
    finished_at: datetime | None
    messages: list[str]
    evidence: dict[str, Any]
    host: str | None = None
    pid: int | None = None
    heartbeat_at: datetime | None = None

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ArtifactRef:
    """Where an artifact lives and what it must hash to."""

    model: str
    version: int
    kind: str
    uri: str
    sha256: str
    size_bytes: int
    created_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class User:
    """A person with a Greenlight account; ``roles`` decide what they may do."""

    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    disabled: bool
    created_at: datetime | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class SignOff:
    model: str
    version: int
    round: int
    username: str
    role: str
    decision: str  # approve | conditions | reject
    comment: str
    evidence: dict[str, str]
    created_at: datetime
    valid: bool = True
    void_reason: str | None = None
    #: failed fairness check ("feature:metric") → the written justification for approving anyway
    acknowledgements: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    id: int
    model: str
    version: int
    text: str
    role: str  # the role of the approval that set it; someone in that role (or an admin) closes it
    created_by: str
    created_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    model: str | None
    version: int | None
    detail: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class ModelInfo:
    """What a spec says about a model; ``Registry.upsert_model`` stores it."""

    name: str
    title: str
    description: str
    owner: str
    risk_tier: str
    task: str


@dataclass(frozen=True)
class RoleStatus:
    role: str
    status: str  # approved | approved_with_conditions | rejected | waiting
    by: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class SignOffStatus:
    model: str
    title: str
    risk_tier: str
    version: int
    state: str
    author: str
    round: int
    required_roles: tuple[str, ...]
    roles: list[RoleStatus]
    signoffs: list[SignOff]
    conditions: list[Condition]
    evidence: dict[str, str]
    requested_at: datetime | None

    @property
    def missing_roles(self) -> tuple[str, ...]:
        return tuple(r.role for r in self.roles if r.status == "waiting")

    @property
    def open_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.is_open]


@dataclass(frozen=True)
class InboxItem:
    model: str
    title: str
    version: int
    author: str
    risk_tier: str
    roles: tuple[str, ...]
    waiting_since: datetime | None

    @property
    def waiting_days(self) -> float:
        if self.waiting_since is None:
            return 0.0
        return (datetime.now(UTC) - self.waiting_since).total_seconds() / 86400


@dataclass(frozen=True)
class ChainReport:
    """What ``audit verify`` found: intact, or the first problem and where it lies."""

    intact: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    #: "chain" (an entry), "checkpoint" (the log against its checkpoints outside the database) or
    #: "replay" (the registry's tables against the log)
    kind: str | None = None
    #: entries written before the log was signed: their links are checked, not their signature
    unsigned: int = 0
    #: the newest checkpoint outside the database that the log matches, if there is one
    checkpoint: str | None = None
    #: how many versions the replayed log was compared with
    versions: int = 0


@dataclass(frozen=True)
class PipelineResult:
    model: str
    version: int
    passed: bool
    failed_stage: str | None
    reason: str | None
    stages: list[StageRun]
    #: roles whose sign-off the version now waits for (empty when a stage failed)
    waiting_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed: never the secret, which is shown once at creation."""

    id: int
    prefix: str
    username: str | None
    client: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > datetime.now(UTC))


@dataclass(frozen=True)
class PolicyException:
    """An admin's written, audited permission for one model to go below the organisation's floor."""

    id: int
    model: str
    setting: str
    value: Any
    reason: str
    granted_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > datetime.now(UTC))


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
