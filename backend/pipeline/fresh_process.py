"""Run a worker job in a fresh Python process and read back its JSON result.

The worker runs in a session of its own, so a job that overruns its time is stopped together
with any processes it started (say, a ``n_jobs=2`` estimator's helpers).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from backend.domain import ArtifactRef
from backend.errors import StageFailed

__all__ = ["run_in_fresh_process", "ref_payload"]


def ref_payload(ref: ArtifactRef) -> dict[str, Any]:
    payload = asdict(ref)
    payload["created_at"] = ref.created_at.isoformat()
    return payload


def _stop(process: subprocess.Popen) -> None:
    """Kill the worker and everything it started, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def _crashed(what: str, returncode: int, stderr: str, hint: str | None) -> str:
    if returncode < 0:
        try:
            how = f"was stopped by signal {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was stopped by signal {-returncode}"
    else:
        how = f"crashed (exit code {returncode})"
    tail = " | ".join(stderr.strip().splitlines()[-3:])
    return f"{what} {how}" + (f": {tail}" if tail else "") + (f". {hint}" if hint else "")


def run_in_fresh_process(job: dict[str, Any], *, what: str, timeout: float = 900, timeout_message: str | None = None,
                         crash_hint: str | None = None) -> dict[str, Any]:
    """Run ``backend.pipeline.worker`` on ``job``; raise StageFailed with the worker's reason.

    Parameters
    ----------
    job : dict
        What the worker does (``task_kind`` and its inputs), as JSON.
    what : str
        The job in words, for messages ("Training").
    timeout : float
        Seconds after which the worker is stopped.
    timeout_message : str, optional
        The reason given when it is stopped (default: it did not finish in time).
    crash_hint : str, optional
        A sentence added when the worker dies without a result (say, which limit to raise).
    """
    with tempfile.TemporaryDirectory(prefix="greenlight-job-") as folder:
        path, result_path = Path(folder) / "job.json", Path(folder) / "result.json"
        path.write_text(json.dumps({**job, "result_path": str(result_path)}))
        process = subprocess.Popen([sys.executable, "-m", "backend.pipeline.worker", str(path)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
                                   start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise StageFailed(timeout_message or f"{what} did not finish within {timeout:.0f} s.",
                              code="time_limit") from None
        except BaseException:  # interrupted: never leave the worker running
            _stop(process)
            raise
        answer = json.loads(result_path.read_text()) if result_path.is_file() else None
    if process.returncode != 0 or answer is None:
        raise StageFailed(_crashed(what, process.returncode, stderr, crash_hint))
    if not answer["ok"]:
        message = answer["error"] if answer.get("plain") else f"{what} failed: {answer['error']}"
        raise StageFailed(message, code=answer.get("code"))
    return answer["result"]
