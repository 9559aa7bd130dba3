"""Running the gateway: ``greenlight serve`` in this process, or a gateway process for a run.

``serve`` binds the socket itself, so ``--port 0`` picks a free port and the address printed
is the one that answers. uvicorn stops on SIGTERM or Ctrl-C after the requests in flight,
and the gateway then writes the prediction-log rows that wait.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import uvicorn

from backend.deployment.gateway import Gateway
from backend.deployment.http_api import create_api
from backend.errors import GreenlightError
from backend.pipeline.fresh_process import ForkServer

if TYPE_CHECKING:
    from backend.app import App
    from backend.config import Settings

__all__ = ["serve", "local_gateway", "GatewayProcess", "ADDRESS_LINE", "gateway_environment"]

ADDRESS_LINE = "Greenlight scoring gateway: "
_ADDRESS = re.compile(re.escape(ADDRESS_LINE) + r"(http://\S+)")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(app: App, *, host: str = "127.0.0.1", port: int = 8080, announce: Callable[[str], None] = print,
          refresh_seconds: float | None = None) -> None:
    """Serve the gateway until SIGTERM or Ctrl-C; the prediction log is flushed before returning."""
    sock = _bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    gateway = Gateway(app, refresh_seconds=refresh_seconds)
    config = uvicorn.Config(create_api(gateway), log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=10, server_header=False)
    server = uvicorn.Server(config)
    # Say where it answers only once the slots are loaded (the lifespan has run).
    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets=sockets)
        if not server.should_exit:
            announce(f"{ADDRESS_LINE}http://{shown}:{sock.getsockname()[1]}")

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[sock])


def gateway_environment(settings: Settings, *, refresh_seconds: float | None = None) -> dict[str, str]:
    """The environment a gateway process needs to serve ``settings``'s database and store."""
    env = {**os.environ, "GREENLIGHT_HOME": str(settings.home), "GREENLIGHT_DB_URL": settings.db_url,
           "GREENLIGHT_ARTIFACTS": str(settings.artifacts_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("GREENLIGHT_GATEWAY_REQUIRE_TOKEN", None)
    if settings.gateway_require_token:
        env["GREENLIGHT_GATEWAY_REQUIRE_TOKEN"] = "1"
    env["GREENLIGHT_GATEWAY_REFRESH_SECONDS"] = str(refresh_seconds or settings.gateway_refresh_seconds)
    return env


class GatewayProcess:
    """A gateway process on loopback: :meth:`start` returns at once, :meth:`wait` until it answers.

    It is forked by the worker's fork server, which has the serving libraries imported already
    (a second or two instead of several), or else started as a new interpreter.
    :meth:`stop` sends SIGTERM, which writes its waiting prediction-log rows before it exits.
    """

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", refresh_seconds: float | None = None,
                 extra_env: dict[str, str] | None = None):
        self.env = {**gateway_environment(settings, refresh_seconds=refresh_seconds), **(extra_env or {})}
        self.argv = ["serve", "--host", host, "--port", "0"]
        # `greenlight serve`, with this interpreter (the console script may not be on PATH).
        self.command = [sys.executable, "-c", "from backend.cli import main; raise SystemExit(main())", *self.argv]
        self.process: subprocess.Popen | None = None
        self.forked: _Forked | None = None
        self.url: str | None = None
        self._lines: list[str] = []
        self._errors: list[str] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> GatewayProcess:
        server = ForkServer.get()
        if server is not None:
            try:
                self.forked = _Forked.start(server, self.argv, self.env)
                return self
            except OSError:
                pass  # start it the slow way rather than not at all
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self._threads = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=lambda: self._errors.extend(self.process.stderr), daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def _read_stdout(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self._lines.append(line.rstrip())
            match = _ADDRESS.search(line)
            if match and self.url is None:
                self.url = match.group(1)

    def _exit_code(self) -> int | None:
        if self.forked is not None:
            return self.forked.exit_code()
        return None if self.process is None else self.process.poll()

    def wait(self, timeout: float = 120.0) -> str:
        """The gateway's URL, once it serves; GreenlightError if it stopped or took too long."""
        deadline = time.monotonic() + timeout
        while self.url is None:
            if self.forked is not None:
                self.url = self.forked.address()
                if self.url is not None:
                    break
            code = self._exit_code()
            if (self.process is None and self.forked is None) or code is not None or time.monotonic() > deadline:
                errors, lines = (self.forked.output() if self.forked is not None else (self._errors, self._lines))
                tail = " | ".join(line.strip() for line in errors[-5:]) or " | ".join(lines[-5:])
                raise GreenlightError(f"The scoring gateway did not start (exit code {code}): {tail}",
                                      code="gateway_not_started")
            time.sleep(0.05)
        httpx.get(f"{self.url}/healthz", timeout=10).raise_for_status()
        return self.url

    def stop(self) -> None:
        if self.forked is not None:
            self.forked.stop()
            self.forked = None
            return
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        self.process = None


class _Forked:
    """A gateway forked by the fork server: its output in files, its exit reported by the server."""

    def __init__(self, server: ForkServer, folder: Path, pid: int):
        self.server, self.folder, self.pid = server, folder, pid
        self.code: int | None = None
        self.lost = False

    @classmethod
    def start(cls, server: ForkServer, argv: list[str], env: dict[str, str]) -> _Forked:
        folder = Path(tempfile.mkdtemp(prefix="greenlight-gateway-"))
        try:
            pid = server.start("backend.cli", argv, stdout=folder / "stdout.txt", stderr=folder / "stderr.txt", env=env)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(server, folder, pid)

    def _read(self, name: str) -> list[str]:
        try:
            return (self.folder / name).read_text(errors="replace").splitlines()
        except OSError:
            return []

    def address(self) -> str | None:
        for line in self._read("stdout.txt"):
            match = _ADDRESS.search(line)
            if match:
                return match.group(1)
        return None

    def output(self) -> tuple[list[str], list[str]]:
        return self._read("stderr.txt"), self._read("stdout.txt")

    def exit_code(self, timeout: float = 0) -> int | None:
        if self.code is None and not self.lost:
            try:
                self.code = self.server.wait(self.pid, timeout)
            except OSError:  # the fork server is gone: the gateway may still run, unseen
                self.lost = True
        return self.code

    def stop(self) -> None:
        for sig, grace in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
            if self.exit_code() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, sig)
            if self.lost or self.exit_code(grace) is not None:
                break
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def local_gateway(settings: Settings, *, host: str = "127.0.0.1", refresh_seconds: float | None = None,
                  startup_timeout: float = 120.0, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A gateway process on loopback for the length of a run; yields its URL.

    On exit it is stopped with SIGTERM, which writes its waiting prediction-log rows.
    """
    gateway = GatewayProcess(settings, host=host, refresh_seconds=refresh_seconds, extra_env=extra_env).start()
    try:
        yield gateway.wait(startup_timeout)
    finally:
        gateway.stop()
