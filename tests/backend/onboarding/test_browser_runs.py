"""A pipeline run started from the portal: the real pipeline service, as the signed-in account,
refused (and audited) for anyone but a data scientist, on a messy uploaded sample."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backend.errors import InvalidData, InvalidSpec, PermissionDenied
from backend.onboarding import (
    SpecAnswers,
    UploadedFile,
    browser_run_status,
    spec_from_answers,
    start_browser_run,
    team_progress,
    wait_for_browser_run,
)
from tests.factories import add_user, person, synthetic_classification

ANSWERS = SpecAnswers(name="starter-model", title="Starter model", owner="new-team", risk_tier="low",
                      target="label", positive_label="yes", sensitive_features="region",
                      outcome="accepts the offer", subjects="customers")


def sample(rows: int = 260, seed: int = 3) -> tuple[UploadedFile, UploadedFile]:
    """A small sample with missing numbers and categories, and a rare region: a team's first export."""
    frame = synthetic_classification(rows, seed)
    frame.loc[frame.index % 13 == 0, "income"] = np.nan
    frame.loc[frame.index % 17 == 0, "region"] = None
    frame.loc[frame.index[:3], "region"] = "islands"
    cut = int(rows * 0.7)
    return (UploadedFile("my export (train).csv", frame.iloc[:cut].to_csv(index=False).encode()),
            UploadedFile("holdout.csv", frame.iloc[cut:].to_csv(index=False).encode()))


def test_a_run_from_the_portal_goes_through_the_pipeline_as_the_signed_in_data_scientist(sqlite_app):
    dana = person(sqlite_app, "dana")
    train, test = sample()
    started = start_browser_run(sqlite_app, actor=dana, spec_toml=spec_from_answers(ANSWERS).toml, train=train,
                                test=test)
    assert (started.state, started.username, started.model) == ("running", "dana", "starter-model")
    run = wait_for_browser_run(sqlite_app, started.id, timeout=600)
    assert run.state == "passed", (run.failed_stage, run.reason, run.messages[-5:])
    version = sqlite_app.registry.get_version("starter-model", run.version)
    assert (version.author, version.state, version.factory) == ("dana", "awaiting_signoff",
                                                               "greenlight_starter:build_classifier")
    stages = [(s.stage, s.status) for s in sqlite_app.registry.list_stage_runs("starter-model", run.version)]
    assert stages == [("build", "passed"), ("smoke_checks", "passed"), ("reports", "passed"),
                      ("test_validation", "passed"), ("manual_validation", "waiting")]
    [started_entry] = sqlite_app.registry.audit_log(action_prefix="pipeline.started_in_portal")
    assert started_entry.actor == "dana" and started_entry.detail["train"]["name"] == "my export (train).csv"
    progress = team_progress(sqlite_app, "new-team")
    assert [s.done for s in progress.steps][1:5] == [True, True, True, True]
    assert browser_run_status(sqlite_app, started.id) == run


@pytest.mark.parametrize("roles", [("viewer",), ("admin",), ("risk",)])
def test_the_backend_refuses_anyone_but_a_data_scientist_and_audits_it(app, roles):
    someone = add_user(app, "someone", *roles)
    train, test = sample(40)
    with pytest.raises(PermissionDenied) as refused:
        start_browser_run(app, actor=someone, spec_toml=spec_from_answers(ANSWERS).toml, train=train, test=test)
    assert "data_scientist" in refused.value.message
    assert app.registry.list_models() == []
    [entry] = app.registry.audit_log(action_prefix="pipeline.refused")
    assert entry.actor == "someone" and entry.detail["code"] == "permission_denied"
    assert not (app.settings.home / "onboarding").exists(), "nothing of the upload was written"


@pytest.mark.parametrize(("change", "error", "words"), [
    ({"train": "../../escape.csv"}, InvalidSpec, "[data].train '../../escape.csv' is outside the spec's folder"),
    ({"train": "data/train.parquet"}, InvalidData,
     "The training data file my export (train).csv is a CSV file, but the spec's [data].train names "
     "data/train.parquet, a Parquet file"),
    ({"name": "Bad Name"}, InvalidSpec, "[model].name 'Bad Name' must use lowercase letters"),
])
def test_a_bad_spec_or_upload_is_refused_before_anything_is_written(app, change, error, words):
    dana = person(app, "dana")
    train, test = sample(40)
    spec = spec_from_answers(replace(ANSWERS, **change)).toml
    with pytest.raises(error) as refused:
        start_browser_run(app, actor=dana, spec_toml=spec, train=train, test=test)
    assert words in refused.value.message
    assert app.registry.list_models() == []
    assert app.registry.audit_log(action_prefix="pipeline.refused")[0].detail["reason"] == refused.value.message
    assert not list((app.settings.home / "onboarding").rglob("*.csv"))
