"""The monitoring job on logs written through the real prediction log: shifts found and named,
quiet logs left quiet, estimates beside realised figures, re-runs that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from backend.monitoring import MonitoringStore, model_health, run_monitoring
from tests.backend.monitoring.conftest import IMPORTANCE, SCHEMA, day, population
from tests.serving_factories import log_predictions, monitored_version

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def watched(app):
    X, y, s = population(4000, 0)
    return monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE,
                             sensitive=["sex"])


def _run(app, **options):
    return run_monitoring(app, actor="tester", now=NOW, **options)


def _periods(report, model="watched"):
    return {p["start"]: p for p in report.models[model]}


def test_a_known_shift_is_detected_and_named_and_a_quiet_day_raises_nothing(app, log, watched):
    quiet, shifted = population(3000, 1), population(3000, 2, income_shift=0.5, north_share=0.5)
    log_predictions(log, "watched", watched, quiet[0], quiet[2], day(0), schema=SCHEMA)
    log_predictions(log, "watched", watched, shifted[0], shifted[2], day(1), schema=SCHEMA)
    periods = _periods(_run(app))

    calm = periods[day(0).isoformat()]
    assert calm["drift"]["available"] and calm["drift"]["flagged"] == []
    assert calm["alerts"] == []

    moved = periods[day(1).isoformat()]
    assert sorted(moved["drift"]["flagged"]) == ["income", "region"]
    by_feature = {f["feature"]: f for f in moved["drift"]["features"]}
    assert by_feature["income"]["test"] == "ks" and by_feature["region"]["test"] == "chi2"
    assert by_feature["income"]["statistic"] > by_feature["income"]["threshold"]
    assert not by_feature["tenure"]["flagged"] and not by_feature["sex"]["flagged"]
    # ranked by how much the feature matters to the model
    assert [f["feature"] for f in moved["drift"]["features"]] == IMPORTANCE
    [alert] = [a for a in moved["alerts"] if a["kind"] == "drift"]
    assert alert["severity"] in ("warning", "critical")
    assert "2 of 4 inputs shifted on 2 Nov 2026" in alert["sentence"]
    assert "the largest shift is in region (PSI 0.30, a major shift), the model's second most important input" in \
        alert["sentence"]


def test_no_drift_over_many_days_flags_nothing(app, log, watched):
    for d in range(6):
        X, _y, s = population(2500, 100 + d)
        log_predictions(log, "watched", watched, X, s, day(d), schema=SCHEMA)
    report = _run(app)
    assert all(p["drift"]["flagged"] == [] and p["alerts"] == [] for p in report.models["watched"])
    assert report.summary["alerts_raised"] == 0
    assert model_health(app, "watched").status == "healthy"


def test_a_small_window_needs_a_larger_shift_before_it_counts(app, log, watched):
    small, large = population(60, 3, income_shift=0.3), population(6000, 4, income_shift=0.3)
    log_predictions(log, "watched", watched, small[0], small[2], day(0), schema=SCHEMA)
    log_predictions(log, "watched", watched, large[0], large[2], day(1), schema=SCHEMA)
    periods = _periods(_run(app))
    income = {d: {f["feature"]: f for f in periods[day(d).isoformat()]["drift"]["features"]}["income"] for d in (0, 1)}
    assert income[0]["threshold"] > 3 * income[1]["threshold"]
    assert not income[0]["flagged"] and income[1]["flagged"]


def test_a_period_without_outcomes_shows_drift_but_no_performance_figure_and_says_why(app, log, watched):
    X, _y, s = population(2000, 5, income_shift=0.6)
    log_predictions(log, "watched", watched, X, s, day(0), schema=SCHEMA)
    [period] = _run(app).models["watched"]
    assert period["drift"]["flagged"] == ["income"]
    performance = period["performance"]
    assert performance["realised"] is None and performance["labelled"] == 0
    assert performance["reason"].startswith("No outcomes have arrived yet for the 2,000 predictions of this period")
    assert performance["kind"] == "estimated"
    assert all(m["is_estimate"] for m in performance["estimated"]["metrics"].values())
    assert "calibrated" in performance["estimated"]["assumption"]
    assert period["fairness"]["reason"] == "Fairness needs outcomes, and none have arrived for this period yet."


def test_estimated_performance_tracks_the_realised_figure_under_covariate_shift(app, log, watched):
    X, y, s = population(5000, 6, income_shift=1.0, north_share=0.6)
    log_predictions(log, "watched", watched, X, s, day(0), schema=SCHEMA, outcomes=y, outcome_day=day(3))
    [period] = _run(app).models["watched"]
    performance = period["performance"]
    assert performance["kind"] == "realised" and performance["labelled"] == 5000
    realised, estimated = performance["realised"], performance["estimated"]["metrics"]
    baseline = app.registry.get_version("watched", watched).metrics
    assert abs(realised["accuracy"]["value"] - baseline["accuracy"]) > 0.02, "the shift changes accuracy"
    for metric in ("roc_auc", "accuracy", "recall", "brier"):
        assert abs(estimated[metric]["value"] - realised[metric]["value"]) < 0.02, metric
        assert performance["comparison"][metric]["within"], metric


def test_a_miscalibrated_model_gets_no_estimate_and_the_report_says_why(app, log):
    X, y, s = population(4000, 7)
    overconfident = 1 / (1 + np.exp(-3 * np.log(s / (1 - s))))
    version = monitored_version(app, "overconfident", reference=X, y=y, scores=overconfident, schema=SCHEMA)
    Xp, _yp, sp = population(2000, 8)
    log_predictions(log, "overconfident", version, Xp, 1 / (1 + np.exp(-3 * np.log(sp / (1 - sp)))), day(0),
                    schema=SCHEMA)
    [period] = _run(app, model="overconfident").models["overconfident"]
    estimate = period["performance"]["estimated"]
    assert estimate["assumption_holds"] is False and estimate["metrics"] is None
    assert "not calibrated on the test set" in estimate["calibration"]
    assert period["performance"]["kind"] is None


def test_concept_drift_shows_as_an_estimate_the_outcomes_contradict_and_recommends_retraining(app, log, watched):
    X, y, s = population(5000, 9, concept=1.0)
    log_predictions(log, "watched", watched, X, s, day(0), schema=SCHEMA, outcomes=y, outcome_day=day(2))
    [period] = _run(app).models["watched"]
    comparison = period["performance"]["comparison"]
    assert not comparison["roc_auc"]["within"], "the outcomes contradict the estimate: its assumption failed"
    assert period["performance"]["realised"]["roc_auc"]["status"] in ("degraded", "below_gate")
    [alert] = [a for a in period["alerts"] if a["kind"] == "performance"]
    assert alert["retraining"] == {"spec": "/specs/watched/greenlight.toml",
                                   "command": "greenlight pipeline run /specs/watched/greenlight.toml"}
    assert alert["sentence"].startswith("ROC AUC fell to ")
    assert "Retraining recommended: run `greenlight pipeline run /specs/watched/greenlight.toml`." in alert["sentence"]
    health = model_health(app, "watched")
    assert health.status == "degraded" and health.retraining_recommended


def test_a_rerun_changes_nothing_and_a_new_day_is_read_alone(app, log, watched):
    for d in range(3):
        X, y, s = population(1500, 20 + d, income_shift=0.4 * d)
        log_predictions(log, "watched", watched, X, s, day(d), schema=SCHEMA, outcomes=y if d else None)
    first = _run(app, period="week")
    store = MonitoringStore(app.db)
    before = ([(p.start, p.result, p.computed_at) for p in store.periods("watched", "week")], store.alerts())
    second = _run(app, period="week")
    assert second.summary == {**second.summary, "days_read": 0, "outcome_days_read": 0, "periods_judged": 0,
                              "alerts_raised": 0}
    assert second.models == first.models
    assert ([(p.start, p.result, p.computed_at) for p in store.periods("watched", "week")], store.alerts()) == before

    X, _y, s = population(1500, 30)
    log_predictions(log, "watched", watched, X, s, day(3), schema=SCHEMA)
    third = _run(app, period="week")
    assert third.summary["days_read"] == 1 and third.summary["periods_judged"] == 1


def test_late_outcomes_turn_an_estimate_into_a_realised_figure(app, log, watched):
    X, y, s = population(2000, 40)
    ids = log_predictions(log, "watched", watched, X, s, day(0), schema=SCHEMA)
    assert _periods(_run(app))[day(0).isoformat()]["performance"]["kind"] == "estimated"
    log.write_feedback("watched", [{"request_id": rid, "ts": datetime(2026, 11, 20, tzinfo=UTC), "simulated": True,
                                    "outcome": "yes" if outcome else "no"} for rid, outcome in zip(ids, y, strict=True)])
    report = _run(app)
    assert report.summary["outcome_days_read"] == 1
    assert _periods(report)[day(0).isoformat()]["performance"]["kind"] == "realised"


def test_a_version_without_reference_data_says_no_reference_is_stored(app, log):
    X, y, s = population(2000, 11)
    version = monitored_version(app, "old-model", reference=X, y=y, scores=s, schema=SCHEMA, with_reference=False)
    log_predictions(log, "old-model", version, X, s, day(0), schema=SCHEMA)
    [period] = _run(app, model="old-model").models["old-model"]
    assert not period["drift"]["available"]
    assert period["drift"]["reason"].startswith(f"No reference stored for version {version} of 'old-model'")
    assert period["performance"]["kind"] == "estimated", "scores are still monitored"


def test_fairness_over_time_uses_the_reports_checks_with_intervals(app, log, watched):
    X, y, s = population(6000, 12)
    women = (X["sex"] == "female").to_numpy()
    s = np.where(women, s * 0.3, s)  # the model now rarely selects women
    log_predictions(log, "watched", watched, X, s, day(0), schema=SCHEMA, outcomes=y, outcome_day=day(1))
    [period] = _run(app).models["watched"]
    fairness = period["fairness"]
    assert fairness["available"] and fairness["verdict"] == "fail"
    ratio = next(c for c in fairness["checks"] if c["feature"] == "sex" and c["metric"] == "demographic_parity_ratio")
    assert ratio["verdict"] == "fail" and ratio["low"] <= ratio["value"] <= ratio["high"] < 0.8
    [alert] = [a for a in period["alerts"] if a["kind"] == "fairness"]
    assert alert["sentence"].startswith("Demographic parity ratio for sex is ")


def test_a_regression_model_gets_realised_errors_against_its_band_and_no_estimate(app, log):
    X, _y, s = population(3000, 13)
    target = 100 + 20 * s + np.random.default_rng(0).normal(0, 2, len(s))
    prediction = 100 + 20 * s
    version = monitored_version(app, "amounts", reference=X, y=target, scores=prediction, schema=SCHEMA,
                                task="regression", positive_label=None)
    Xp, _yp, sp = population(2000, 14)
    truth = 100 + 20 * sp + np.random.default_rng(1).normal(0, 6, len(sp))  # errors three times larger
    log_predictions(log, "amounts", version, Xp, 100 + 20 * sp, day(0), schema=SCHEMA, outcomes=truth,
                    outcome_day=day(1), positive_label=None)
    [period] = _run(app, model="amounts").models["amounts"]
    performance = period["performance"]
    assert performance["kind"] == "realised" and performance["estimated"] is None
    rmse = performance["realised"]["rmse"]
    assert rmse["low"] <= rmse["value"] <= rmse["high"] and 5 < rmse["value"] < 7
    assert rmse["status"] == "degraded" and rmse["value"] > rmse["band_high"]
    [alert] = [a for a in period["alerts"] if a["kind"] == "performance"]
    assert alert["sentence"].startswith("RMSE rose to ") and alert["retraining"]
    assert period["fairness"]["reason"] == "Fairness over time is measured for classifiers (yes/no decisions)."


def test_the_log_can_live_on_any_fsspec_filesystem(app):
    import uuid

    from backend.registry.prediction_log import PredictionLog

    remote = PredictionLog(f"memory://greenlight-{uuid.uuid4().hex[:8]}")
    X, y, s = population(2000, 15)
    version = monitored_version(app, "remote", reference=X, y=y, scores=s, schema=SCHEMA)
    Xp, yp, sp = population(1500, 16, income_shift=0.6)
    log_predictions(remote, "remote", version, Xp, sp, day(0), schema=SCHEMA, outcomes=yp, outcome_day=day(1))
    [period] = _run(app, model="remote", log=remote).models["remote"]
    assert period["drift"]["flagged"] == ["income"] and period["performance"]["labelled"] == 1500
