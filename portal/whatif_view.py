"""The decision-threshold what-if of the Reports page.

The pipeline stored every test row's score; moving the threshold only recounts who would be
flagged (:func:`backend.reports.threshold_whatif`). No model runs, nothing is re-scored.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from backend.reports import ALL_GROUPS
from portal import report_charts, report_data
from portal.report_tables import (
    WHATIF_EXPLANATIONS,
    WHATIF_LABELS,
    parity_at_threshold,
    percent,
    whatif_table,
)
from portal.wording import escape_markdown

__all__ = ["whatif_section"]

#: What each headline figure's change means: for the error rates, going up is bad news.
_DELTA_COLORS = {"selection_rate": "off", "true_positive_rate": "normal", "false_positive_rate": "inverse",
                 "accuracy": "normal"}
_EVERYONE_ONLY = "(everyone together)"
_HEADLINE_EXPLANATIONS = {
    "selection_rate": "Share of all people the model would flag.",
    "true_positive_rate": "Of the real positive cases, the share the model would find.",
    "false_positive_rate": "Of the real negative cases, the share the model would wrongly flag.",
    "accuracy": "Share of all cases the model would label correctly.",
}


def _md(text: Any) -> str:
    return escape_markdown(str(text))


def _row(frame: pd.DataFrame, threshold: float, group: str = ALL_GROUPS) -> pd.Series:
    at = frame[((frame["threshold"] - threshold).abs() < 1e-9) & (frame["group"] == group)]
    return at.iloc[0]


def whatif_section(name: str, number: int, fairness: dict[str, Any], has_test_scores: bool) -> None:
    st.subheader("What if the decision threshold moved?", anchor="what-if")
    if fairness.get("task") != "classification":
        st.info("The threshold what-if is not available for this model: it predicts a number rather than a yes/no "
                "decision, so there is no threshold to move.", icon=":material/tune:")
        return
    if not has_test_scores:
        st.info("The threshold what-if is not available for this version: the pipeline did not store its test "
                "scores.", icon=":material/tune:")
        return
    positive = fairness.get("positive_label")
    flagged = f"flagged as '{_md(positive)}'" if positive else "flagged"
    used = fairness.get("threshold")
    st.caption(f"The model gives every person a score from 0% to 100%; anyone at or above the threshold is {flagged}. "
               + (f"The pipeline used {used:.0%}. " if used is not None else "")
               + "Move the slider to see, on the test rows, how many people of each group would be flagged and how "
               "the mistakes would shift. This is a preview from the scores the pipeline stored: nothing is "
               "re-scored, and the verdicts above stay those of the pipeline's threshold.")
    features = [f["feature"] for f in fairness.get("features", []) if f.get("groups")]
    left, right = st.columns([3, 2], gap="large")
    with right:
        feature = st.selectbox("Compare the groups of", features + [_EVERYONE_ONLY], key="whatif_feature")
    frame = report_data.threshold_whatif(name, number, None if feature == _EVERYONE_ONLY else feature)
    thresholds = sorted(float(t) for t in frame["threshold"].unique())
    start = min(thresholds, key=lambda t: abs(t - used)) if used is not None else thresholds[len(thresholds) // 2]
    with left:
        threshold = st.select_slider("Decision threshold (score needed to be flagged)", options=thresholds,
                                     value=start, format_func=lambda t: f"{t:.0%}", key="whatif_threshold")
    _headline(frame, threshold, start)
    _parity_sentence(frame, threshold, fairness)
    st.dataframe(whatif_table(frame, threshold), hide_index=True, width="stretch")
    st.markdown("\n".join(f"- **{WHATIF_LABELS[m]}**: {_md(WHATIF_EXPLANATIONS[m])}" for m in WHATIF_LABELS))
    metric = st.radio("Show in the chart", list(WHATIF_LABELS), format_func=WHATIF_LABELS.get, horizontal=True,
                      key="whatif_metric")
    st.altair_chart(report_charts.whatif_chart(frame, metric, threshold, start), width="stretch")
    st.caption("Each line is one group; the dashed line is everyone together. Small groups jump from one "
               "threshold to the next: a few people make a large share of them.")


def _headline(frame: pd.DataFrame, threshold: float, start: float) -> None:
    now, before = _row(frame, threshold), _row(frame, start)
    st.markdown(f"**Everyone together at a threshold of {threshold:.0%}** "
                f"({int(now['count']):,} test rows; changes are against {start:.0%}):")
    for column, metric in zip(st.columns(len(_DELTA_COLORS)), _DELTA_COLORS, strict=True):
        with column:
            change = (now[metric] - before[metric]) * 100
            delta = None if abs(threshold - start) < 1e-9 or pd.isna(change) else f"{change:+.1f} points"
            st.metric(WHATIF_LABELS[metric], percent(now[metric]), delta=delta, delta_color=_DELTA_COLORS[metric])
            st.caption(_HEADLINE_EXPLANATIONS[metric])


def _parity_sentence(frame: pd.DataFrame, threshold: float, fairness: dict[str, Any]) -> None:
    policy = fairness.get("policy") or {}
    min_size = int(policy.get("min_group_size", 30))
    parity = parity_at_threshold(frame, threshold, min_size)
    if parity is None:
        return
    limits = []
    ratio_limit = (policy.get("min") or {}).get("demographic_parity_ratio")
    gap_limit = (policy.get("max") or {}).get("demographic_parity_difference")
    if ratio_limit is not None:
        limits.append(f"a ratio of at least {ratio_limit:.2f}")
    if gap_limit is not None:
        limits.append(f"a gap of at most {gap_limit * 100:.0f} points")
    if parity["difference"] < 1e-12:
        st.markdown(f"At {threshold:.0%}, every group is flagged equally often: {percent(parity['top_rate'])} of "
                    "each.")
        st.caption(f"Only groups of at least {min_size} people are compared here, as in the verdicts.")
        return
    ratio = f"{parity['ratio']:.2f}" if pd.notna(parity["ratio"]) else "not defined (no one is flagged)"
    st.markdown(f"At {threshold:.0%}, the most-flagged group, '{_md(parity['top'])}', is flagged "
                f"{percent(parity['top_rate'])} of the time and the least-flagged, '{_md(parity['bottom'])}', "
                f"{percent(parity['bottom_rate'])}: a gap of {parity['difference'] * 100:.0f} points and a ratio of "
                f"{ratio}" + (f" (the policy asks for {' and '.join(limits)})." if limits else "."))
    st.caption(f"Only groups of at least {min_size} people are compared here, as in the verdicts.")
