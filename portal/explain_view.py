"""The explainability part of the Reports page: top drivers, the spread and direction of their
effects, and a handful of single cases explained from the average score to their own.

Everything comes from the explainability report the pipeline stored; the page never
computes a SHAP value.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from portal import report_charts
from portal.report_tables import case_table, explain_units, percent, report_labels
from portal.wording import escape_markdown, glossary_line

__all__ = ["explainability_sections"]

_TOP = 12


def _md(text: Any) -> str:
    return escape_markdown(str(text))


def explainability_sections(report: dict[str, Any] | None, threshold: float | None = None) -> None:
    """Top drivers, their effects and the single cases; ``threshold`` is the decision threshold, if any."""
    st.subheader("What drives the model", anchor="drivers")
    if report is None:
        st.info("This version has no explainability report, so what drives its decisions is not shown.",
                icon=":material/help:")
        return
    if not report.get("explainer") or not report.get("global"):
        reasons = [item["reason"] for item in report.get("not_computed", [])]
        st.info("No explanations could be computed for this model. " + " ".join(_md(r) for r in reasons),
                icon=":material/help:")
        return
    labels = report_labels(report)
    renamed = [(labels.feature(d["feature"]), d["feature"]) for d in report["global"]
               if labels.feature(d["feature"]) != d["feature"]]
    report = _display_names(report)
    _drivers(report)
    if renamed:
        st.caption("Names in the data: " + "; ".join(f"{_md(shown)} is {_md(raw)}" for shown, raw in renamed) + ".")
    _effects(report)
    _cases(report, threshold)


def _display_names(report: dict[str, Any]) -> dict[str, Any]:
    """The report with the spec's display names for features and values (the stored one is untouched)."""
    labels = report_labels(report)
    if not (labels.features or labels.values):
        return report
    out = dict(report)
    out["global"] = [{**d, "feature": labels.feature(d["feature"])} for d in report["global"]]
    out["effects"] = [{**e, "feature": labels.feature(e["feature"]),
                       "by_value": [{**v, "value": labels.value(e["feature"], v["value"])} for v in e["by_value"]]}
                      for e in report.get("effects", [])]
    out["cases"] = [{**c, "contributions": [{**x, "feature": labels.feature(x["feature"]),
                                             "value": labels.value(x["feature"], x["value"])}
                                            for x in c.get("contributions", [])]}
                    for c in report.get("cases", [])]
    return out


def _drivers(report: dict[str, Any]) -> None:
    drivers = [d for d in report["global"] if d["share"] >= 0.0005]
    idle = [d["feature"] for d in report["global"] if d["share"] < 0.0005]
    if not drivers:
        st.info("None of the inputs moves this model's scores: it gives every row the same score.",
                icon=":material/help:")
        return
    top = drivers[:3]
    together = sum(d["share"] for d in top)
    st.markdown("**Top drivers.** The inputs that move the model's score most are "
                + ", ".join(f"**{_md(d['feature'])}** ({percent(d['share'])})" for d in top)
                + (f": together {percent(together)} of the total effect of all {len(report['global'])} inputs."
                   if len(report["global"]) > len(top) else "."))
    sampled = " (a random sample)" if report.get("sampled") else ""
    st.caption(f"Each bar is an input's share of how much all inputs move the score, on average over "
               f"{report.get('rows_explained', 0):,} of {report.get('test_rows', 0):,} test rows{sampled}. "
               f"Inputs keep their original names: an input the model sees as several columns (one per category) "
               f"counts once. Method: {_md(report['explainer'])}, {_md(report.get('explainer_reason') or '')}.")
    st.caption(glossary_line("SHAP", "TreeSHAP", "Additivity", "Log-odds"))
    if len(drivers) > _TOP:
        st.caption(f"The {_TOP} largest of {len(drivers)} inputs with an effect are shown.")
    if idle:
        st.caption(f"{len(idle)} input{'s have' if len(idle) > 1 else ' has'} no measurable effect on this model's "
                   f"scores: {', '.join(_md(name) for name in idle[:15])}{' …' if len(idle) > 15 else ''}.")
    st.altair_chart(report_charts.drivers_chart(drivers, top=_TOP), width="stretch")

    st.markdown("**How far each top driver's push ranges.** The push of an input differs from one person to the "
                "next: the bar holds the middle half of the test rows, the thin line nine in ten, the dark tick "
                "the median. Right of the dotted zero line the input raises the score, left of it lowers it.")
    st.caption(explain_units(report.get("units")))
    st.altair_chart(report_charts.spread_chart(drivers, report.get("units")), width="stretch")


