"""Every bad input: a message naming the problem, a failed stage (or refused command)
recorded, a non-zero exit code, and nothing stored before lost."""

from __future__ import annotations

import gzip

import pytest

from backend.cli import main
from backend.governance import audit
from backend.pipeline import runner
from tests.factories import credit_spec_dir


@pytest.fixture
def earlier_version(app):
    """Something stored before the bad run: a version with an artifact and a stage run."""
    from tests.factories import new_version

    new_version(app, "credit-risk", author="ana")
    blob = app.artifacts.put_bytes(b"an earlier model")
    ref = app.registry.add_artifact("credit-risk", 1, kind="model", uri=blob.uri, sha256=blob.sha256,
                                    size_bytes=blob.size_bytes, actor="ana")
    run = app.registry.start_stage("credit-risk", 1, "build")
    app.registry.finish_stage(run, status="passed", messages=["ok"], evidence={"x": 1})
    return ref


def _assert_nothing_lost(app, ref):
    assert app.registry.get_version("credit-risk", 1).state == "registered"
    assert app.artifacts.read_bytes(app.registry.get_artifact("credit-risk", 1, "model")) == b"an earlier model"
    assert [r.evidence for r in app.registry.list_stage_runs("credit-risk", 1)] == [{"x": 1}]
    with app.db.read() as session:
        assert audit.verify(session=session).intact


def _run(spec, capsys, *args):
    code = main(["pipeline", "run", str(spec), *args])
    return code, capsys.readouterr()


def _failed_build(app, expected: str):
    version = app.registry.get_version("credit-risk", 2)
    assert version.state == "failed"
    stage = app.registry.list_stage_runs("credit-risk", 2)[-1]
    assert (stage.stage, stage.status) == ("build", "failed")
    assert expected in stage.messages[0] and expected in version.failure_reason
    return stage


SPEC_PROBLEMS = {
    "does_not_parse": (lambda text: text.replace('[model]', '[model\n'), "is not valid TOML"),
    "no_target": (lambda text: text.replace('target = "credit_risk"\n', ""), "[data].target is missing"),
    "unknown_gate_metric": (lambda text: text.replace("recall = 0.3", "recal = 0.3"),
                            "[gates].min.recal is not a metric Greenlight measures"),
}


@pytest.mark.parametrize("problem", sorted(SPEC_PROBLEMS))
def test_bad_spec_is_refused_and_recorded(problem, app, ci_token, earlier_version, tmp_path, capsys):
    spec = credit_spec_dir(tmp_path)
    change, expected = SPEC_PROBLEMS[problem]
    spec.write_text(change(spec.read_text()))
    code, out = _run(spec, capsys)
    assert code == 2
    assert expected in out.err
    assert app.registry.get_model("credit-risk").latest_version == 1  # no version was created
    refusals = app.registry.audit_log(action_prefix="pipeline.refused")
    assert refusals and expected in refusals[0].detail["reason"]
    _assert_nothing_lost(app, earlier_version)


def _missing_file(folder):
    (folder / "data" / "train.csv.gz").unlink()
    return "train.csv.gz does not exist"


def _no_target_column(folder):
    path = folder / "data" / "test.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines[0] = lines[0].replace("credit_risk", "outcome")
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    return "has no column 'credit_risk'"


def _one_class(folder):
    path = folder / "data" / "train.csv.gz"
    text = gzip.decompress(path.read_bytes()).decode().replace(",bad,", ",good,")
    path.write_bytes(gzip.compress(text.encode()))
    return "only one value ('good')"


def _empty_file(folder):
    (folder / "data" / "test.csv.gz").write_bytes(b"")
    return "test.csv.gz is empty"


def _text_in_numbers(folder):
    path = folder / "data" / "train.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    cells = lines[5].split(",")
    cells[1] = "thirty-six"  # duration_months
    lines[5] = ",".join(cells)
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    return "Column 'duration_months' in the training data holds text where numbers are expected: 'thirty-six' on line 6"


def _factory_raises(folder):
    (folder / "model.py").write_text("def build():\n    raise RuntimeError('GPU quota exhausted')\n")
    return "The estimator factory 'model:build' raised RuntimeError: GPU quota exhausted"


DATA_PROBLEMS = {f.__name__.strip("_"): f for f in
                 (_missing_file, _no_target_column, _one_class, _empty_file, _text_in_numbers, _factory_raises)}


@pytest.mark.parametrize("problem", sorted(DATA_PROBLEMS))
def test_bad_data_fails_the_build_stage(problem, app, ci_token, earlier_version, tmp_path, capsys):
    spec = credit_spec_dir(tmp_path)
    expected = DATA_PROBLEMS[problem](spec.parent)
    code, out = _run(spec, capsys)
    assert code == 1
    assert expected in out.err and "failed at build" in out.err
    _failed_build(app, expected)
    _assert_nothing_lost(app, earlier_version)


def test_changed_model_file_fails_the_smoke_checks(app, ci_token, earlier_version, tmp_path, capsys, monkeypatch):
    real_build = runner.STAGES[0][1]

    def build_then_tamper(ctx):
        outcome = real_build(ctx)
        path = ctx.app.artifacts.path_of(ctx.model_ref)
        path.chmod(0o644)
        path.write_bytes(path.read_bytes() + b"\x00")
        return outcome

    monkeypatch.setattr(runner, "STAGES", [("build", build_then_tamper, runner.STAGES[0][2]), *runner.STAGES[1:]])
    code, out = _run(credit_spec_dir(tmp_path), capsys)
    assert code == 1
    assert "failed at smoke_checks" in out.err
    assert "model artifact of credit-risk version 2" in out.err and "changed after it was stored" in out.err
    stage = app.registry.list_stage_runs("credit-risk", 2)[-1]
    assert (stage.stage, stage.status) == ("smoke_checks", "failed")
    assert app.registry.get_version("credit-risk", 2).state == "failed"
    _assert_nothing_lost(app, earlier_version)
