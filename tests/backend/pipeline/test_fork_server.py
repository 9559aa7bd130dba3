"""Worker jobs run in processes forked from a server that imported the worker's libraries once:
each job still starts clean, in the caller's folder and environment, and the server is replaced
if it dies."""

from __future__ import annotations

import json
import os
import signal
import textwrap

import pytest

from backend.errors import StageFailed
from backend.governance.limits import Limits
from backend.pipeline import fresh_process
from backend.pipeline.fresh_process import ForkServer
from backend.pipeline.training import fit_in_fresh_process
from tests.factories import synthetic_classification

# A factory that reports the process it runs in, what it was told through the environment, and
# whether an earlier job's module is still imported.
REPORTING_FACTORY = textwrap.dedent("""\
    import json
    import os
    import sys
    from pathlib import Path

    from sklearn.linear_model import LogisticRegression

    LEFT_BEHIND = "greenlight_left_behind" in sys.modules
    import greenlight_left_behind  # noqa: F401  (a module beside this file, imported by the job)


    def build():
        Path(os.environ["REPORT_TO"]).write_text(json.dumps({
            "pid": os.getpid(), "parent": os.getppid(), "mark": os.environ.get("JOB_MARK"), "cwd": os.getcwd(),
            "left_behind": LEFT_BEHIND, "session_leader": os.getsid(0) == os.getpid()}))
        return LogisticRegression()
    """)


@pytest.fixture
def team(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "model.py").write_text(REPORTING_FACTORY)
    (folder / "greenlight_left_behind.py").write_text("")
    frame = synthetic_classification(60)
    return folder, frame[["income", "tenure"]], (frame["label"] == frame["label"].iloc[0]).to_numpy().astype(int)


def _fit(team, tmp_path, monkeypatch, mark: str) -> dict:
    folder, X, y = team
    report = tmp_path / f"report-{mark}.json"
    monkeypatch.setenv("REPORT_TO", str(report))
    monkeypatch.setenv("JOB_MARK", mark)
    fit_in_fresh_process(factory="model:build", folder=folder, task="classification", X=X, y=y, limits=Limits())
    return json.loads(report.read_text())


def test_each_job_is_a_fresh_fork_with_the_callers_environment_and_folder(team, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = _fit(team, tmp_path, monkeypatch, "first")
    second = _fit(team, tmp_path, monkeypatch, "second")
    server = ForkServer.get()
    # Both forked by the one server (not new interpreters, which would cost seconds each) ...
    assert first["parent"] == second["parent"] == server.process.pid != os.getpid()
    assert first["pid"] != second["pid"]
    # ... each with the environment and folder the caller had at the time of the job,
    assert (first["mark"], second["mark"]) == ("first", "second")
    assert first["cwd"] == second["cwd"] == str(tmp_path)
    # in a session of its own (so a time limit stops what it started), and with nothing of the
    # job before it: the module the first job imported is not there for the second.
    assert first["session_leader"] and second["session_leader"]
    assert not first["left_behind"] and not second["left_behind"]


def test_spawn_starts_a_new_interpreter_per_job(team, tmp_path, monkeypatch):
    monkeypatch.setenv("GREENLIGHT_WORKER_START", "spawn")
    report = _fit(team, tmp_path, monkeypatch, "spawned")
    assert report["parent"] == os.getpid() and report["mark"] == "spawned" and report["session_leader"]


def test_a_dead_fork_server_is_replaced_by_the_next_job(team, tmp_path, monkeypatch):
    _fit(team, tmp_path, monkeypatch, "before")
    dead = ForkServer.get()
    os.kill(dead.process.pid, signal.SIGKILL)
    dead.process.wait()
    after = _fit(team, tmp_path, monkeypatch, "after")
    assert after["mark"] == "after" and after["parent"] not in (dead.process.pid, os.getpid())


def test_a_job_that_dies_is_reported_with_its_exit_code_and_last_words(tmp_path):
    folder = tmp_path / "crash"
    folder.mkdir()
    (folder / "model.py").write_text(textwrap.dedent("""\
        import os
        import sys


        def build():
            print("the native library gave up", file=sys.stderr, flush=True)
            os._exit(3)
        """))
    frame = synthetic_classification(40)
    with pytest.raises(StageFailed) as caught:
        fit_in_fresh_process(factory="model:build", folder=folder, task="classification", X=frame[["income"]],
                             y=(frame["label"] == frame["label"].iloc[0]).to_numpy().astype(int), limits=Limits())
    assert caught.value.message.startswith("Training crashed (exit code 3): the native library gave up")


def test_a_job_is_lost_not_hung_when_its_server_dies_under_it(tmp_path):
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "model.py").write_text("import time\n\n\ndef build():\n    time.sleep(60)\n")
    frame = synthetic_classification(40)
    server = ForkServer.get()
    original = server.start

    def start_then_kill_the_server(*args, **kwargs):
        pid = original(*args, **kwargs)
        os.kill(server.process.pid, signal.SIGKILL)
        return pid

    server.start = start_then_kill_the_server
    try:
        with pytest.raises(StageFailed, match="Training was lost: the worker's fork server stopped while the job ran"):
            fit_in_fresh_process(factory="model:build", folder=folder, task="classification", X=frame[["income"]],
                                 y=(frame["label"] == frame["label"].iloc[0]).to_numpy().astype(int), limits=Limits())
    finally:
        server.process.wait()
    assert fresh_process.ForkServer.get() is not server  # the next job gets a new one
