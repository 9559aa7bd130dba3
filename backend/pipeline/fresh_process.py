"""Run a worker job in a fresh Python process and read back its JSON result.

The process is forked by :mod:`backend.pipeline.fork_server`, which has imported the worker's
libraries once, so a job starts in hundredths of a second rather than seconds and still begins
with nothing of an earlier job in it. ``GREENLIGHT_WORKER_START=spawn`` (or a platform without
``fork``) starts a new interpreter per job instead.

The worker runs in a session of its own, so a job that overruns its time is stopped together
with any processes it started (say, a ``n_jobs=2`` estimator's helpers).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from backend.domain import ArtifactRef
from backend.errors import StageFailed

__all__ = ["run_in_fresh_process", "ref_payload", "ForkServer"]

#: The folder that holds the ``backend`` package this module belongs to.
_SOURCE_ROOT = str(Path(__file__).resolve().parents[2])


def ref_payload(ref: ArtifactRef) -> dict[str, Any]:
    payload = asdict(ref)
    payload["created_at"] = ref.created_at.isoformat()
    return payload


def _interpreter_env() -> dict[str, str]:
    """The caller's environment, for a new interpreter that must import this very copy of the
    backend wherever the caller's folder is."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_SOURCE_ROOT, env.get("PYTHONPATH")]))
    return env


class ForkServer:
    """The client of :mod:`backend.pipeline.fork_server`: one server per process, started on first
    use by :meth:`get`."""

    _lock = threading.Lock()
    _current: ForkServer | None = None

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.process = subprocess.Popen([sys.executable, "-m", "backend.pipeline.fork_server"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_interpreter_env())
        self.lock = threading.Lock()
        self.next_id = 0
        self.started: dict[int, dict] = {}  # request id -> the server's answer
        self.exits: dict[int, int] = {}  # pid -> exit code
        self.changed = threading.Condition(self.lock)
        self.alive = True
        threading.Thread(target=self._read, name="greenlight-fork-server", daemon=True).start()

    @classmethod
    def get(cls) -> ForkServer | None:
        """The running server, started if need be; None where ``GREENLIGHT_WORKER_START=spawn``
        asks for a new interpreter per job, or where there is no ``fork`` (Windows)."""
        if os.environ.get("GREENLIGHT_WORKER_START") == "spawn" or not hasattr(os, "fork"):
            return None
        with cls._lock:
            server = cls._current
            if server is None or not server.alive or server.owner != os.getpid():
                server = cls._current = cls()
            return server

    def _read(self) -> None:
        try:
            for line in self.process.stdout:  # type: ignore[union-attr]
                message = json.loads(line)
                with self.changed:
                    if "exit" in message:
                        self.exits[message["pid"]] = message["exit"]
                    else:
                        # The server says a child started before it says it ended, so an exit
                        # already recorded under this process id is an earlier process's.
                        self.exits.pop(message.get("pid"), None)
                        self.started[message["id"]] = message
                    self.changed.notify_all()
        finally:
            with self.changed:
                self.alive = False
                self.changed.notify_all()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        self.process.wait()

    def start(self, module: str, argv: list[str], *, stderr: Path, stdout: Path | None = None,
              env: dict[str, str] | None = None) -> int:
        """Fork a child that runs ``module.main(argv)`` in this process's folder and environment
        (or ``env``); its process id."""
        with self.changed:
            if not self.alive:
                raise OSError("the worker's fork server has stopped")
            self.next_id += 1
            ident = self.next_id
            request = {"id": ident, "module": module, "argv": argv, "env": dict(os.environ if env is None else env),
                       "cwd": os.getcwd(), "stdout": str(stdout) if stdout else None, "stderr": str(stderr)}
            self.process.stdin.write((json.dumps(request) + "\n").encode())  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
            while ident not in self.started and self.alive:
                self.changed.wait()
            answer = self.started.pop(ident, None)
        if answer is None or "error" in answer:
            raise OSError(answer["error"] if answer else "the worker's fork server has stopped")
        return answer["pid"]

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit code, or None if it still runs after ``timeout`` seconds."""
        with self.changed:
            self.changed.wait_for(lambda: pid in self.exits or not self.alive, timeout)
            if pid in self.exits:
                return self.exits.pop(pid)
            if not self.alive:
                raise OSError("the worker's fork server stopped while the job ran")
            return None


class _Job:
    """One worker process, forked by the fork server or else started as a new interpreter."""

    def __init__(self, job_path: Path, stderr_path: Path):
        self.stderr_path = stderr_path
        self.server = ForkServer.get()
        self.popen: subprocess.Popen | None = None
        if self.server is not None:
            try:
                self.pid = self.server.start("backend.pipeline.worker", [str(job_path)], stderr=stderr_path)
                return
            except OSError:
                self.server = None  # start the worker the slow way rather than fail the stage
        with stderr_path.open("wb") as err:
            self.popen = subprocess.Popen([sys.executable, "-m", "backend.pipeline.worker", str(job_path)],
                                          stdout=subprocess.DEVNULL, stderr=err, env=_interpreter_env(),
                                          start_new_session=True)
        self.pid = self.popen.pid

    def wait(self, timeout: float | None) -> int | None:
        """The exit code, or None while it runs after ``timeout`` seconds."""
        if self.server is not None:
            return self.server.wait(self.pid, timeout)
        try:
            return self.popen.wait(timeout=timeout)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Kill the worker and everything it started, and reap it."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.wait(60)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""


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
        worker = _Job(path, Path(folder) / "stderr.txt")
        try:
            returncode = worker.wait(timeout)
        except OSError as exc:  # the fork server died under it: its child must not run on unseen
            worker.stop()
            raise StageFailed(f"{what} was lost: {exc}.") from None
        except BaseException:  # interrupted: never leave the worker running
            worker.stop()
            raise
        if returncode is None:
            worker.stop()
            raise StageFailed(timeout_message or f"{what} did not finish within {timeout:.0f} s.",
                              code="time_limit") from None
        answer = json.loads(result_path.read_text()) if result_path.is_file() else None
        stderr = worker.stderr()
    if returncode != 0 or answer is None:
        raise StageFailed(_crashed(what, returncode, stderr, crash_hint))
    if not answer["ok"]:
        message = answer["error"] if answer.get("plain") else f"{what} failed: {answer['error']}"
        raise StageFailed(message, code=answer.get("code"))
    return answer["result"]
