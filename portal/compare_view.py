"""What the Compare page shows: two versions of a model side by side, and whether to promote.

Everything comes from :func:`backend.reports.compare.compare_versions` (stored scores and
reports, and the deployment service's live figures); the page computes nothing of its own.
Names that came from data files (features, checks) are shown as text, never as markup.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from backend.domain import Version
from backend.metrics import format_value
from backend.reports.compare import (
    RECOMMENDATION_RULE,
    VersionComparison,
    compare_versions,
    default_pair,
    with_live,
)
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key
from portal.deployments.view import live_section, verdict_section
from portal.navigation import DEPLOYMENTS_PAGE
from portal.query import url_selectbox
from portal.wording import escape_markdown, glossary_line, state_label

__all__ = ["pick_pair", "render", "comparison", "difference_chart"]

_VERDICT_WORDS = {"pass": "✔ pass", "fail": "✘ fail", "insufficient_evidence": "? too few to judge",
                  "not_assessed": "— not assessed", None: "— not in this report"}
_DIFFERENCE_WORDS = {"better": "better", "worse": "worse", "no clear difference": "no clear difference"}


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _default_pair(key: SettingsKey, name: str) -> tuple[int, int]:
    return default_pair(app_for(key), name)


#: What the pipeline stored does not change, so the paired bootstrap on it is kept for longer;
#: the versions' states and the live canary figures are read afresh every few seconds.
STORED_CACHE_SECONDS = 600


@st.cache_data(ttl=STORED_CACHE_SECONDS, show_spinner="Comparing the two versions on their stored test scores…")
def _stored(key: SettingsKey, name: str, champion: int, challenger: int) -> VersionComparison:
    return compare_versions(app_for(key), name, champion, challenger, live=False)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _comparison(key: SettingsKey, name: str, champion: int, challenger: int) -> VersionComparison:
    return with_live(app_for(key), _stored(key, name, champion, challenger))


def comparison(name: str, champion: int, challenger: int) -> VersionComparison:
    return _comparison(settings_key(), name, champion, challenger)


def pick_pair(name: str, versions: list[Version]) -> tuple[int | None, int | None]:
    """The two versions the URL names (``?a=&b=``), else production against the newest."""
    champion_default, challenger_default = _default_pair(settings_key(), name)
    by_number = {v.number: v for v in versions}
    numbers = sorted(by_number, reverse=True)

    def label(n: int) -> str:
        return f"Version {n} — {state_label(by_number[n].state)}"

    left, right = st.columns(2)
    with left:
        champion, bad_a = url_selectbox("Kept version (champion)", numbers, param="a", format_func=label,
                                        default=champion_default)
    with right:
        challenger, bad_b = url_selectbox("Candidate version (challenger)", numbers, param="b", format_func=label,
                                          default=challenger_default)
    for bad in (bad_a, bad_b):
        if bad is not None:
            st.error(f"There is no version {escape_markdown(bad)} among the latest versions of this model. Choose one "
                     "from the lists.", icon=":material/search_off:")
    return champion, challenger


def difference_chart(result: VersionComparison) -> alt.LayerChart | None:
    """Each metric's difference (challenger − champion) with its 95% interval, and a line at zero."""
    rows = [{"Metric": m.label, "Difference": m.difference, "Low": m.low, "High": m.high,
             "Reading": _DIFFERENCE_WORDS[m.verdict], "Better when": "higher" if m.higher_is_better else "lower"}
            for m in result.metrics if m.difference is not None and m.low is not None]
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    colour = alt.Color("Reading:N", title="For the candidate", scale=alt.Scale(
        domain=["better", "no clear difference", "worse"], range=["#2e7d32", "#8c8c8c", "#c62828"]))
    y = alt.Y("Metric:N", sort=None, title=None)
    tooltip = ["Metric", alt.Tooltip("Difference:Q", format="+.4f"), alt.Tooltip("Low:Q", format="+.4f"),
               alt.Tooltip("High:Q", format="+.4f"), "Better when", "Reading"]
    bars = alt.Chart(frame).mark_rule(strokeWidth=3).encode(x=alt.X("Low:Q", title="Candidate minus kept version"),
                                                             x2="High:Q", y=y, color=colour, tooltip=tooltip)
    dots = alt.Chart(frame).mark_point(filled=True, size=80).encode(x="Difference:Q", y=y, color=colour,
                                                                     tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x="x:Q")
    return (bars + dots + zero).properties(height=34 * len(rows) + 40)


def _recommendation(result: VersionComparison) -> None:
    rec = result.recommendation
    text = f"**{rec.headline}.**\n\n" + "\n".join(f"- {escape_markdown(r)}" for r in rec.reasons)
    (st.success if rec.promote else st.error)(text, icon=":material/thumb_up:" if rec.promote else
                                              ":material/thumb_down:")
    st.caption(f"How this is decided: {RECOMMENDATION_RULE} It is advice for the reviewers, not a decision: "
               "promotion still goes through sign-off and the canary.")


