"""The pipeline, end to end, on real data and a real database."""

from __future__ import annotations

import textwrap

import pytest

from backend.errors import ArtifactIntegrityError
from backend.pipeline import run_pipeline
from backend.pipeline.validation import load_version_model
from backend.registry.loaded_model import load_model
from backend.reports import load_model_card, load_reports
from tests.factories import (
    LOGISTIC_FACTORY,
    credit_spec_dir,
    person,
    put_in_production,
    synthetic_classification,
    write_spec,
)


def _stage(result, name):
    return next(s for s in result.stages if s.stage == name)


def test_full_run_records_every_stage_and_the_lineage(app, tmp_path):
    spec = credit_spec_dir(tmp_path)
    lines = []
    result = run_pipeline(app, spec, commit="0a1b2c3d", actor=person(app, "ana"), progress=lambda s, m: lines.append((s, m)))
    assert result.passed, result.reason
    assert [(s.stage, s.status) for s in result.stages] == [
        ("build", "passed"), ("smoke_checks", "passed"), ("reports", "passed"), ("test_validation", "passed"),
        ("manual_validation", "waiting")]
    assert result.waiting_for == ("business_owner", "risk", "compliance")
    assert all(s.duration_s is not None and s.duration_s >= 0 for s in result.stages[:-1])
    assert result.stages[-1].duration_s is None  # sign-off is still open
    assert ("build", "started") in lines and ("test_validation", "passed") in lines

    version = app.registry.get_version("credit-risk", 1)
    assert version.state == "awaiting_signoff"  # every automated stage passed; people take over
    assert (version.author, version.git_commit) == ("ana", "0a1b2c3d")
    assert version.spec_hash.startswith("sha256:") and version.data_fingerprint.startswith("sha256:")
    assert version.estimator == "Pipeline(ColumnTransformer → LogisticRegression)"
    assert version.params["model__C"] == 0.3
    assert version.input_schema["positive_label"] == "bad"
    assert 0.75 <= version.metrics["roc_auc"] <= 1
    for key in ("accuracy", "precision", "recall", "f1", "log_loss", "brier", "load_time_s", "latency_p50_ms",
                "latency_p95_ms", "latency_p99_ms", "throughput_rows_per_s", "model_size_mb", "peak_memory_mb"):
        assert key in version.metrics, key

    kinds = {a.kind: a for a in app.registry.list_artifacts("credit-risk", 1)}
    assert set(kinds) == {"model", "sample", "test_scores", "fairness_report", "explainability_report",
                          "model_card_md", "model_card_html", "reference_data"}  # the monitoring reference
    for ref in kinds.values():
        app.artifacts.verify(ref)

    build, smoke, reports, validation, _manual = result.stages
    assert build.evidence["artifact"]["sha256"] == kinds["model"].sha256
    assert build.evidence["data"]["train"]["rows"] == 700 and build.evidence["data"]["test"]["rows"] == 300
    assert {c["name"] for c in smoke.evidence["checks"]} >= {"loads", "shape", "no_missing", "probabilities",
                                                             "deterministic"}
    assert all(c["passed"] for c in smoke.evidence["checks"])
    assert validation.evidence["compute"]["latency_calls"] >= 200
    gates = {(g["metric"], g["bound"]): g for g in validation.evidence["gates"]}
    assert gates[("roc_auc", "min")]["passed"] and gates[("model_size_mb", "max")]["passed"]
    # Latency is measured and shown, never gated by default: a busy machine must not fail a good model.
    assert ("latency_p95_ms", "max") not in gates and version.metrics["latency_p95_ms"] > 0
    assert validation.evidence["champion"] is None
    assert validation.evidence["scores"]["sha256"] == kinds["test_scores"].sha256
    assert reports.evidence["fairness"]["artifact"]["sha256"] == kinds["fairness_report"].sha256
    assert reports.evidence["explainability"]["artifact"]["sha256"] == kinds["explainability_report"].sha256
    assert reports.evidence["explainability"]["explainer"] == "LinearExplainer"
    assert {c["feature"] for c in reports.evidence["fairness"]["checks"]} == {"sex", "age", "foreign_worker",
                                                                               "sex × age"}
    assert 3 <= len(reports.evidence["fairness"]["summary"]) <= 5
    assert ("reports", "passed") in lines and any(stage == "model_card" for stage, _ in lines)


