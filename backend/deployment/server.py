"""Running the gateway: ``greenlight serve`` in this process, or a gateway process for a run.

``serve`` binds the socket itself, so ``--port 0`` picks a free port and the address printed
is the one that answers. uvicorn stops on SIGTERM or Ctrl-C after the requests in flight,
and the gateway then writes the prediction-log rows that wait.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx
import uvicorn

from backend.deployment.gateway import Gateway
from backend.deployment.http_api import create_api
from backend.errors import GreenlightError

if TYPE_CHECKING:
    from backend.app import App
    from backend.config import Settings

__all__ = ["serve", "local_gateway", "ADDRESS_LINE", "gateway_environment"]

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


@contextmanager
def local_gateway(settings: Settings, *, host: str = "127.0.0.1", refresh_seconds: float | None = None,
                  startup_timeout: float = 120.0, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A gateway process on loopback for the length of a run; yields its URL.

    On exit it is stopped with SIGTERM, which writes its waiting prediction-log rows.
    """
    env = {**gateway_environment(settings, refresh_seconds=refresh_seconds), **(extra_env or {})}
    command = [sys.executable, "-m", "backend.deployment.server", "--host", host, "--port", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    found: list[str] = []

    def read_stdout() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line.rstrip())
            match = _ADDRESS.search(line)
            if match and not found:
                found.append(match.group(1))

    errors: list[str] = []
    threads = [threading.Thread(target=read_stdout, daemon=True),
               threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not found:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = " | ".join(line.strip() for line in errors[-5:]) or " | ".join(lines[-5:])
                raise GreenlightError(f"The scoring gateway did not start (exit code {process.poll()}): {tail}",
                                      code="gateway_not_started")
            time.sleep(0.05)
        url = found[0]
        httpx.get(f"{url}/healthz", timeout=10).raise_for_status()
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in threads:
            thread.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m backend.deployment.server [--host H] [--port P]``: serve the settings' database."""
    import argparse

    from backend.app import App

    parser = argparse.ArgumentParser(prog="python -m backend.deployment.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    app = App.open()
    try:
        serve(app, host=args.host, port=args.port, announce=lambda line: print(line, flush=True))
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
