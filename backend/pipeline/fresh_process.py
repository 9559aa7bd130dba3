"""Run a worker job in a fresh Python process and read back its JSON result."""

from __future__ import annotations

import json
import os
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


def run_in_fresh_process(job: dict[str, Any], *, what: str, timeout: float = 900) -> dict[str, Any]:
    """Run ``backend.pipeline.worker`` on ``job``; raise StageFailed with the worker's reason."""
    with tempfile.TemporaryDirectory(prefix="greenlight-job-") as folder:
        path = Path(folder) / "job.json"
        path.write_text(json.dumps(job))
        try:
            done = subprocess.run([sys.executable, "-m", "backend.pipeline.worker", str(path)],
                                  capture_output=True, text=True, timeout=timeout, env=os.environ.copy(),
                                  check=False)
        except subprocess.TimeoutExpired:
            raise StageFailed(f"{what} did not finish within {timeout:.0f} s.") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise StageFailed(f"{what} crashed (exit code {done.returncode}): " + " | ".join(tail))
    answer = json.loads(lines[-1])
    if not answer["ok"]:
        raise StageFailed(f"{what} failed: {answer['error']}", code=answer.get("code"))
    return answer["result"]
