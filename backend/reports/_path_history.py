"""What the registry shows of the path to production, for the page that explains it.

How long each step takes here (the median of its finished runs, so one stuck run does not
skew it), and real examples: versions a gate stopped, fairness fails a reviewer approved with a
written acknowledgement, canaries rolled back. Only reads; a handful of small queries.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import TYPE_CHECKING

from sqlalchemy import select

from backend.db.tables import CanaryRow, ModelRow, SignOffRow, StageRunRow, VersionRow
from backend.domain import PathExample, PathHistory, StageTiming
from backend.governance.signoff_rules import APPROVING
from backend.registry.states import State

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["path_history", "CANARY_STEP", "RECENT_RUNS", "EXAMPLES"]

#: The timing key of the canary step (canaries are not stage runs: they run from start to promotion or rollback).
CANARY_STEP = "canary"
#: How many of the newest finished runs of each step the medians read: recent enough to say how long a step
#: takes now, and a bounded read however long the history.
RECENT_RUNS = 500
#: At most this many examples of each kind, newest first.
EXAMPLES = 3
# Signed-off rows read to find acknowledgements (stored as JSON, so they are filtered here, not in SQL).
_SIGNOFFS_READ = 200


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _timing(stage: str, spans: list[tuple[datetime, datetime]]) -> StageTiming:
    durations = [_seconds(start, end) for start, end in spans]
    return StageTiming(stage=stage, runs=len(durations), median_seconds=median(durations) if durations else None)


def path_history(app: App, *, stages: tuple[str, ...] | list[str]) -> PathHistory:
    """Timings of ``stages`` (stage-run names, plus :data:`CANARY_STEP`) and real examples.

    Parameters
    ----------
    app
        The application whose registry is read.
    stages
        The step names to time; a step with no finished run gets ``runs=0`` and
        ``median_seconds=None`` ("no runs yet").

    Returns
    -------
    PathHistory
        Medians over the newest :data:`RECENT_RUNS` finished runs of each step (passed or failed;
        a sign-off step from the request to the decision), and up to :data:`EXAMPLES` examples of
        each kind, newest first.
    """
    timings: dict[str, StageTiming] = {}
    with app.db.read() as session:
        for stage in stages:
            if stage == CANARY_STEP:
                spans = session.execute(
                    select(CanaryRow.started_at, CanaryRow.ended_at).where(CanaryRow.ended_at.is_not(None))
                    .order_by(CanaryRow.id.desc()).limit(RECENT_RUNS)).all()
            else:
                spans = session.execute(
                    select(StageRunRow.started_at, StageRunRow.finished_at)
                    .where(StageRunRow.stage == stage, StageRunRow.finished_at.is_not(None),
                           StageRunRow.status.in_(("passed", "failed")))
                    .order_by(StageRunRow.id.desc()).limit(RECENT_RUNS)).all()
            timings[stage] = _timing(stage, [(start, end) for start, end in spans])

        stopped = tuple(
            PathExample(kind="stopped", model=name, version=number, when=when, text=reason or "")
            for name, number, when, reason in session.execute(
                select(ModelRow.name, VersionRow.number, VersionRow.updated_at, VersionRow.failure_reason)
                .join(ModelRow, ModelRow.id == VersionRow.model_id)
                .where(VersionRow.state == State.FAILED.value)
                .order_by(VersionRow.updated_at.desc(), VersionRow.id.desc()).limit(EXAMPLES)).all())

        acknowledged: list[PathExample] = []
        for name, number, when, notes in session.execute(
                select(ModelRow.name, VersionRow.number, SignOffRow.created_at, SignOffRow.acknowledgements)
                .join(VersionRow, VersionRow.id == SignOffRow.version_id)
                .join(ModelRow, ModelRow.id == VersionRow.model_id)
                .where(SignOffRow.decision.in_(APPROVING))
                .order_by(SignOffRow.id.desc()).limit(_SIGNOFFS_READ)).all():
            if notes and len(acknowledged) < EXAMPLES:
                check, text = next(iter(sorted(notes.items())))
                acknowledged.append(PathExample(kind="acknowledged", model=name, version=number, when=when,
                                                text=f"{check}: {text}"))

        rolled_back = tuple(
            PathExample(kind="rolled_back", model=name, version=number, when=when, text=reason or "")
            for name, number, when, reason in session.execute(
                select(ModelRow.name, VersionRow.number, CanaryRow.ended_at, CanaryRow.end_reason)
                .join(VersionRow, VersionRow.id == CanaryRow.version_id)
                .join(ModelRow, ModelRow.id == CanaryRow.model_id)
                .where(CanaryRow.outcome == "rolled_back")
                .order_by(CanaryRow.id.desc()).limit(EXAMPLES)).all())
    return PathHistory(timings=timings, stopped=stopped, acknowledged=tuple(acknowledged), rolled_back=rolled_back)
