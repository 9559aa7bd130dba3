"""The "Get started" walkthrough: a team's checklist from the registry, and each step explained.

A step is never ticked by hand: it is done when the registry shows it (a spec accepted, a run
through every automated stage, reports written, sign-off requested, a canary started, a period
monitored). The form of step 2 and the runs of step 3 live in their own modules.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.domain import OnboardingStep, TeamProgress, User
from backend.governance.permissions import ROLE_EXPLANATIONS
from portal import onboarding_data
from portal.navigation import (
    DEPLOYMENTS_PAGE,
    GLOSSARY_PAGE,
    INBOX_PAGE,
    MONITORING_PAGE,
    PRODUCTION_PATH_PAGE,
    REPORTS_PAGE,
    SIGNOFF_PAGE,
)
from portal.onboarding_run import RUN_ENDED_KEY, browser_run, ci_run
from portal.onboarding_spec import spec_form
from portal.wording import escape_markdown, glossary_link

__all__ = ["render", "NEW_TEAM"]

NEW_TEAM = "A new team (no model registered yet)"
_STEP_KEY = "onboarding_step"
_TEAM_KEY = "onboarding_team"

# What each later step is for, and where it is done: (explanation, page, link label).
_LATER_STEPS = {
    "reports": ("The pipeline writes a fairness report (is the model as good for every group of people?) and an "
                "explainability report (what drives its predictions?). Read them before your reviewers do: they "
                "will ask about anything that looks odd.", REPORTS_PAGE, "Open the reports"),
    "signoff": ("A version that passes every automated stage asks for sign-off by itself, from the roles the policy "
                "names for its risk tier. Each reviewer opens the sign-off packet and approves, approves with "
                "conditions, or rejects; you, its author, cannot sign it off.", SIGNOFF_PAGE,
                "Open the sign-off packet"),
    "canary": ("Once approved, a version takes a small share of live traffic beside the production model, and a "
               "judge compares the two before it takes all of it. A data scientist starts, judges, promotes or "
               "rolls back the canary.", DEPLOYMENTS_PAGE, "Open the Deployments page"),
    "monitoring": ("In production, the monitoring job compares each day's inputs, scores and outcomes with what the "
                   "reviewers signed off, and raises an alert when they drift. Schedule `greenlight monitor run` "
                   "daily (cron, or `greenlight monitor schedule`).", MONITORING_PAGE, "Open the Monitoring page"),
}


def render(user: User) -> None:
    """The whole walkthrough for ``user``: team, checklist, then the step they are on."""
    known, own = onboarding_data.teams(user)
    team = _team_choice(known, own, user)
    progress = onboarding_data.team_progress(team)
    checklist(progress)
    step = _step_choice(progress)
    st.divider()
    st.subheader(f"Step {step.number}. {step.title}")
    _evidence(step)
    if step.key == "roles":
        _roles_step()
    elif step.key == "spec":
        spec_form(team)
    elif step.key == "pipeline":
        browser_run(user)
        st.divider()
        ci_run(progress.models[0] if progress.models else None)
    else:
        _later_step(step)


def _team_choice(known: list[str], own: str | None, user: User) -> str | None:
    options = [NEW_TEAM, *known]
    default = own if own in known else (NEW_TEAM if user.has_role("data_scientist") or not known else known[0])
    if st.session_state.pop(RUN_ENDED_KEY, False):
        st.session_state[_TEAM_KEY] = default  # the run made the person's own team the one to follow
    choice = st.selectbox("Team", options, index=options.index(default), key=_TEAM_KEY,
                          help="A team is the owner its models' specs name ([model].owner). Your team is the owner of "
                               "the model you last ran the pipeline for.")
    return None if choice == NEW_TEAM else choice


def checklist(progress: TeamProgress) -> None:
    """The seven steps, each done or not by what the registry shows, with that evidence."""
    total = len(progress.steps)
    st.markdown(f"**{progress.done} of {total} steps done**, as the registry shows them.")
    st.progress(progress.done / total)
    rows = [{"Step": f"{s.number}. {s.title}", "Done": "✔ Done" if s.done else "○ Not yet", "What the registry shows":
             s.evidence} for s in progress.steps]
    st.dataframe(pd.DataFrame(rows, columns=["Step", "Done", "What the registry shows"]), hide_index=True,
                 width="stretch")
    st.caption("No box to tick: each step is done when the registry shows it, so this list is the same for "
               "everyone who looks.")


def _step_choice(progress: TeamProgress) -> OnboardingStep:
    steps = {s.number: s for s in progress.steps}
    following = progress.next_step or progress.steps[-1]
    number = st.radio("Go to step", list(steps), index=following.number - 1, horizontal=True, key=_STEP_KEY,
                      format_func=lambda n: f"{'✔' if steps[n].done else '○'} {n}. {steps[n].title}")
    return steps[number]


def _evidence(step: OnboardingStep) -> None:
    if step.done:
        st.success(escape_markdown(step.evidence), icon=":material/check_circle:")
    else:
        st.info(escape_markdown(step.evidence), icon=":material/radio_button_unchecked:")


def _roles_step() -> None:
    st.markdown(
        "Greenlight takes your model from your laptop to production and keeps watching it there. Your team gets:\n"
        f"- **one command** (or one click here) that runs your {glossary_link('Spec', 'spec')} through the "
        f"{glossary_link('Pipeline', 'pipeline')}: it trains, stores, checks and measures every version the same way;\n"
        f"- **reports** your reviewers can read, on {glossary_link('Demographic parity', 'fairness')} and on what drives "
        f"each prediction ({glossary_link('SHAP')}), in plain words;\n"
        f"- **{glossary_link('Sign-off', 'sign-off')}** bound to the evidence, so approval is quick and stays valid;\n"
        f"- a **{glossary_link('Canary', 'canary')}** and a rollback, so a new version meets real traffic safely;\n"
        f"- **{glossary_link('Monitoring', 'monitoring')}** that says when the model needs retraining.")
    st.page_link(PRODUCTION_PATH_PAGE, label="What production means here, step by step", icon=":material/route:")
    st.markdown("**Who does what**")
    roles = ["data_scientist", "business_owner", "risk", "compliance", "viewer", "admin"]
    st.dataframe(pd.DataFrame([{"Role": r.replace("_", " "), "Does": ROLE_EXPLANATIONS[r]} for r in roles]),
                 hide_index=True, width="stretch")
    st.caption("Which reviewers sign off depends on the model's risk tier and the organisation's policy (shown on "
               "'What production means'). A spec may add reviewers, never remove them. An administrator gives "
               "people their roles.")
    st.page_link(GLOSSARY_PAGE, label="Every term, in plain words", icon=":material/menu_book:")


def _later_step(step: OnboardingStep) -> None:
    explanation, page, label = _LATER_STEPS[step.key]
    st.markdown(explanation)
    where = {"model": step.model, **({"version": str(step.version)} if step.version else {})} if step.model else {}
    st.page_link(page, label=label, query_params=where or None, icon=":material/arrow_forward:")
    if step.key == "signoff":
        st.page_link(INBOX_PAGE, label="Reviewers: what waits for your sign-off", icon=":material/inbox:")
