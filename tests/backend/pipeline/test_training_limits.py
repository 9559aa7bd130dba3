"""The fit runs in a child process under the organisation's time and memory limits; a fit that
passes one is stopped, the build fails naming the limit and how to raise it, and nothing stored
before is lost."""

from __future__ import annotations

import os
import textwrap

from backend.cli import main
from backend.governance.accounts import operator
from backend.pipeline import training
from tests.factories import person, synthetic_classification, write_spec

SLOW_FIT = textwrap.dedent("""\
    import os, signal, time
    from sklearn.linear_model import LogisticRegression

    class Patient(LogisticRegression):
        def fit(self, X, y):
            with open({pid_file!r}, "w") as out:
                out.write(str(os.getpid()))
            if {deaf}:  # a fit stuck where no timer reaches it
                signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGALRM}})
            for _ in range(600):
                time.sleep(0.1)
            return super().fit(X, y)

    def build():
        return Patient()
    """)

GREEDY_FIT = textwrap.dedent("""\
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    class Greedy(LogisticRegression):
        def fit(self, X, y):
            self.hoard_ = np.ones((3_000, 1_000_000))  # 24 GB
            return super().fit(X, y)

    def build():
        return Greedy()
    """)


def _spec(tmp_path, factory_source: str):
    folder = tmp_path / "slow-model"
    spec = write_spec(folder, name="slow-model")
    synthetic_classification(200).to_csv(folder / "train.csv", index=False)
    synthetic_classification(80, seed=1).to_csv(folder / "test.csv", index=False)
    (folder / "model.py").write_text(factory_source)
    return spec


def _set_limits(app, **limits):
    doc = app.org_policy.current()
    doc["limits"].update(limits)
    app.org_policy.update(doc, actor=operator())


def _run(spec, capsys):
    code = main(["pipeline", "run", str(spec)])  # as dana, through the API token in GREENLIGHT_TOKEN
    return code, capsys.readouterr().err


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie waiting for its parent counts as gone: it runs no more.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1].startswith("Z")


def _assert_build_failed(app, expected: str):
    version = app.registry.get_version("slow-model", 1)
    assert version.state == "failed" and expected in version.failure_reason
    [build] = app.registry.list_stage_runs("slow-model", 1)
    assert (build.stage, build.status) == ("build", "failed")
    assert not any(a.kind == "model" for a in app.registry.list_artifacts("slow-model", 1))


def test_a_fit_past_the_time_limit_is_stopped_naming_the_limit(app, cli_env, ci_token, tmp_path, capsys):
    pid_file = tmp_path / "fit.pid"
    spec = _spec(tmp_path, SLOW_FIT.format(pid_file=str(pid_file), deaf=False))
    _set_limits(app, max_train_seconds=2)  # the fit alone would take a minute
    code, err = _run(spec, capsys)
    assert code == 1 and "failed at build" in err
    expected = ("Training was stopped after 2 s, the longest a fit may take. This is the organisation's limit "
                "limits.max_train_seconds = 2")
    assert expected in err and "`greenlight policy set --max-train-seconds N`" in err
    _assert_build_failed(app, expected)
    assert _process_gone(int(pid_file.read_text()))


def test_a_fit_that_no_timer_reaches_is_killed_with_what_it_started(app, cli_env, ci_token, tmp_path, capsys, monkeypatch):
    pid_file = tmp_path / "fit.pid"
    spec = _spec(tmp_path, SLOW_FIT.format(pid_file=str(pid_file), deaf=True))
    _set_limits(app, max_train_seconds=1)
    monkeypatch.setattr(training, "STARTUP_ALLOWANCE_S", 8)  # the parent's own deadline: limit + allowance
    code, err = _run(spec, capsys)
    assert code == 1 and "Training was stopped after 1 s" in err and "limits.max_train_seconds = 1" in err
    _assert_build_failed(app, "limits.max_train_seconds = 1")
    if pid_file.exists():  # the fit started before the deadline: it must not outlive the run
        assert _process_gone(int(pid_file.read_text()))


def test_a_fit_past_the_memory_limit_is_refused_naming_the_limit(app, cli_env, ci_token, tmp_path, capsys):
    spec = _spec(tmp_path, GREEDY_FIT)
    _set_limits(app, max_train_memory_mb=700)
    code, err = _run(spec, capsys)
    assert code == 1 and "failed at build" in err
    expected = ("Training needed more memory than the 700 MB it may use. This is the organisation's limit "
                "limits.max_train_memory_mb = 700")
    assert expected in err and "`greenlight policy set --max-train-memory-mb N`" in err
    assert "crashed" not in err and "signal" not in err  # refused by the child itself, not killed
    _assert_build_failed(app, expected)


def test_the_limits_in_force_are_recorded_with_the_build(sqlite_app, tmp_path):
    from backend.pipeline.build import run_build
    from backend.pipeline.context import RunContext
    from backend.pipeline.spec import load_spec
    from tests.factories import LOGISTIC_FACTORY

    spec = load_spec(_spec(tmp_path, LOGISTIC_FACTORY))
    _set_limits(sqlite_app, max_train_seconds=600, max_rows=10_000)
    ana = person(sqlite_app, "ana")
    sqlite_app.registry.upsert_model(spec.model, actor=ana)
    sqlite_app.registry.create_version("slow-model", author=ana)
    ctx = RunContext(app=sqlite_app, spec=spec, version=1, actor=ana.username, progress=lambda *_: None, factory=spec.factory)
    outcome = run_build(ctx)
    assert outcome.passed
    assert outcome.evidence["limits"]["max_train_seconds"] == 600 and outcome.evidence["limits"]["max_rows"] == 10_000
    assert outcome.evidence["training_peak_memory_mb"] > 0
