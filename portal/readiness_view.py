"""A model's production-readiness score on the Model page: the ML Test Score rubric's 28 tests,
what Greenlight shows for each, and what the team can do about each gap."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from backend.domain import ReadinessScore
from portal.components import text_table
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key

__all__ = ["readiness_score", "render", "STATUS_LABELS", "section_chart"]

STATUS_LABELS = {
    "covered": "Covered (1 point)",
    "partly": "Partly (½ point)",
    "not_yet": "Not yet (0)",
    "outside": "Outside Greenlight (0)",
}


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _readiness_score(key: SettingsKey, model: str) -> ReadinessScore:
    from backend.reports import readiness_score as backend_readiness_score

    return backend_readiness_score(app_for(key), model)


def readiness_score(model: str) -> ReadinessScore:
    return _readiness_score(settings_key(), model)


def _points(value: float) -> str:
    return f"{value:g}"


def section_chart(score: ReadinessScore) -> alt.Chart:
    """The four section sums as bars, the weakest one (which sets the score) marked."""
    frame = pd.DataFrame([{"section": s.title, "points": s.points, "sets the score": s.points == score.score}
                          for s in score.sections])
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("points:Q", title="Points (of 7)", scale=alt.Scale(domain=[0, 7])),
        y=alt.Y("section:N", title=None, sort=None),
        color=alt.Color("sets the score:N", scale=alt.Scale(domain=[True, False], range=["#d62728", "#9ecae1"]),
                        legend=alt.Legend(title="Sets the score")),
        tooltip=["section", "points"],
    ).properties(height=150)


def render(score: ReadinessScore) -> None:
    """The score with the paper's reading, the four sections, and each test with its evidence and gap."""
    st.header("Production readiness")
    judged = f"version {score.version}" if score.version is not None else "no version yet"
    st.caption("How ready this model is for production, by the ML Test Score rubric (Breck et al., 2017): 28 tests "
               "in four sections. A test Greenlight runs by itself, and has run for this model, earns a point; one "
               "done by people and recorded, or only partly automated, half a point. The score is the *smallest* "
               f"of the four section sums, as the paper defines it, so every section counts. Judged on {judged} "
               "(production's, else the newest) and on the model's canaries and monitoring.")
    left, right = st.columns([1, 2])
    with left:
        st.metric("ML Test Score", _points(score.score))
        st.caption(f"The paper's reading: {score.reading} The weakest section is "
                   f"{score.weakest.title.lower()} ({_points(score.weakest.points)} of 7).")
    with right:
        st.altair_chart(section_chart(score), width="stretch")
        st.caption("Each bar is a section's points out of 7; the red one sets the score. Raising the score means "
                   "raising the weakest section first.")
    for section in score.sections:
        with st.expander(f"{section.title}: {_points(section.points)} of 7 points"):
            text_table(pd.DataFrame([{
                "Test": f"{item.number}. {item.name}",
                "What it asks": item.asks,
                "Here": STATUS_LABELS[item.status],
                "What Greenlight shows": item.evidence,
                "What the team can do": item.gap or "—",
            } for item in section.items]))
    st.caption("Test names are the paper's; what each asks is paraphrased.")
