"""A spec reads data only from its own folder (links resolved) or folders an admin allows."""

from __future__ import annotations

import shutil

import pytest

from backend.cli import main
from backend.errors import InvalidSpec
from backend.governance.accounts import operator
from backend.pipeline import run_pipeline
from tests.factories import credit_spec_dir, person


def _point_train_at(spec, target: str) -> None:
    spec.write_text(spec.read_text().replace('train = "data/train.csv.gz"', f'train = "{target}"'))


def test_a_path_that_climbs_out_of_the_spec_folder_is_refused(app, ci_token, tmp_path, capsys):
    secret = tmp_path / "secret_dir"
    secret.mkdir()
    (secret / "secret.csv").write_text("password,salary\nhunter2,100\n")
    spec = credit_spec_dir(tmp_path / "team")
    _point_train_at(spec, "../../secret_dir/secret.csv")
    assert main(["pipeline", "run", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "[data].train '../../secret_dir/secret.csv' is outside the spec's folder" in err
    assert "hunter2" not in err and "password" not in err
    assert app.registry.list_models() == []
    refused = app.registry.audit_log(action_prefix="pipeline.refused")[0]
    assert refused.detail["code"] == "data_outside_folder" and "hunter2" not in str(refused.detail)


def test_a_link_named_like_data_that_leads_out_is_refused(app, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("ssn,name\n123-45-6789,Ann\n")
    spec = credit_spec_dir(tmp_path / "team")
    (spec.parent / "data" / "link.csv").symlink_to(outside)
    _point_train_at(spec, "data/link.csv")
    with pytest.raises(InvalidSpec, match="'data/link.csv' is outside the spec's folder \\(it is a link that leads "
                                          "out of it\\)") as caught:
        run_pipeline(app, spec, actor=person(app, "dana"))
    assert "elsewhere" not in caught.value.message and "123-45" not in caught.value.message


def test_an_admin_can_allow_a_shared_data_folder(app, cli_env, tmp_path, capsys):
    shared = tmp_path / "shared-data"
    shared.mkdir()
    spec = credit_spec_dir(tmp_path / "team")
    shutil.copy(spec.parent / "data" / "train.csv.gz", shared / "train.csv.gz")
    _point_train_at(spec, str(shared / "train.csv.gz"))
    dana = person(app, "dana")
    with pytest.raises(InvalidSpec):
        run_pipeline(app, spec, actor=dana)
    assert main(["policy", "set", "--allow-data-root", str(shared)]) == 0
    assert str(shared) in app.org_policy.current()["data_roots"]
    result = run_pipeline(app, spec, actor=dana)
    assert result.passed, result.reason
    assert main(["policy", "set", "--disallow-data-root", str(shared)]) == 0
    assert app.org_policy.current()["data_roots"] == []
    assert app.registry.audit_log(action_prefix="policy.changed")[0].actor == operator().username
