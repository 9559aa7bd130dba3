"""Models, versions, stage runs, stored files and the audit log, as services return them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Model",
    "ModelSummary",
    "Version",
    "VersionPage",
    "StageRun",
    "ArtifactRef",
    "AuditEntry",
    "ModelInfo",
    "ChainReport",
    "PipelineResult",
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

