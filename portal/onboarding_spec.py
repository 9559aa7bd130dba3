"""Step 2 of the walkthrough: a form whose answers become a ``greenlight.toml``.

The backend writes the file and judges it with the CLI's own spec validator; each problem is
shown under the field it names, in the validator's words. The last valid spec stays in the
session for step 3, which runs the pipeline on it.
"""

from __future__ import annotations

import streamlit as st

from backend.domain import SpecDraft
from backend.onboarding import SPEC_FIELDS, SPEC_FILE_NAME, SpecAnswers, spec_from_answers
from backend.pipeline.spec import RISK_TIERS, TASKS
from portal.wording import escape_markdown

__all__ = ["spec_form", "valid_spec", "DRAFT_KEY"]

#: The last spec the form produced (a SpecDraft), kept for step 3.
DRAFT_KEY = "onboarding_spec_draft"

_HELP = {
    "model.name": "Lowercase letters, digits and single hyphens, e.g. churn-risk. It names the model everywhere.",
    "model.title": "What business readers call it, e.g. Customer churn risk.",
    "model.description": "One or two sentences: what it predicts and which decision it supports.",
    "model.owner": "Your team's name. Greenlight groups a team's models by it, and this page follows its progress.",
    "model.risk_tier": "Sets who must sign off: the organisation's policy names the roles for each tier.",
    "model.task": "Classification predicts a category (will the customer leave?); regression a number.",
    "data.train": "Path from the spec's folder: a CSV (gzip allowed) or Parquet file.",
    "data.test": "Rows the model never trains on; every report and gate is measured on them.",
    "data.target": "The column the model predicts.",
    "data.positive_label": "Classification only: the value of the target that counts as the outcome, e.g. yes.",
    "data.sensitive_features": "Columns such as sex or age to check fairness across, separated by commas.",
    "estimator.factory": "module:function beside the spec that returns an unfitted scikit-learn estimator.",
    "gates": "Optional, separated by commas: roc_auc >= 0.75 is a minimum, model_size_mb <= 20 a maximum.",
    "labels.outcome": "The positive outcome in words, e.g. leaves within a year.",
    "labels.subjects": "What one row is, e.g. customers.",
    "labels.features": "Optional, one per line: column = the name people know it by.",
}


def valid_spec() -> SpecDraft | None:
    """The last spec the form produced, if it was valid."""
    draft = st.session_state.get(DRAFT_KEY)
    return draft if isinstance(draft, SpecDraft) and draft.valid else None


def spec_form(team: str | None) -> None:
    """The form, each problem under its field, and the file to download once it is valid."""
    draft: SpecDraft | None = st.session_state.get(DRAFT_KEY)
    problems = draft.problems if draft else {}
    with st.form("onboarding_spec_form", border=True):
        answers = _fields(team, problems)
        submitted = st.form_submit_button("Check the spec", type="primary", icon=":material/fact_check:")
    if submitted:
        st.session_state[DRAFT_KEY] = spec_from_answers(answers)
        st.rerun()  # once more, so each problem shows under its field
    if draft is None:
        st.caption("Fill in the form and check it: Greenlight validates it exactly as `greenlight pipeline run` does.")
        return
    if draft.valid:
        st.success(f"The spec is valid: {SPEC_FILE_NAME} is ready. Save it beside your code and your data.",
                   icon=":material/check_circle:")
        st.download_button(f"Download {SPEC_FILE_NAME}", draft.toml, file_name=SPEC_FILE_NAME,
                           mime="application/toml", icon=":material/download:")
    else:
        count = sum(len(v) for v in draft.problems.values())
        st.error(f"The spec has {count} problem{'s' if count > 1 else ''}, each shown under its field. Correct "
                 "them and check again.", icon=":material/error:")
        for problem in draft.problems.get("spec", ()):
            st.error(escape_markdown(problem))
    with st.expander(f"The {SPEC_FILE_NAME} these answers make", expanded=draft.valid):
        st.code(draft.toml, language="toml")


def _fields(team: str | None, problems: dict[str, tuple[str, ...]]) -> SpecAnswers:
    values: dict[str, str] = {}

    def field(key: str, widget, *args, **kwargs) -> None:
        values[key] = widget(SPEC_FIELDS[key], *args, help=_HELP[key], key=f"onboarding_{key}", **kwargs)
        for problem in problems.get(key, ()):
            st.error(escape_markdown(problem), icon=":material/error:")

    st.markdown("**The model**")
    left, right = st.columns(2)
    with left:
        field("model.name", st.text_input, placeholder="churn-risk")
        field("model.title", st.text_input, placeholder="Customer churn risk")
        field("model.owner", st.text_input, value=team or "", placeholder="customer-analytics")
    with right:
        field("model.risk_tier", st.selectbox, RISK_TIERS, index=RISK_TIERS.index("medium"))
        field("model.task", st.selectbox, TASKS)
        field("model.description", st.text_area, height=80,
              placeholder="Which customers are likely to leave within a year, for the retention team.")
    st.markdown("**The data**")
    left, right = st.columns(2)
    with left:
        field("data.train", st.text_input, value="data/train.csv")
        field("data.target", st.text_input, placeholder="churned")
        field("data.sensitive_features", st.text_input, placeholder="sex, age")
    with right:
        field("data.test", st.text_input, value="data/test.csv")
        field("data.positive_label", st.text_input, placeholder="yes")
    st.markdown("**The model's code and the policy's gates**")
    left, right = st.columns(2)
    with left:
        field("estimator.factory", st.text_input, value="model:build")
    with right:
        field("gates", st.text_input, placeholder="roc_auc >= 0.75, model_size_mb <= 20")
    st.markdown("**Words for people** (the reports and the model card use them)")
    left, right = st.columns(2)
    with left:
        field("labels.outcome", st.text_input, placeholder="leaves within a year")
        field("labels.subjects", st.text_input, placeholder="customers")
    with right:
        field("labels.features", st.text_area, height=80, placeholder="tenure_months = months as a customer")
    return SpecAnswers(
        name=values["model.name"], title=values["model.title"], description=values["model.description"],
        owner=values["model.owner"], risk_tier=values["model.risk_tier"], task=values["model.task"],
        train=values["data.train"], test=values["data.test"], target=values["data.target"],
        positive_label=values["data.positive_label"], sensitive_features=values["data.sensitive_features"],
        factory=values["estimator.factory"], gates=values["gates"], outcome=values["labels.outcome"],
        subjects=values["labels.subjects"], feature_names=values["labels.features"])
