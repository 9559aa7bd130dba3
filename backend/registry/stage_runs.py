"""The registry's stage runs: started with the host and process that run them, kept alive by a
heartbeat, closed once, and recovered when their process died."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select, update

from backend.db.tables import StageRunRow
from backend.db.types import utcnow
from backend.domain import StageRun
from backend.errors import Conflict, NotFound
from backend.governance import audit
from backend.registry.liveness import LEASE_SECONDS, find_stranded, this_host
from backend.registry.rows import version_row as _version_row
from backend.registry.states import TERMINAL_STATES, State
from backend.registry.transitions import apply_transition

__all__ = ["StageRuns"]


class StageRuns:
    """Part of :class:`backend.registry.store.Registry`: its ``db``."""

    def start_stage(self, name: str, number: int, stage: str, *, status: str = "running") -> int:
        """Record that this process starts ``stage``: its host, process id and a first heartbeat."""
        with self.db.write() as session:
            _, version = _version_row(session, name, number)
            now = utcnow()
            row = StageRunRow(version_id=version.id, stage=stage, status=status, started_at=now,
                              host=this_host(), pid=os.getpid(), heartbeat_at=now)
            session.add(row)
            session.flush()
            return row.id

    def heartbeat(self, stage_run_id: int) -> None:
        """The process running the stage is alive (called every few seconds while it runs)."""
        with self.db.write() as session:
            session.execute(update(StageRunRow).where(StageRunRow.id == stage_run_id,
                                                      StageRunRow.finished_at.is_(None))
                            .values(heartbeat_at=utcnow()))

    def recover_stranded(self, *, actor: str = "greenlight", lease_s: float = LEASE_SECONDS) -> list[StageRun]:
        """Mark every stage whose process died as failed ("interrupted"), and its version too.

        Same machine: as soon as the process id is gone. Another machine: once its heartbeat is
        older than ``lease_s``. Returns the stage runs it closed.
        """
        with self.db.read() as session:
            if not find_stranded(session, lease=lease_s):
                return []
        closed = []
        with self.db.write() as session:
            for stranded in find_stranded(session, lease=lease_s):
                run, version = stranded.run, stranded.version
                message = f"Interrupted: {stranded.why}. Nothing stored before was lost."
                run.status, run.finished_at = "failed", utcnow()
                run.messages = [*(run.messages or []), message]
                run.evidence = {**(run.evidence or {}), "error_code": "interrupted"}
                if version.state not in TERMINAL_STATES:
                    apply_transition(session, stranded.model, version, State.FAILED, actor=actor,
                                     reason=f"{run.stage}: interrupted ({stranded.why})")
                else:
                    audit.append(session=session, actor=actor, action="stage.interrupted", model=stranded.model,
                                 version=version.number, detail={"stage": run.stage, "why": stranded.why})
                closed.append(run.to_domain())
        return closed

    def finish_stage(self, stage_run_id: int, *, status: str, messages: list[str], evidence: dict[str, Any]) -> StageRun:
        with self.db.write() as session:
            row = session.get(StageRunRow, stage_run_id)
            if row is None:
                raise NotFound(f"Stage run {stage_run_id} does not exist.")
            if row.finished_at is not None:
                raise Conflict(f"The {row.stage} stage run was already closed as '{row.status}'"
                               + (f": {row.messages[-1]}" if row.messages else "."), code="stage_closed")
            row.status, row.messages, row.evidence, row.finished_at = status, messages, evidence, utcnow()
            return row.to_domain()

    def list_stage_runs(self, name: str, number: int) -> list[StageRun]:
        with self.db.read() as session:
            _, version = _version_row(session, name, number)
            rows = session.execute(select(StageRunRow).where(StageRunRow.version_id == version.id)
                                   .order_by(StageRunRow.id)).scalars()
            return [r.to_domain() for r in rows]
