"""Ready CI files that run a team's pipeline with an API token: GitHub Actions and GitLab CI.

Both install Greenlight, then run exactly :func:`ci_command`, the command the README documents,
as the account of the API token in ``GREENLIGHT_TOKEN`` (kept in the CI's secret store). The CLI
reaches the shared database and artifact store directly, so the same store holds their settings.
"""

from __future__ import annotations

import shlex

import yaml

__all__ = ["ci_command", "github_actions_workflow", "gitlab_ci_workflow", "CI_SECRETS", "PACKAGE"]

#: The package CI installs (the organisation may serve it from its own index).
PACKAGE = "greenlight-portal"
#: What the CI's secret store holds, and why.
CI_SECRETS: dict[str, str] = {
    "GREENLIGHT_TOKEN": "the API token the run acts as (an admin makes it: greenlight tokens create USER)",
    "GREENLIGHT_DB_URL": "the Greenlight database, e.g. postgresql+psycopg://user:pass@host/db",
    "GREENLIGHT_ARTIFACTS": "the long-term artifact store, e.g. s3://bucket/prefix",
    "GREENLIGHT_AUDIT_KEY": "the key that signs the audit log (the same as the portal's)",
    "AWS_ACCESS_KEY_ID": "credentials for an S3 artifact store (leave empty for a shared folder)",
    "AWS_SECRET_ACCESS_KEY": "credentials for an S3 artifact store (leave empty for a shared folder)",
}
_INSTALL = [
    "python -m pip install --upgrade pip",
    f"python -m pip install {PACKAGE}",
    "if [ -f requirements.txt ]; then python -m pip install -r requirements.txt; fi",
]


def ci_command(spec_path: str = "greenlight.toml") -> str:
    """The one command CI runs: the spec's pipeline, recorded against the commit it checked out.

    Parameters
    ----------
    spec_path : str
        The spec's path from the repository's root.
    """
    return f'greenlight pipeline run {shlex.quote(spec_path)} --commit "$(git rev-parse HEAD)"'


def _header(where: str) -> str:
    lines = [f"Greenlight: runs the model's pipeline ({where}).", "Secrets it needs, in the CI's secret store:"]
    lines += [f"  {name}: {why}" for name, why in CI_SECRETS.items()]
    return "".join(f"# {line}\n" for line in lines)


def github_actions_workflow(spec_path: str = "greenlight.toml", *, branch: str = "main") -> str:
    """A GitHub Actions workflow (``.github/workflows/greenlight.yml``) that runs :func:`ci_command`
    on every push to ``branch`` and on demand, with the secrets of :data:`CI_SECRETS`."""
    workflow = {
        "name": "Greenlight pipeline",
        # Quoted: YAML 1.1 readers take a bare `on` for true. GitHub reads either.
        "on": {"push": {"branches": [branch]}, "workflow_dispatch": {}},
        "jobs": {"pipeline": {
            "runs-on": "ubuntu-latest",
            "timeout-minutes": 90,
            "steps": [
                {"uses": "actions/checkout@v4"},
                {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
                {"name": "Install Greenlight", "run": "\n".join(_INSTALL) + "\n"},
                {"name": "Run the Greenlight pipeline",
                 "env": {name: "${{ secrets." + name + " }}" for name in CI_SECRETS},
                 "run": ci_command(spec_path)},
            ],
        }},
    }
    return _header(f"every push to {branch}, and by hand") + _dump(workflow)


def gitlab_ci_workflow(spec_path: str = "greenlight.toml") -> str:
    """A GitLab CI job (``.gitlab-ci.yml``) that runs :func:`ci_command` on the default branch and
    by hand. GitLab hands its masked CI/CD variables (:data:`CI_SECRETS`) to the job as they are."""
    workflow = {
        "greenlight-pipeline": {
            "image": "python:3.11",
            "timeout": "90 minutes",
            "rules": [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
                      {"if": '$CI_PIPELINE_SOURCE == "web"'}],
            "script": [*_INSTALL, ci_command(spec_path)],
        },
    }
    return _header("on the default branch, and by hand") + _dump(workflow)


class _Dumper(yaml.SafeDumper):
    """Writes a script of several lines as a literal block (``|``), the way people write them."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(document: dict) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000, default_flow_style=False,
                     allow_unicode=True)
