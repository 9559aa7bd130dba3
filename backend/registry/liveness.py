"""Whether the process running a stage is still alive, and what to do when it is not.

Each stage run records the host and process id that run it and a heartbeat the runner
refreshes. A stage whose process is gone is recorded as failed ("interrupted") and its version
as failed, so nothing reads "running" that isn't: on the same machine as soon as the process
id is gone, on another machine once its heartbeat is older than the lease.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import ModelRow, StageRunRow, VersionRow
from backend.db.types import utcnow

__all__ = ["HEARTBEAT_SECONDS", "LEASE_SECONDS", "this_host", "process_is_alive", "Stranded", "find_stranded"]

#: How often a running stage refreshes its heartbeat.
HEARTBEAT_SECONDS = 15
#: A stage run on another machine whose heartbeat is older than this is taken as dead.
LEASE_SECONDS = 180


def this_host() -> str:
    return socket.gethostname()[:255]


def process_is_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process on this machine (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


@dataclass(frozen=True)
class Stranded:
    run: StageRunRow
    model: str
    version: VersionRow
    why: str


def _why_dead(run: StageRunRow, *, host: str, now: datetime, lease: float) -> str | None:
    last_sign = run.heartbeat_at or run.started_at
    silent_for = (now - last_sign).total_seconds()
    if run.host == host and run.pid is not None:
        if run.pid == os.getpid():
            return None  # this very process runs it
        if not process_is_alive(run.pid):
            return f"the process running it (pid {run.pid} on {run.host}) is gone"
    if silent_for > lease:
        where = f"pid {run.pid} on {run.host}" if run.host else "an unknown process"
        return f"the process running it ({where}) has given no sign of life for {silent_for / 60:.0f} minutes"
    return None


def find_stranded(session: Session, *, lease: float = LEASE_SECONDS, now: datetime | None = None) -> list[Stranded]:
    """Running stage runs whose process is dead, with why."""
    now = now or utcnow()
    host = this_host()
    rows = session.execute(
        select(StageRunRow, VersionRow, ModelRow.name)
        .join(VersionRow, VersionRow.id == StageRunRow.version_id)
        .join(ModelRow, ModelRow.id == VersionRow.model_id)
        .where(StageRunRow.status == "running", StageRunRow.finished_at.is_(None))
        .order_by(StageRunRow.id)
    ).all()
    stranded = []
    for run, version, model in rows:
        why = _why_dead(run, host=host, now=now, lease=lease)
        if why:
            stranded.append(Stranded(run=run, model=model, version=version, why=why))
    return stranded