def test_a_failed_gate_stops_with_a_readable_reason(app, tmp_path):
    spec = credit_spec_dir(tmp_path, factory="model:build_shallow_tree")
    result = run_pipeline(app, spec, actor=person(app, "ana"))
    assert not result.passed and result.failed_stage == "test_validation"
    assert "ROC AUC is 0.709, below the minimum of 0.750 set in the policy." in result.reason
    assert "Recall is 0.000, below the minimum of 0.300" in result.reason
    version = app.registry.get_version("credit-risk", 1)
    assert version.state == "failed"
    assert version.failure_reason.startswith("test_validation: Failed the policy gates")
    # The metrics are still recorded, so people can see how far off it was.
    assert version.metrics["roc_auc"] == pytest.approx(0.709, abs=5e-4)
    # A failed version still gets its reports and a model card that says why it stopped.
    card = load_model_card(app, "credit-risk", 1, "markdown").content.decode()
    assert "Stopped by the pipeline at test-environment validation: Failed the policy gates" in card
    assert card.count("ROC AUC is 0.709, below the minimum") == 2  # the reason in the status, the gate in the metrics
    assert "test_validation: test_validation" not in card and load_reports(app, "credit-risk", 1).complete


def test_a_fairness_fail_stops_the_pipeline_only_when_the_policy_says_so(app, tmp_path):
    spec = credit_spec_dir(tmp_path, gates="[gates]\nmin = { roc_auc = 0.7 }\nfairness_blocks = true")
    result = run_pipeline(app, spec, factory="model:build_forest", actor=person(app, "ana"))
    assert not result.passed and result.failed_stage == "reports"
    assert result.reason.startswith("Failed the fairness policy: Demographic parity ratio for age is")
    assert app.registry.get_version("credit-risk", 1).state == "failed"
    kinds = {a.kind for a in app.registry.list_artifacts("credit-risk", 1)}
    assert {"fairness_report", "explainability_report", "model_card_html", "model_card_md"} <= kinds


def test_challenger_is_compared_with_production_on_the_same_rows(app, tmp_path):
    spec = credit_spec_dir(tmp_path)
    assert run_pipeline(app, spec, actor=person(app, "ana")).passed
    put_in_production(app, "credit-risk", 1)
    result = run_pipeline(app, spec, factory="model:build_forest", actor=person(app, "ana"))
    assert result.passed, result.reason
    champion = _stage(result, "test_validation").evidence["champion"]
    assert champion["version"] == 1 and champion["primary_metric"] == "roc_auc"
    auc = champion["comparison"]["roc_auc"]
    assert auc["low"] <= auc["difference"] <= auc["high"]
    assert champion["verdict"] in ("better", "worse", "no clear difference")
    assert champion["metrics"]["roc_auc"] == pytest.approx(app.registry.get_version("credit-risk", 1).metrics["roc_auc"])
    gate = [g for g in _stage(result, "test_validation").evidence["gates"] if g["bound"] == "not_worse_than_production"]
    assert gate and gate[0]["passed"] == (champion["verdict"] != "worse")
    # The fairness report covers production too, on the same rows, and what changed since.
    fairness = load_reports(app, "credit-risk", 2).fairness
    (comparison,) = fairness["comparisons"]
    assert comparison["version"] == 1 and comparison["roles"] == ["production", "previous approved"]
    own = load_reports(app, "credit-risk", 1).fairness["features"][0]["checks"]
    assert [c["value"] for c in comparison["features"][0]["checks"]] == [c["value"] for c in own]
    change = next(c for c in comparison["changes"] if c["change"] is not None)
    assert change["change"] == pytest.approx(change["after"] - change["before"])
    assert change["low"] <= change["change"] <= change["high"]


