"""A small server that imports the worker once and forks a fresh process for each job.

Starting ``python -m backend.pipeline.worker`` costs two to five seconds before any work, almost
all of it importing pandas, scikit-learn and skops. This server pays that once: it imports the
worker, then, for each job it is sent, forks a child that runs the job and exits. A child starts
with nothing of an earlier job in it (no model loaded, no team module imported, its own limits),
because the server itself never runs a job. The child gets the caller's working folder and
environment, a session of its own (so a job that overruns is stopped with whatever it started),
and its standard output and error in files (output discarded unless a file is named).

It also starts the scoring gateway a pipeline run tests its version on (``backend.cli`` with
``serve``), which needs the same libraries.

The protocol is JSON lines. The client writes ``{"id", "module", "argv", "env", "cwd",
"stdout", "stderr"}`` on the server's standard input, and the child runs ``module.main(argv)``; the server answers ``{"id", "pid"}`` when the child is forked, or
``{"id", "error"}`` when it could not be, and ``{"pid", "exit"}`` when a child ends (the exit
code, negative for the signal that stopped it). The server ends when its standard input closes,
that is, when the process that started it ends.

    python -m backend.pipeline.fork_server
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import sys
import traceback

__all__ = ["serve"]


def _run_child(request: dict) -> None:
    """In the forked child: set up its process, run the job, never return."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # as in a new interpreter
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        for fd, path in ((1, request.get("stdout")), (2, request["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) if path else null
            os.dup2(target, fd)
            if target != null:
                os.close(target)
        os.close(null)
        sys.stdout.reconfigure(line_buffering=True)  # what it prints is read while it runs
        code = importlib.import_module(request["module"]).main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001  (the child must end here, whatever happened)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def serve() -> None:
    import backend.pipeline.worker  # noqa: F401  (the preload: what every job would import)

    out = sys.stdout

    def say(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    # Ctrl-C reaches the whole foreground group: the client stops its jobs; the server ends on EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a child ended: wakes the loop through the pipe
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    buffer = b""
    while True:
        for key, _ in selector.select(timeout=1.0):
            if key.fd == wake_r:
                os.read(wake_r, 4096)
                continue
            chunk = os.read(key.fd, 65536)
            if not chunk:
                return  # the client is gone
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                try:
                    pid = os.fork()
                except OSError as exc:
                    say({"id": request["id"], "error": f"could not start a process: {exc}"})
                    continue
                if pid == 0:
                    selector.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    _run_child(request)
                say({"id": request["id"], "pid": pid})
        while True:  # reap every child that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            say({"pid": pid, "exit": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve()
