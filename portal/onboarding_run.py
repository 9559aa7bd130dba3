"""Step 3 of the walkthrough: run the pipeline, from the browser on an uploaded sample, or from CI.

A run from the browser goes through the same pipeline service as the CLI, as the signed-in
account (the backend refuses anyone but a data scientist). It runs in the background: this page
checks on it every few seconds in a fragment, so the page never waits on it, and the person may
leave; the model's page shows the same stages from the registry.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from backend.domain import BrowserRunStatus, User
from backend.errors import NotFound
from backend.governance.permissions import can
from backend.onboarding import (
    CI_SECRETS,
    SPEC_FILE_NAME,
    ci_command,
    github_actions_workflow,
    gitlab_ci_workflow,
)
from portal import onboarding_data
from portal.errors import errors_shown
from portal.navigation import MODEL_PAGE, REPORTS_PAGE
from portal.onboarding_spec import valid_spec
from portal.wording import escape_markdown, format_duration, stage_label, stage_status

__all__ = ["browser_run", "ci_run", "RUN_KEY", "RUN_ENDED_KEY"]

#: The id of the run this browser session started.
RUN_KEY = "onboarding_run_id"
#: Set when a run ends, so the page turns to the team the run's model belongs to.
RUN_ENDED_KEY = "onboarding_run_ended"
_POLL_SECONDS = 2
_DATA_TYPES = ["csv", "gz", "parquet", "pq"]


def browser_run(user: User) -> None:
    """Upload a sample and run the pipeline on it, then watch it."""
    st.markdown("##### From the browser, on a sample")
    st.caption("Upload a training and a test file (a few thousand rows are plenty), and Greenlight runs its whole "
               "pipeline on them as you, with its built-in estimator: a logistic regression for classification, a "
               "linear regression for regression, each after filling in missing values. Your own estimator runs "
               "from CI (below).")
    if not can(user, "run_pipeline"):
        st.info(f"Only data scientists run the pipeline. You are signed in as {escape_markdown(user.username)} "
                f"({', '.join(r.replace('_', ' ') for r in user.roles)}).", icon=":material/lock:")
        return
    run = _current_run(user)
    if run is not None and not run.finished:
        _watch(run.id)
        return
    if run is not None:
        _outcome(run)
    spec = valid_spec()
    source = "form"
    if spec is not None:
        source = st.radio("Spec", ["form", "upload"], horizontal=True, key="onboarding_spec_source",
                          format_func={"form": "The spec from step 2", "upload": f"Upload a {SPEC_FILE_NAME}"}.get)
    uploaded_spec = None
    if spec is None or source == "upload":
        uploaded_spec = st.file_uploader(f"Your {SPEC_FILE_NAME}", type=["toml"], key="onboarding_spec_file",
                                         help="Or write one in step 2 first.")
    left, right = st.columns(2)
    train = left.file_uploader("Training data", type=_DATA_TYPES, key="onboarding_train_file",
                               help="CSV (gzip allowed) or Parquet, as the spec's [data].train names it.")
    test = right.file_uploader("Test data", type=_DATA_TYPES, key="onboarding_test_file",
                               help="CSV (gzip allowed) or Parquet, as the spec's [data].test names it.")
    spec_text = spec.toml if (spec is not None and source == "form") else (
        uploaded_spec.getvalue().decode("utf-8", errors="replace") if uploaded_spec else None)
    ready = spec_text is not None and train is not None and test is not None
    if st.button("Run the pipeline", type="primary", icon=":material/play_arrow:", disabled=not ready,
                 help=None if ready else "Choose a spec and both data files first."):
        with errors_shown():
            started = onboarding_data.start_run(user, spec_text, train, test)
            st.session_state[RUN_KEY] = started.id
            st.rerun()


def _current_run(user: User) -> BrowserRunStatus | None:
    run_id = st.session_state.get(RUN_KEY)
    if run_id:
        try:
            return onboarding_data.run_status(run_id)
        except NotFound:  # the portal restarted since: the registry still has the version
            st.session_state.pop(RUN_KEY, None)
    return onboarding_data.latest_run(user)


@st.fragment(run_every=_POLL_SECONDS)
def _watch(run_id: str) -> None:
    run = onboarding_data.run_status(run_id)
    if run.finished:
        onboarding_data.forget_progress()
        st.session_state[RUN_ENDED_KEY] = True
        st.rerun(scope="app")  # the whole page: the checklist now shows what the run left in the registry
    elapsed = (datetime.now(UTC) - run.started_at).total_seconds()
    st.info(f"The pipeline is running {escape_markdown(run.model)} as you: {format_duration(elapsed)} so far. This "
            f"page checks every {_POLL_SECONDS} seconds; you may leave it, the run goes on and its stages show on the "
            "model's page.", icon=":material/pending:")
    _stages(run)
    if run.messages:
        st.caption("Latest: " + escape_markdown(run.messages[-1]))


def _stages(run: BrowserRunStatus) -> None:
    if run.version is None:
        return
    for stage in onboarding_data.stage_runs(run.model, run.version):
        label, _icon = stage_status(stage.status)
        took = f" ({format_duration(stage.duration_s)})" if stage.duration_s is not None else ""
        st.markdown(f"- {stage_label(stage.stage)}: {label}{took}")


def _outcome(run: BrowserRunStatus) -> None:
    where = {"model": run.model, **({"version": str(run.version)} if run.version else {})}
    if run.state == "passed":
        st.success(f"Your run of {escape_markdown(run.model)} passed every automated stage: version {run.version} "
                   "now waits for sign-off. Read its reports next (step 4).", icon=":material/check_circle:")
        st.page_link(REPORTS_PAGE, label=f"Read the reports of {run.model} version {run.version}",
                     query_params=where, icon=":material/balance:")
    elif run.state == "failed":
        stage = stage_label(run.failed_stage) if run.failed_stage else "a stage"
        st.error(f"Your run of {escape_markdown(run.model)} stopped at {stage.lower()}: "
                 f"{escape_markdown(run.reason or 'see the model page')}", icon=":material/cancel:")
    else:
        st.error(f"Your run of {escape_markdown(run.model)} was refused: {escape_markdown(run.reason or '')}",
                 icon=":material/block:")
    if run.version:
        _stages(run)
        st.page_link(MODEL_PAGE, label=f"Every stage's evidence on the page of {run.model}", query_params=where,
                     icon=":material/timeline:")


def ci_run(model: str | None) -> None:
    """The exact command, and ready workflow files for GitHub Actions and GitLab CI."""
    st.markdown("##### From CI, on every push")
    st.caption("CI runs one command with an API token kept in its secret store. An administrator makes the token "
               "for a data scientist's account (`greenlight tokens create USER`); the runs are made as that account.")
    default = f"models/{model}/{SPEC_FILE_NAME}" if model else SPEC_FILE_NAME
    spec_path = st.text_input("Where the spec is in your repository", value=default, key="onboarding_ci_spec_path",
                              help="From the repository's root.").strip() or SPEC_FILE_NAME
    st.code(f"export GREENLIGHT_TOKEN=glt_…   # from the CI's secret store\n{ci_command(spec_path)}", language="sh")
    left, right = st.columns(2)
    left.download_button("Download the GitHub Actions workflow", github_actions_workflow(spec_path),
                         file_name="greenlight.yml", mime="application/x-yaml", icon=":material/download:",
                         help="Save it as .github/workflows/greenlight.yml")
    right.download_button("Download the GitLab CI file", gitlab_ci_workflow(spec_path), file_name=".gitlab-ci.yml",
                          mime="application/x-yaml", icon=":material/download:",
                          help="Save it as .gitlab-ci.yml at the repository's root (or include it from there)")
    st.caption("Put these in the CI's secret store (GitHub: Settings → Secrets and variables → Actions; GitLab: "
               "Settings → CI/CD → Variables, masked):")
    st.markdown("\n".join(f"- `{name}`: {why}" for name, why in CI_SECRETS.items()))