def test_clearly_worse_challenger_fails_the_production_gate(app, tmp_path):
    spec = credit_spec_dir(tmp_path, gates="[gates]\nmin = { roc_auc = 0.5 }")
    assert run_pipeline(app, spec, actor=person(app, "ana")).passed
    put_in_production(app, "credit-risk", 1)
    result = run_pipeline(app, spec, factory="model:build_shallow_tree", actor=person(app, "ana"))
    assert not result.passed
    assert "worse than version 1 (the production version" in result.reason and "on ROC AUC" in result.reason


def test_hand_written_spec_for_new_data_runs_through(app, tmp_path):
    folder = tmp_path / "churn"
    spec = write_spec(folder, name="churn-model", sensitive='["region"]',
                      gates="[gates]\nmin = { roc_auc = 0.6 }\nmax = { model_size_mb = 50.0 }")
    synthetic_classification(800).to_csv(folder / "train.csv", index=False)
    synthetic_classification(300, seed=5).to_csv(folder / "test.csv", index=False)
    (folder / "model.py").write_text(LOGISTIC_FACTORY)
    result = run_pipeline(app, spec, actor=person(app, "kim"))
    assert result.passed, result.reason
    assert app.registry.get_version("churn-model", 1).state == "awaiting_signoff"


def test_hand_written_regression_spec(app, tmp_path):
    folder = tmp_path / "price"
    spec = write_spec(folder, name="house-price", task="regression", target="price", positive_label=None,
                      gates="[gates]\nmin = { r2 = 0.5 }")
    frame = synthetic_classification(600).drop(columns=["label"])
    frame["price"] = 3 * frame["income"] + 2 * frame["tenure"] + (frame["region"] == "north") * 20
    frame.iloc[:450].to_csv(folder / "train.csv", index=False)
    frame.iloc[450:].to_csv(folder / "test.csv", index=False)
    (folder / "model.py").write_text(textwrap.dedent("""\
        from sklearn.compose import ColumnTransformer, make_column_selector
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        def build():
            prepare = ColumnTransformer([
                ("c", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)),
            ], remainder="passthrough")
            return make_pipeline(prepare, Ridge())
        """))
    result = run_pipeline(app, spec, actor=person(app, "kim"))
    assert result.passed, result.reason
    metrics = app.registry.get_version("house-price", 1).metrics
    assert metrics["r2"] > 0.9 and "rmse" in metrics and "roc_auc" not in metrics


def test_tampered_artifact_is_never_loaded(sqlite_app, tmp_path):
    spec = credit_spec_dir(tmp_path)
    assert run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "ana")).passed
    ref = sqlite_app.registry.get_artifact("credit-risk", 1, "model")
    path = sqlite_app.artifacts.path_of(ref)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    version = sqlite_app.registry.get_version("credit-risk", 1)
    with pytest.raises(ArtifactIntegrityError, match="model artifact of credit-risk version 1"):
        load_model(sqlite_app.artifacts, ref, schema=version.input_schema["columns"], task="classification")


def test_champion_that_cannot_be_loaded_is_reported_not_fatal(sqlite_app, tmp_path):
    spec = credit_spec_dir(tmp_path)
    assert run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "ana")).passed
    put_in_production(sqlite_app, "credit-risk", 1)
    ref = sqlite_app.registry.get_artifact("credit-risk", 1, "model")
    sqlite_app.artifacts.path_of(ref).chmod(0o644)
    sqlite_app.artifacts.path_of(ref).write_bytes(b"garbage")
    result = run_pipeline(sqlite_app, spec, factory="model:build_forest", actor=person(sqlite_app, "ana"))
    assert result.passed
    champion = _stage(result, "test_validation").evidence["champion"]
    assert "changed after it was stored" in champion["error"]


def test_load_version_model_helper_uses_recorded_schema(sqlite_app, tmp_path):
    from backend.pipeline.context import RunContext
    from backend.pipeline.spec import load_spec

    spec_path = credit_spec_dir(tmp_path)
    assert run_pipeline(sqlite_app, spec_path, actor=person(sqlite_app, "ana")).passed
    ctx = RunContext(app=sqlite_app, spec=load_spec(spec_path), version=1, actor="a", progress=lambda *_: None,
                     factory="model:build")
    model = load_version_model(ctx, 1)
    assert set(model.schema) >= {"age", "sex", "checking_account"}
