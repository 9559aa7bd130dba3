"""ORM rows of monitoring: reference statistics, daily aggregates, periods, alerts and runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import utcnow

__all__ = ["MonitoringReferenceRow", "MonitoringDayRow", "MonitoringPeriodRow", "MonitoringAlertRow", "MonitoringRunRow"]


class MonitoringReferenceRow(Base):
    """A version's reference statistics, computed once from its stored artifacts (their SHA-256s
    are the key: a replaced artifact means new statistics)."""

    __tablename__ = "monitoring_references"

    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    sources_key: Mapped[str] = mapped_column(String(64))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringDayRow(Base):
    """One day of a model's prediction log, aggregated (per version): the inputs' and scores'
    counts, or those of the predictions whose outcome has arrived. ``fingerprint`` names the
    files it was computed from, so an unchanged day is never read again."""

    __tablename__ = "monitoring_days"
    __table_args__ = (UniqueConstraint("model_id", "day", "kind", name="uq_monitoring_days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # inputs | outcomes
    fingerprint: Mapped[str] = mapped_column(String(64))
    aggregates: Mapped[dict[str, Any]] = mapped_column(default=dict)  # version number → aggregates
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringPeriodRow(Base):
    """One period (day, week, month) of one version, judged against its signed-off baseline."""

    __tablename__ = "monitoring_periods"
    __table_args__ = (UniqueConstraint("version_id", "period", "start", name="uq_monitoring_periods"),
                      Index("ix_monitoring_periods_model", "model_id", "period", "start"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    complete: Mapped[bool] = mapped_column(default=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringAlertRow(Base):
    """An alert: at most one per version, period and kind; kept until delivered to the webhook."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (UniqueConstraint("version_id", "period", "start", "kind", name="uq_monitoring_alerts"),
                      Index("ix_monitoring_alerts_model", "model_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    sentence: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class MonitoringRunRow(Base):
    """One run of the monitoring job: what it was asked, what it did, how it ended."""

    __tablename__ = "monitoring_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10))
    engine: Mapped[str] = mapped_column(String(20))
    since: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # running | passed | failed
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str | None] = mapped_column(Text)