def _quality(result: VersionComparison) -> None:
    st.subheader("Model quality on the test set")
    (st.info if result.same_rows else st.warning)(escape_markdown(result.rows_note), icon=":material/rule:")
    a, b = f"Version {result.champion}", f"Version {result.challenger}"
    rows = []
    for m in result.metrics:
        row = {"Metric": m.label + (" (primary)" if m.name == result.primary_metric else ""),
               a: format_value(m.name, m.champion), b: format_value(m.name, m.challenger)}
        if result.same_rows:
            row["Difference"] = f"{m.difference:+.3f}" if m.difference is not None else "—"
            row["95% interval"] = f"{m.low:+.3f} to {m.high:+.3f}" if m.low is not None else "—"
            row["For the candidate"] = _DIFFERENCE_WORDS.get(m.verdict, "—")
        row["Better when"] = "higher" if m.higher_is_better else "lower"
        row["What it means"] = m.explanation
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    chart = difference_chart(result)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
        st.caption("How to read it: each dot is the candidate's figure minus the kept version's, on the same test "
                   "rows; the bar is its 95% interval. A bar that crosses the dashed zero line means the gap could "
                   "be chance. " + glossary_line("95% interval", "Bootstrap"))


def _fairness(result: VersionComparison) -> None:
    st.subheader("Fairness checks")
    if not result.fairness:
        st.caption("Neither version's fairness report holds a check (no sensitive feature was declared, or the "
                   "reports stage did not run).")
        return
    a, b = f"Version {result.champion}", f"Version {result.challenger}"
    st.dataframe(pd.DataFrame([{
        "Sensitive feature": p.feature, "Check": p.label,
        a: f"{_VERDICT_WORDS.get(p.champion_verdict, p.champion_verdict)} ({format_value(p.metric, p.champion_value)})",
        b: f"{_VERDICT_WORDS.get(p.challenger_verdict, p.challenger_verdict)} "
           f"({format_value(p.metric, p.challenger_value)})",
        "New fail": "yes" if p.new_fail else "no"} for p in result.fairness]), hide_index=True, width="stretch")
    st.caption("Each check compares how the model treats the groups of a sensitive feature, against the limit the "
               "policy sets; the number in brackets is the measured gap or ratio. A new fail is a check the "
               "candidate fails and the kept version did not.")


def _drivers(result: VersionComparison) -> None:
    st.subheader("What drives the scores")
    if not result.drivers:
        st.caption("Neither version has an explainability report, so the drivers cannot be compared.")
        return
    a, b = f"Version {result.champion}", f"Version {result.challenger}"

    def place(rank: int | None, share: float | None) -> str:
        return "not among the drivers" if rank is None else f"#{rank} ({(share or 0):.0%})"

    st.dataframe(pd.DataFrame([{"Input": d.feature, a: place(d.champion_rank, d.champion_share),
                                b: place(d.challenger_rank, d.challenger_share)} for d in result.drivers]),
                 hide_index=True, width="stretch")
    st.caption("The inputs that move each version's scores most: their rank, and their share of everything that moves "
               "the scores (from SHAP values the pipeline computed). A large reshuffle means the candidate reasons "
               "differently, even when its accuracy is the same.")


def _compute(result: VersionComparison) -> None:
    st.subheader("Speed and size")
    if not result.compute:
        st.caption("No test-environment measurements are stored for these versions.")
        return
    a, b = f"Version {result.champion}", f"Version {result.challenger}"
    st.dataframe(pd.DataFrame([{
        "Measure": c.label, a: format_value(c.name, c.champion), b: format_value(c.name, c.challenger),
        "Candidate ÷ kept": f"{c.ratio:.2f}×" if c.ratio is not None else "—",
        "What it means": c.explanation} for c in result.compute]), hide_index=True, width="stretch")
    st.caption("Measured by the pipeline in the test environment, through the serving path. Measurements move with "
               "the machine's load, so only large gaps count.")


def render(result: VersionComparison) -> None:
    _recommendation(result)
    _quality(result)
    _fairness(result)
    _drivers(result)
    _compute(result)
    if result.live is not None:
        st.divider()
        st.caption("A canary is running for this model: here is how it and production did on real requests, as the "
                   "Deployments page reads them.")
        verdict_section(result.live)
        live_section(result.live)
        st.page_link(DEPLOYMENTS_PAGE, label="Run the judge, promote or roll back on the Deployments page",
                     icon=":material/rocket_launch:", query_params={"model": result.model})
    for line in result.missing:
        st.caption(f":material/info: {line}")
