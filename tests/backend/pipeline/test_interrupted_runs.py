"""A run is never left "running": a signal, a killed process or a lost machine all end as
failed ("interrupted"), recognised by the process itself or by the next reader."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from backend.cli import main
from backend.db.types import utcnow
from backend.registry.states import State
from tests.factories import credit_spec_dir, new_version

SLOW_FACTORY = """
import time
from pathlib import Path

from sklearn.dummy import DummyClassifier


class SlowToFit(DummyClassifier):
    def fit(self, X, y):
        Path(__file__).with_name("fitting").write_text("now")
        time.sleep(120)
        return super().fit(X, y)


def build():
    return SlowToFit()
"""


def _start_slow_run(tmp_path, ci_token) -> tuple[subprocess.Popen, os.PathLike]:
    spec = credit_spec_dir(tmp_path)
    (spec.parent / "slow.py").write_text(SLOW_FACTORY)
    env = {**os.environ, "GREENLIGHT_TOKEN": ci_token, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-c", "import sys; from backend.cli import main; sys.exit(main())",
                                "pipeline", "run", str(spec), "--factory", "slow:build"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = spec.parent / "fitting"
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never reached training: {process.communicate()}")
        time.sleep(0.1)
    return process, spec


def _build_stage(app):
    return app.registry.list_stage_runs("credit-risk", 1)[0]


@pytest.mark.parametrize(("sig", "exit_code", "name"), [(signal.SIGTERM, 143, "SIGTERM"),
                                                        (signal.SIGINT, 130, "SIGINT")])
def test_a_signal_during_build_marks_the_stage_and_version_failed(app, ci_token, tmp_path, sig, exit_code, name):
    process, _ = _start_slow_run(tmp_path, ci_token)
    stage = _build_stage(app)
    assert (stage.stage, stage.status, stage.pid) == ("build", "running", process.pid)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == exit_code, err
    version = app.registry.get_version("credit-risk", 1)
    assert version.state == State.FAILED and version.failure_reason == f"build: interrupted ({name})"
    stage = _build_stage(app)
    assert stage.status == "failed" and stage.finished_at is not None
    assert stage.messages == [f"Interrupted by {name} while the build stage ran; nothing stored before was lost."]


def test_a_killed_run_is_recognised_by_the_next_command(app, ci_token, tmp_path, capsys):
    process, _ = _start_slow_run(tmp_path, ci_token)
    process.kill()
    process.communicate(timeout=30)
    assert _build_stage(app).status == "running", "nobody could write anything: the process is gone"
    assert main(["models", "list"]) == 0  # any command that meets the registry
    capsys.readouterr()
    version = app.registry.get_version("credit-risk", 1)
    stage = _build_stage(app)
    assert version.state == State.FAILED and "interrupted" in version.failure_reason
    assert stage.status == "failed" and f"pid {process.pid}" in stage.messages[-1]
    entry = app.registry.audit_log(action_prefix="version.state", limit=1)[0]
    assert entry.detail["to"] == "failed" and entry.actor == "greenlight"


def test_pipeline_recover_on_demand(app, ci_token, tmp_path, capsys):
    process, _ = _start_slow_run(tmp_path, ci_token)
    process.kill()
    process.communicate(timeout=30)
    from backend.cli.base import cli

    result = cli.main(["pipeline", "recover"], standalone_mode=False, prog_name="greenlight")
    assert result is None
    out = capsys.readouterr().out
    # open_app already recovered it before the command body ran; the command says nothing is left
    assert "No stage is stranded" in out or "marked failed" in out
    assert _build_stage(app).status == "failed"


def test_a_silent_stage_on_another_machine_waits_for_its_lease(app):
    number = new_version(app, "loan-model")
    run_id = app.registry.start_stage("loan-model", number, "build")
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE stage_runs SET host = 'build-runner-7', pid = 4242, heartbeat_at = :at WHERE id = :id"),
                     {"at": utcnow() - timedelta(seconds=60), "id": run_id})
    assert app.registry.recover_stranded() == [], "a minute of silence is within the lease"
    assert app.registry.list_stage_runs("loan-model", number)[0].status == "running"
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE stage_runs SET heartbeat_at = :at WHERE id = :id"),
                     {"at": utcnow() - timedelta(minutes=10), "id": run_id})
    [closed] = app.registry.recover_stranded()
    assert closed.status == "failed" and "pid 4242 on build-runner-7" in closed.messages[-1]
    assert "no sign of life for 10 minutes" in closed.messages[-1]
    assert app.registry.get_version("loan-model", number).state == State.FAILED


def test_a_heartbeat_keeps_a_long_stage_alive(app):
    number = new_version(app, "loan-model")
    run_id = app.registry.start_stage("loan-model", number, "build")
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE stage_runs SET host = 'elsewhere', heartbeat_at = :at WHERE id = :id"),
                     {"at": utcnow() - timedelta(minutes=10), "id": run_id})
    app.registry.heartbeat(run_id)
    assert app.registry.recover_stranded() == []


def test_a_stage_run_by_this_very_process_is_not_stranded(app):
    number = new_version(app, "loan-model")
    app.registry.start_stage("loan-model", number, "build")
    assert app.registry.recover_stranded() == []
