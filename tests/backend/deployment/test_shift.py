"""A gradual shift of simulated traffic: nothing at its start, all of it now, in between as the
days go; rows, their inputs and their outcomes all drawn from the seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from backend.deployment.server import local_gateway
from backend.deployment.shift import GradualShift, OutcomeShift
from backend.deployment.simulate import simulate_traffic
from backend.errors import InvalidData
from backend.registry.prediction_log import PredictionLog
from tests.factories import put_in_production, synthetic_classification, trained_version, write_spec

SHIFT = GradualShift(days=60, grow={"income": 1.5}, share={"region": ("east", 0.6)},
                     outcome=OutcomeShift(feature="region", value="north", outcome="no", share=0.8))


@pytest.fixture
def rows() -> tuple[pd.DataFrame, pd.Series]:
    frame = synthetic_classification(400, seed=5)
    frame.loc[::7, "income"] = np.nan  # missing values stay missing
    return frame.drop(columns=["label"]), frame["label"]


def test_progress_runs_from_nothing_at_the_start_to_all_of_it_now():
    now = datetime(2026, 6, 30, tzinfo=UTC)
    assert SHIFT.progress(now - timedelta(days=90), now) == 0.0
    assert SHIFT.progress(now - timedelta(days=30), now) == pytest.approx(0.5)
    assert SHIFT.progress(now, now) == 1.0 and SHIFT.progress(None, now) == 1.0


def test_at_its_start_the_rows_are_the_held_back_ones_unchanged(rows):
    features, outcomes = rows
    rng = np.random.default_rng(0)
    start = np.zeros(20_000)
    picks = SHIFT.draw(features, start, rng)
    drawn = SHIFT.apply(features.iloc[picks], start, rng)
    pd.testing.assert_series_equal(drawn["income"], features["income"].iloc[picks].reset_index(drop=True))
    assert (drawn["region"] == "east").mean() == pytest.approx((features["region"] == "east").mean(), abs=0.02)
    assert (SHIFT.outcomes(drawn, outcomes.iloc[picks], start, rng) == outcomes.iloc[picks].to_numpy()).all()


def test_at_its_end_inputs_have_grown_a_share_has_moved_and_outcomes_turned(rows):
    features, outcomes = rows
    rng = np.random.default_rng(1)
    end = np.ones(20_000)
    picks = SHIFT.draw(features, end, rng)
    drawn = SHIFT.apply(features.iloc[picks], end, rng)
    before = features["income"].iloc[picks].to_numpy()
    assert np.nanmean(drawn["income"]) == pytest.approx(1.5 * np.nanmean(before), rel=0.03)
    assert drawn["income"].isna().sum() == np.isnan(before).sum()
    assert (drawn["region"] == "east").mean() == pytest.approx(0.6, abs=0.02)
    assert drawn["tenure"].equals(features["tenure"].iloc[picks].reset_index(drop=True))  # not shifted
    turned = SHIFT.outcomes(drawn, outcomes.iloc[picks], end, rng)
    north = (drawn["region"] == "north").to_numpy()
    was_yes = outcomes.iloc[picks].to_numpy() == "yes"
    assert (turned[north & was_yes] == "no").mean() == pytest.approx(0.8, abs=0.05)
    assert (turned[~north] == outcomes.iloc[picks].to_numpy()[~north]).all()


def test_a_shift_naming_what_the_rows_do_not_have_is_refused(rows):
    features, outcomes = rows
    with pytest.raises(InvalidData, match="'salary'"):
        GradualShift(days=10, grow={"salary": 1.2}).check(features, outcomes)
    with pytest.raises(InvalidData, match="not a numeric input"):
        GradualShift(days=10, grow={"region": 1.2}).check(features, outcomes)
    with pytest.raises(InvalidData, match="no held-back row"):
        GradualShift(days=10, share={"region": ("mars", 0.2)}).check(features, outcomes)


@pytest.mark.gateway
def test_shifted_traffic_goes_through_the_gateway_in_batches_and_drifts_day_by_day(sqlite_app, tmp_path):
    folder = tmp_path / "spec"
    folder.mkdir()
    synthetic_classification(200, seed=1).to_csv(folder / "train.csv", index=False)
    synthetic_classification(80, seed=2).to_csv(folder / "test.csv", index=False)
    spec = str(write_spec(folder, name="loan-model"))
    app = sqlite_app
    put_in_production(app, "loan-model", trained_version(app, "loan-model", spec_path=spec))
    with local_gateway(app.settings, refresh_seconds=0.5) as url:
        result = simulate_traffic(app, "loan-model", requests=300, rows_per_request=20, days=60, shift=SHIFT,
                                  outcome_delay_hours=14 * 24, gateway_url=url, seed=3)
    assert (result.requests, result.rows, result.by_slot) == (300, 6000, {"production": 300})
    log = PredictionLog(app.artifacts.root)
    predictions = log.read("predictions", "loan-model").to_pandas()
    assert len(predictions) == 6000 and predictions["simulated"].all()
    assert predictions.groupby("routing_key")["ts"].nunique().eq(1).all()  # a batch: one key, one time
    now = datetime.now(UTC)
    age = (now - predictions["ts"]).dt.days
    first, last = predictions[age >= 50], predictions[age < 10]
    assert last["input:income"].mean() > 1.3 * first["input:income"].mean()
    assert (last["input:region"] == "east").mean() > (first["input:region"] == "east").mean() + 0.2
    assert abs(last["input:tenure"].mean() - first["input:tenure"].mean()) < 2

    feedback = log.read("feedback", "loan-model").to_pandas()
    assert len(feedback) == result.outcomes_sent and 0.2 < result.outcomes_pending / 6000 < 0.27
    joined = feedback.merge(predictions, on="request_id", suffixes=("_outcome", ""))
    assert ((joined["ts_outcome"] - joined["ts"]) == timedelta(days=14)).all()
    north = joined[joined["input:region"] == "north"]
    early, late = north[(now - north["ts"]).dt.days >= 45], north[(now - north["ts"]).dt.days < 25]
    assert (late["outcome"] == "yes").mean() < (early["outcome"] == "yes").mean() - 0.2
