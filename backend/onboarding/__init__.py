"""The walkthrough that takes a new team's first model from nothing to a canary.

- :func:`team_progress`: each step, done or not, from what the registry shows;
- :func:`spec_from_answers`: a ``greenlight.toml`` from a form's answers, judged by the CLI's
  own spec validator;
- :func:`start_browser_run`: the pipeline on an uploaded sample, as the signed-in data scientist;
- :func:`github_actions_workflow`, :func:`gitlab_ci_workflow`, :func:`ci_command`: running it from CI.
"""

from backend.onboarding._browser_runs import (
    STARTER_FACTORIES,
    BrowserRuns,
    UploadedFile,
    browser_run_status,
    latest_browser_run,
    start_browser_run,
    wait_for_browser_run,
)
from backend.onboarding._progress import STEP_TITLES, onboarding_teams, team_progress
from backend.onboarding._spec_form import (
    SPEC_FIELDS,
    SPEC_FILE_NAME,
    SpecAnswers,
    spec_from_answers,
)
from backend.onboarding._workflows import (
    CI_SECRETS,
    ci_command,
    github_actions_workflow,
    gitlab_ci_workflow,
)

__all__ = [
    "team_progress",
    "onboarding_teams",
    "STEP_TITLES",
    "SpecAnswers",
    "spec_from_answers",
    "SPEC_FIELDS",
    "SPEC_FILE_NAME",
    "UploadedFile",
    "BrowserRuns",
    "start_browser_run",
    "browser_run_status",
    "latest_browser_run",
    "wait_for_browser_run",
    "STARTER_FACTORIES",
    "ci_command",
    "github_actions_workflow",
    "gitlab_ci_workflow",
    "CI_SECRETS",
]
