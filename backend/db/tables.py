"""ORM rows. They never leave the backend: each converts itself to a domain object.

The rows of registry and governance are here; canaries and monitoring have modules of their own,
re-exported here so that every row is importable from ``backend.db.tables``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend import domain
from backend.db.base import Base
from backend.db.deployment_tables import CanaryRow, CanaryVerdictRow
from backend.db.monitoring_tables import (
    MonitoringAlertRow,
    MonitoringDayRow,
    MonitoringPeriodRow,
    MonitoringReferenceRow,
    MonitoringRunRow,
)
from backend.db.types import utcnow

__all__ = ["Base", "ModelRow", "VersionRow", "AliasRow", "StageRunRow", "ArtifactRow", "AuditRow", "AuditHeadRow",
           "UserRow", "SignOffRow", "ConditionRow", "OrgPolicyRow", "ApiTokenRow", "PolicyExceptionRow", "MetaRow",
           "SignInAttemptRow", "PortalSessionRow", "CanaryRow", "CanaryVerdictRow",
           "MonitoringReferenceRow", "MonitoringDayRow", "MonitoringPeriodRow", "MonitoringAlertRow", "MonitoringRunRow"]


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(100))
    risk_tier: Mapped[str] = mapped_column(String(20))
    task: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Denormalised so that listing every model never scans its versions.
    latest_version: Mapped[int] = mapped_column(Integer, default=0)

    def to_domain(self) -> domain.Model:
        return domain.Model(
            name=self.name,
            title=self.title,
            description=self.description,
            owner=self.owner,
            risk_tier=self.risk_tier,
            task=self.task,
            created_at=self.created_at,
            latest_version=self.latest_version or None,
        )


class VersionRow(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("model_id", "number", name="uq_versions_model_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(30))
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    git_commit: Mapped[str | None] = mapped_column(String(64))
    spec_path: Mapped[str | None] = mapped_column(Text)
    spec_hash: Mapped[str | None] = mapped_column(String(71))
    factory: Mapped[str | None] = mapped_column(String(200))  # module:function that built the estimator
    data_fingerprint: Mapped[str | None] = mapped_column(String(71))
    estimator: Mapped[str | None] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Sign-offs count only in the current round; a new round starts when approval expires.
    review_round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    review_requested_at: Mapped[datetime | None] = mapped_column()

    def to_domain(self, model_name: str) -> domain.Version:
        return domain.Version(
            model=model_name,
            number=self.number,
            state=self.state,
            author=self.author,
            created_at=self.created_at,
            updated_at=self.updated_at,
            git_commit=self.git_commit,
            spec_path=self.spec_path,
            spec_hash=self.spec_hash,
            factory=self.factory,
            data_fingerprint=self.data_fingerprint,
            estimator=self.estimator,
            params=dict(self.params or {}),
            metrics=dict(self.metrics or {}),
            policy=dict(self.policy or {}),
            input_schema=dict(self.input_schema or {}),
            failure_reason=self.failure_reason,
            review_round=self.review_round or 1,
            review_requested_at=self.review_requested_at,
        )


class AliasRow(Base):
    __tablename__ = "aliases"

    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(30), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The canary's share of live traffic, in percent; None for the other aliases.
    traffic_percent: Mapped[float | None] = mapped_column()


class StageRunRow(Base):
    __tablename__ = "stage_runs"
    __table_args__ = (Index("ix_stage_runs_version", "version_id", "id"), Index("ix_stage_runs_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    messages: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who runs it, so a dead process is recognised: same host → its pid is gone; another
    # host → its heartbeat is older than the lease.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column()

    def to_domain(self) -> domain.StageRun:
        return domain.StageRun(
            stage=self.stage,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            messages=list(self.messages or []),
            evidence=dict(self.evidence or {}),
            host=self.host,
            pid=self.pid,
            heartbeat_at=self.heartbeat_at,
        )


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("version_id", "kind", name="uq_artifacts_version_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    uri: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def to_domain(self, model_name: str, version_number: int) -> domain.ArtifactRef:
        return domain.ArtifactRef(
            model=model_name,
            version=version_number,
            kind=self.kind,
            uri=self.uri,
            sha256=self.sha256,
            size_bytes=self.size_bytes,
            created_at=self.created_at,
            meta=dict(self.meta or {}),
        )


class AuditRow(Base):
    """One entry of the hash-chained, append-only log of everything that happened."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_model", "model", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    model: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON, so the hash is stable
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of ``hash`` with the audit key kept outside the database; None for entries
    # written before the log was signed.
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's last link; also the row writers lock so appends stay in order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_domain(self) -> domain.User:
        return domain.User(username=self.username, display_name=self.display_name or self.username,
                           email=self.email, roles=tuple(self.roles or ()), disabled=self.disabled,
                           created_at=self.created_at)


