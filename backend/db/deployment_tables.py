"""ORM rows of canaries and their verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend import domain
from backend.db.base import Base
from backend.db.types import utcnow

__all__ = ["CanaryRow", "CanaryVerdictRow"]


class CanaryRow(Base):
    """One canary, from start to promotion or rollback. Its verdicts refer to it, so a pass on
    an earlier canary never counts for the current one."""

    __tablename__ = "canaries"
    __table_args__ = (Index("ix_canaries_model", "model_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    champion_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    traffic_percent: Mapped[float] = mapped_column(Double)
    min_requests: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))  # promoted | rolled_back
    end_reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(default=False)

    def to_domain(self, model_name: str, version: int, champion: int | None) -> domain.CanaryRun:
        return domain.CanaryRun(id=self.id, model=model_name, version=version, champion=champion,
                                traffic_percent=self.traffic_percent, min_requests=self.min_requests,
                                started_at=self.started_at, started_by=self.started_by, ended_at=self.ended_at,
                                ended_by=self.ended_by, outcome=self.outcome, end_reason=self.end_reason,
                                override_reason=self.override_reason, automatic=bool(self.automatic))


class CanaryVerdictRow(Base):
    """One run of the canary judge. Rows are only ever inserted."""

    __tablename__ = "canary_verdicts"
    __table_args__ = (Index("ix_canary_verdicts_canary", "canary_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canary_id: Mapped[int] = mapped_column(ForeignKey("canaries.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(10))  # pass | fail | wait
    headline: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    checks: Mapped[list[Any]] = mapped_column(default=list)
    production_version: Mapped[int | None] = mapped_column(Integer)
    canary_requests: Mapped[int] = mapped_column(Integer)
    production_requests: Mapped[int] = mapped_column(Integer)
    min_requests: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    judged_at: Mapped[datetime] = mapped_column(default=utcnow)
    judged_by: Mapped[str] = mapped_column(String(100))
    rolled_back: Mapped[bool] = mapped_column(default=False)

    def to_domain(self, model_name: str, version: int) -> domain.CanaryVerdict:
        checks = tuple(domain.CanaryCheck(**c) for c in (self.checks or []))
        return domain.CanaryVerdict(
            id=self.id, model=model_name, canary_id=self.canary_id, version=version,
            production_version=self.production_version, verdict=self.verdict, headline=self.headline,
            reasons=tuple(self.reasons or ()), checks=checks, canary_requests=self.canary_requests,
            production_requests=self.production_requests, min_requests=self.min_requests,
            window_start=self.window_start, window_end=self.window_end, judged_at=self.judged_at,
            judged_by=self.judged_by, rolled_back=bool(self.rolled_back))
