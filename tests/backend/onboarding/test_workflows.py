"""The CI files the walkthrough hands out: valid YAML, they install Greenlight and run the
documented command with the API token from the CI's secret store, on a spec that validates;
and the command itself, run by a shell in a git checkout, acts as the token's account."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from backend.onboarding import (
    CI_SECRETS,
    ci_command,
    github_actions_workflow,
    gitlab_ci_workflow,
    spec_from_answers,
)
from backend.pipeline.spec import load_spec
from tests.backend.onboarding.test_spec_form import GOOD
from tests.factories import EXAMPLES

ROOT = Path(__file__).resolve().parents[3]
SPEC = "models/credit risk/greenlight.toml"  # a space, so the quoting is tested too


def _github_steps(text: str) -> list[dict]:
    workflow = yaml.safe_load(text)
    assert set(workflow["on"]) == {"push", "workflow_dispatch"}
    return workflow["jobs"]["pipeline"]["steps"]


def test_the_github_actions_workflow_installs_greenlight_and_runs_the_command_with_the_secret_token():
    steps = _github_steps(github_actions_workflow(SPEC))
    assert steps[0]["uses"].startswith("actions/checkout@")
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert f"python -m pip install {package}" in steps[2]["run"].splitlines()
    run = steps[-1]
    assert run["run"] == ci_command(SPEC)
    assert run["env"]["GREENLIGHT_TOKEN"] == "${{ secrets.GREENLIGHT_TOKEN }}"
    assert set(run["env"]) == set(CI_SECRETS)
    assert all(value == "${{ secrets.%s }}" % name for name, value in run["env"].items())  # noqa: UP031


def test_the_gitlab_ci_file_installs_greenlight_and_runs_the_command():
    job = yaml.safe_load(gitlab_ci_workflow(SPEC))["greenlight-pipeline"]
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert f"python -m pip install {package}" in job["script"]
    assert job["script"][-1] == ci_command(SPEC)
    # GitLab hands masked CI/CD variables to the job as they are: nothing secret is in the file.
    assert "glt_" not in gitlab_ci_workflow(SPEC) and "variables" not in job


def test_the_command_is_the_one_the_readme_documents():
    readme = (ROOT / "README.md").read_text()
    assert ci_command("path/to/greenlight.toml") in readme


@pytest.mark.parametrize("workflow", [github_actions_workflow, gitlab_ci_workflow])
def test_the_spec_the_files_point_at_passes_spec_validation(tmp_path, workflow):
    repository = tmp_path / "repository"
    shutil.copytree(EXAMPLES / "credit-risk", repository / "models" / "credit risk")
    (repository / "models" / "form").mkdir(parents=True)
    (repository / "models" / "form" / "greenlight.toml").write_text(spec_from_answers(GOOD).toml)
    for spec in (SPEC, "models/form/greenlight.toml"):
        document = yaml.safe_load(workflow(spec))
        command = (_github_steps(workflow(spec))[-1]["run"] if "jobs" in document
                   else document["greenlight-pipeline"]["script"][-1])
        words = shlex.split(command)
        assert words[:3] == ["greenlight", "pipeline", "run"]
        loaded = load_spec(repository / words[3])
        assert loaded.path == (repository / spec).resolve()


def test_the_command_run_by_a_shell_in_a_checkout_acts_as_the_token_account_and_records_the_commit(sqlite_app, tmp_path):
    from backend.governance.accounts import operator
    from tests.factories import add_user

    add_user(sqlite_app, "dana", "data_scientist")
    token = sqlite_app.tokens.create(actor=operator(), username="dana")[1]
    repository = tmp_path / "repository"
    folder = repository / "models" / "credit risk"
    shutil.copytree(EXAMPLES / "credit-risk", folder)
    shutil.rmtree(folder / "data")  # the build stops at once on the missing data: the run itself is not the point
    git = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "model"]):
        subprocess.run([*git, *command], cwd=repository, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True,
                          check=True).stdout.strip()
    settings = sqlite_app.settings
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")},
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "GREENLIGHT_TOKEN": token,
           "GREENLIGHT_HOME": str(settings.home), "GREENLIGHT_DB_URL": settings.db_url,
           "GREENLIGHT_ARTIFACTS": str(settings.artifacts_dir)}
    done = subprocess.run(["bash", "-c", ci_command(SPEC)], cwd=repository, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # a failed stage
    version = sqlite_app.registry.get_version("credit-risk", 1)
    assert (version.author, version.git_commit, version.state) == ("dana", head, "failed")
    assert "data/train.csv.gz" in (version.failure_reason or "")
