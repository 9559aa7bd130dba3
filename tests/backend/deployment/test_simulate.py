"""Simulated traffic: held-back rows through the real routing and log, spread over days,
marked simulated, with their outcomes after a delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from backend.cli import cli, main
from backend.deployment.routing import choose_slot
from backend.deployment.server import local_gateway
from backend.deployment.simulate import simulate_traffic
from backend.errors import Conflict
from backend.registry.prediction_log import PredictionLog
from tests.factories import put_in_production, synthetic_classification, trained_version, write_spec
from tests.serving_factories import start_canary


@pytest.fixture
def spec_with_held_back_rows(tmp_path):
    folder = tmp_path / "spec"
    folder.mkdir()
    synthetic_classification(200, seed=1).to_csv(folder / "train.csv", index=False)
    synthetic_classification(80, seed=2).to_csv(folder / "test.csv", index=False)
    return str(write_spec(folder, name="loan-model"))


@pytest.mark.gateway
def test_simulated_traffic_goes_through_routing_and_the_log(sqlite_app, spec_with_held_back_rows):
    app = sqlite_app
    champion = trained_version(app, "loan-model", spec_path=spec_with_held_back_rows)
    put_in_production(app, "loan-model", champion)
    challenger = trained_version(app, "loan-model", seed=3, shift=0.5, spec_path=spec_with_held_back_rows)
    start_canary(app, "loan-model", challenger, percent=30)
    with local_gateway(app.settings, refresh_seconds=0.5) as url:
        result = simulate_traffic(app, "loan-model", requests=300, days=5, outcome_delay_hours=12, gateway_url=url)
    assert (result.requests, result.version, result.errors) == (300, champion, 0)
    assert sum(result.by_slot.values()) == 300 and result.by_slot.get("canary", 0) > 0
    assert result.outcomes_sent + result.outcomes_pending == 300 and result.outcomes_pending > 0

    log = PredictionLog(app.artifacts.root)
    predictions = log.read("predictions", "loan-model").to_pylist()
    assert len(predictions) == 300 and all(p["simulated"] for p in predictions)
    now = datetime.now(UTC)
    times = sorted(p["ts"] for p in predictions)
    assert now - timedelta(days=5, minutes=1) <= times[0] < now - timedelta(days=4)
    assert now - timedelta(days=1) < times[-1] <= now
    assert len({t.date() for t in times}) >= 5  # one Parquet partition per day
    for p in predictions:  # each simulated customer sticks to its slot
        assert p["slot"] == choose_slot("loan-model", p["routing_key"], 30, has_canary=True)

    feedback = log.read("feedback", "loan-model").to_pylist()
    assert len(feedback) == result.outcomes_sent and all(f["simulated"] for f in feedback)
    by_id = {p["request_id"]: p for p in predictions}
    for f in feedback:
        assert f["outcome"] in ("yes", "no")
        assert f["ts"] - by_id[f["request_id"]]["ts"] == timedelta(hours=12)


def test_nothing_in_production_is_refused(sqlite_app, spec_with_held_back_rows):
    trained_version(sqlite_app, "loan-model", spec_path=spec_with_held_back_rows)
    with pytest.raises(Conflict, match="no version in production"):
        simulate_traffic(sqlite_app, "loan-model", requests=10)


@pytest.mark.gateway
def test_the_command(app, cli_env, spec_with_held_back_rows):
    put_in_production(app, "loan-model", trained_version(app, "loan-model", spec_path=spec_with_held_back_rows))
    result = CliRunner().invoke(cli, ["simulate", "loan-model", "--requests", "40", "--days", "2"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Sent 40 simulated requests to loan-model over 2 days (production 40)" in result.output
    assert len(PredictionLog(app.artifacts.root).read("predictions", "loan-model")) == 40


def test_the_command_sends_batches_that_drift_gradually(app, cli_env, spec_with_held_back_rows):
    put_in_production(app, "loan-model", trained_version(app, "loan-model", spec_path=spec_with_held_back_rows))
    result = CliRunner().invoke(cli, ["simulate", "loan-model", "--requests", "40", "--rows-per-request", "10",
                                      "--days", "20", "--grow", "income=2", "--share", "region=east:0.8",
                                      "--turn-outcomes", "region=north:no:1", "--outcome-delay-hours", "0"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("Sent 40 simulated requests (400 rows) to loan-model over 20 days, drifting gradually (production 40)"
            in result.output)
    log = PredictionLog(app.artifacts.root)
    predictions = log.read("predictions", "loan-model").to_pandas()
    assert len(predictions) == 400 and predictions.groupby("routing_key")["ts"].nunique().eq(1).all()
    age = (datetime.now(UTC) - predictions["ts"]).dt.days
    first, last = predictions[age >= 15], predictions[age < 5]
    assert last["input:income"].mean() > 1.3 * first["input:income"].mean()
    assert (last["input:region"] == "east").mean() > (first["input:region"] == "east").mean() + 0.2
    joined = log.read("feedback", "loan-model").to_pandas().merge(predictions, on="request_id",
                                                                  suffixes=("_outcome", ""))
    north = joined[joined["input:region"] == "north"]
    recent = north[(datetime.now(UTC) - north["ts"]).dt.days < 5]
    assert len(recent) and (recent["outcome"] == "no").mean() > 0.6


@pytest.mark.parametrize("options, message", [
    (["--grow", "income"], "'income' is not INPUT=FACTOR"),
    (["--share", "region=east:lots"], "SHARE must be a number, not 'lots'"),
    (["--turn-outcomes", "region=north:0.5"], "is not INPUT=VALUE:OUTCOME:SHARE"),
    (["--grow", "income=2", "--days", "0"], "a gradual shift needs the traffic spread over some days"),
])
def test_a_shift_the_command_cannot_read_is_refused_before_anything_is_sent(app, cli_env, options, message):
    result = CliRunner().invoke(cli, ["simulate", "loan-model", *options])
    assert result.exit_code == 2 and message in result.output
    assert not list(app.artifacts.root.rglob("*.parquet"))


def test_a_shift_naming_an_input_the_rows_lack_is_refused(app, cli_env, spec_with_held_back_rows, capsys):
    put_in_production(app, "loan-model", trained_version(app, "loan-model", spec_path=spec_with_held_back_rows))
    code = main(["simulate", "loan-model", "--grow", "salary=2"])
    assert code != 0
    assert "The shift names the input 'salary', which the model's held-back rows do not have." in capsys.readouterr().err
    assert not list(app.artifacts.root.rglob("*.parquet"))