def _effects(report: dict[str, Any]) -> None:
    effects = [e for e in report.get("effects", []) if e.get("by_value")]
    if not effects:
        return
    noun = "score" if report.get("task", "classification") == "classification" else "prediction"
    st.markdown(f"**Which values raise or lower the {noun}**")
    by_name = {e["feature"]: e for e in effects}
    name = st.selectbox("Show the effect of", list(by_name), key="reports_effect_feature")
    effect = by_name[name]
    what = ("Each bar is the average push of one band of values" if effect["kind"] == "number"
            else "Each bar is the average push of one value (the ten most common are shown)")
    trend = ""
    correlation = effect.get("correlation")
    if isinstance(correlation, int | float):
        trend = (f" Overall, higher values raise the {noun}." if correlation > 0.3 else
                 f" Overall, higher values lower the {noun}." if correlation < -0.3 else
                 f" Higher values do not push the {noun} one way consistently.")
    st.caption(f"{what}, over the explained test rows. {explain_units(report.get('units'))}{trend}")
    chart = report_charts.effect_chart(effect, report.get("units"), noun)
    if chart is not None:
        st.altair_chart(chart, width="stretch")


def _case_title(case: dict[str, Any], task: str, threshold: float | None) -> str:
    """The case's kind in words that never contradict its score (a model may flag no one)."""
    if task != "classification":
        return case["title"]
    kind = {"clearly_positive": "One of the highest scores", "clearly_negative": "One of the lowest scores",
            "borderline": "A borderline score"}.get(case["kind"], case["title"])
    if threshold is None:
        return kind
    return f"{kind} ({'flagged' if case['score'] >= threshold else 'not flagged'})"


def _cases(report: dict[str, Any], threshold: float | None) -> None:
    cases = report.get("cases") or []
    st.subheader("Single cases, explained", anchor="cases")
    if not cases:
        st.info("No single cases were explained for this version.")
        return
    task = report.get("task", "classification")
    st.caption("A few real test rows, chosen to be clear yes's, clear no's and borderline calls. Each starts at "
               "the model's average score and adds one input at a time, largest push first, until it reaches the "
               "case's own score.")

    def label(i: int) -> str:
        case = cases[i]
        score = (f"score {percent(case['score'])}" if task == "classification"
                 else f"prediction {case['score']:,.3g}")
        same = [j for j, c in enumerate(cases) if c["kind"] == case["kind"]]
        number = f", case {same.index(i) + 1} of {len(same)}" if len(same) > 1 else ""
        return f"{_case_title(case, task, threshold)}{number} — {score}"

    index = st.selectbox("Case", list(range(len(cases))), format_func=label, key="reports_case")
    case = cases[index]
    base = percent(case["base_score"]) if task == "classification" else f"{case['base_score']:,.3g}"
    score = percent(case["score"]) if task == "classification" else f"{case['score']:,.3g}"
    if task == "classification":
        st.markdown(f"The average score is **{base}**; this case scores **{score}**. Orange bars raise the score, "
                    "blue bars lower it:")
    else:
        st.markdown(f"The average prediction is **{base}**; for this case the model predicts **{score}**. Orange "
                    "bars raise the prediction, blue bars lower it:")
    st.altair_chart(report_charts.case_chart(case, task), width="stretch")
    st.dataframe(case_table(case, task), hide_index=True, width="stretch")
    if task == "classification":
        st.caption("Points are percentage points of the score. An input's push depends on the inputs added before "
                   "it: near 0% or 100% a score hardly moves, so inputs added late show small pushes even when "
                   "they matter in other cases.")