class SignOffRow(Base):
    """One reviewer's decision on one version. Rows are only ever inserted."""

    __tablename__ = "signoffs"
    # Once per person, version, round and evidence: a second identical request cannot add a
    # row, yet a reviewer can decide again once the model or a report they saw was replaced.
    __table_args__ = (UniqueConstraint("version_id", "round", "username", "evidence_hash", name="uq_signoffs_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Failed fairness check ("feature:metric") → the reviewer's written justification for approving anyway.
    acknowledgements: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class ConditionRow(Base):
    """An open item attached to an approval; it blocks full deployment until closed."""

    __tablename__ = "conditions"
    __table_args__ = (Index("ix_conditions_version", "version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    signoff_id: Mapped[int] = mapped_column(ForeignKey("signoffs.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column()
    close_note: Mapped[str | None] = mapped_column(Text)


class OrgPolicyRow(Base):
    """The organisation's policy; every change is a new row, the newest one applies."""

    __tablename__ = "org_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiTokenRow(Base):
    """An API token: for a person (CI runs the pipeline as them) or for a client application
    of the scoring gateway. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in a list
    username: Mapped[str | None] = mapped_column(String(100))  # the account it acts as; None for a client
    client: Mapped[str | None] = mapped_column(String(100))  # the client application's name
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    last_used_at: Mapped[datetime | None] = mapped_column()

    def to_domain(self) -> domain.ApiToken:
        return domain.ApiToken(id=self.id, prefix=self.prefix, username=self.username, client=self.client,
                               created_by=self.created_by, created_at=self.created_at, expires_at=self.expires_at,
                               revoked_at=self.revoked_at, revoked_by=self.revoked_by, last_used_at=self.last_used_at)


class PolicyExceptionRow(Base):
    """An admin's written permission for one model's spec to go below the organisation's floor
    on one setting (a looser gate, a lower risk tier). Revoked, never deleted."""

    __tablename__ = "policy_exceptions"
    __table_args__ = (Index("ix_policy_exceptions_model", "model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    setting: Mapped[str] = mapped_column(String(100))  # e.g. gates.min.roc_auc, risk_tier
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"value": <the loosest value allowed>}
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    def to_domain(self) -> domain.PolicyException:
        return domain.PolicyException(id=self.id, model=self.model, setting=self.setting,
                                      value=(self.value or {}).get("value"), reason=self.reason,
                                      granted_by=self.granted_by, created_at=self.created_at,
                                      expires_at=self.expires_at, revoked_at=self.revoked_at,
                                      revoked_by=self.revoked_by)


class MetaRow(Base):
    """Facts about the database itself (for example that it holds the public demo)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
class SignInAttemptRow(Base):
    """One password check, kept for a day: what the sign-in throttle counts."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_username", "username", "at"),
                      Index("ix_sign_in_attempts_client", "client", "at"),
                      Index("ix_sign_in_attempts_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column()
    username: Mapped[str] = mapped_column(String(100))  # as typed: unknown names are throttled too
    client: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))  # succeeded | failed | refused (while locked out)


class PortalSessionRow(Base):
    """A signed-in browser. Only the token's SHA-256 is stored, so a copy of the table signs nobody in."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
