"""``greenlight monitor``: run, alerts and health from the command line."""

from __future__ import annotations

import json

from backend.cli import main
from backend.registry.prediction_log import PredictionLog
from tests.backend.monitoring.conftest import IMPORTANCE, SCHEMA, day, population
from tests.serving_factories import log_predictions, monitored_version


def test_monitor_run_prints_each_period_as_json_then_lists_alerts_and_health(app, cli_env, capsys):
    X, y, s = population(3000, 0)
    version = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE)
    log = PredictionLog(str(app.settings.artifacts_dir))
    Xp, yp, sp = population(2000, 1, income_shift=0.8)
    log_predictions(log, "watched", version, Xp, sp, day(0), schema=SCHEMA)

    assert main(["monitor", "run", "--model", "watched", "--period", "week", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    [period] = out["models"]["watched"]
    assert period["start"] == "2026-10-26" and period["period"] == "week" and period["version"] == version
    income = next(f for f in period["drift"]["features"] if f["feature"] == "income")
    assert {"statistic", "threshold", "flagged", "psi", "p_value"} <= set(income) and income["flagged"]
    assert period["performance"]["kind"] == "estimated"
    assert period["alerts"][0]["kind"] == "drift"

    assert main(["monitor", "run", "--period", "week"]) == 0
    text = capsys.readouterr().out
    assert "watched: 1 week" in text and "shifted: income" in text and "0 periods judged (1 unchanged)" in text

    assert main(["monitor", "alerts", "--model", "watched"]) == 0
    listed = capsys.readouterr().out
    assert f"2026-10-26 watched v{version} [" in listed and "] drift: " in listed and "inputs shifted" in listed
    assert main(["monitor", "health", "watched", "--json"]) == 0
    [health] = json.loads(capsys.readouterr().out)
    assert health["status"] in ("at_risk", "degraded") and health["model"] == "watched"


def test_monitor_run_refuses_an_unknown_model_and_a_bad_date(app, cli_env, capsys):
    assert main(["monitor", "run", "--model", "nope"]) == 3
    assert "There is no model named 'nope'." in capsys.readouterr().err
    assert main(["monitor", "run", "--since", "yesterday"]) == 2
    assert "is not a date" in capsys.readouterr().err
