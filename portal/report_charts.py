"""Altair charts for the Reports page: disparities against the policy, groups, drivers,
effects, one case's explanation and the threshold what-if.

Every chart is built from the stored reports or the stored test scores; none runs a model.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from backend.metrics import GROUP_METRICS
from backend.reports import ALL_GROUPS, Labels
from portal.report_tables import (
    WHATIF_LABELS,
    effect_units,
    percent,
    verdict_label,
)

__all__ = ["disparity_chart", "group_rates_chart", "drivers_chart", "spread_chart", "effect_chart", "case_chart",
           "whatif_chart"]

_VERDICT_DOMAIN = ["Pass", "Fail", "Insufficient evidence"]
_VERDICT_RANGE = ["#2e7d32", "#c62828", "#ef8f00"]
_UP, _DOWN, _TOTAL = "#d95f02", "#1b7fb4", "#8c8c8c"


def disparity_chart(report: dict[str, Any], labels: Labels | None = None) -> alt.HConcatChart | None:
    """One panel per fairness check: each feature's gap with its 95% interval, and the policy's limit.

    A dot's colour is its verdict; the dashed red line is the limit the policy sets.
    """
    rows = []
    for feature in report.get("features", []):
        for check in feature.get("checks", []):
            if check.get("value") is None:
                continue
            rows.append({"Feature": (labels or Labels()).feature(feature["feature"]), "Check": check["label"],
                         "Value": check["value"],
                         "Low": check["low"] if check["low"] is not None else check["value"],
                         "High": check["high"] if check["high"] is not None else check["value"],
                         "Limit": check["threshold"], "Bound": check["bound"],
                         "Verdict": verdict_label(check["verdict"]), "Why": check["reason"]})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    features = list(dict.fromkeys(frame["Feature"]))
    panels = []
    for check in dict.fromkeys(frame["Check"]):
        part = frame[frame["Check"] == check]
        bound, limit = part["Bound"].iloc[0], float(part["Limit"].iloc[0])
        title = f"{check}: {'at least' if bound == 'min' else 'at most'} {limit:.2f}"
        top = max(1.0 if bound == "min" else 0.0, float(part["High"].max()), limit) * (1.0 if bound == "min" else 1.15)
        x = alt.X("Value:Q", title=None, scale=alt.Scale(domain=[0, round(top, 2)], nice=False))
        y = alt.Y("Feature:N", title=None, sort=features, axis=alt.Axis(labelOverlap=False))
        base = alt.Chart(part)
        color = alt.Color("Verdict:N", title="Verdict", scale=alt.Scale(domain=_VERDICT_DOMAIN, range=_VERDICT_RANGE),
                          legend=alt.Legend(orient="bottom"))
        interval = base.mark_rule(strokeWidth=3, opacity=0.6).encode(
            x=alt.X("Low:Q", scale=alt.Scale(domain=[0, round(top, 2)], nice=False), title=None), x2="High:Q", y=y,
            color=color)
        dots = base.mark_point(filled=True, size=110, opacity=1).encode(
            x=x, y=y, color=color,
            tooltip=["Feature:N", "Check:N", alt.Tooltip("Value:Q", format=".2f"), alt.Tooltip("Low:Q", format=".2f"),
                     alt.Tooltip("High:Q", format=".2f"), "Verdict:N", "Why:N"])
        line = alt.Chart(pd.DataFrame({"Limit": [limit]})).mark_rule(color="#c62828", strokeDash=[6, 4],
                                                                       strokeWidth=2).encode(x="Limit:Q")
        panels.append((interval + dots + line).properties(title=title, width=200, height=alt.Step(34)))
    return alt.hconcat(*panels).resolve_scale(x="independent")


def group_rates_chart(feature: dict[str, Any], task: str, labels: Labels | None = None) -> alt.HConcatChart | None:
    """Each group's key rates (errors, for regression) with their 95% intervals, side by side: the
    base rate (real positives) beside the selection rate, so the gap in the data shows next to the
    model's."""
    labels = labels or Labels()
    metrics = (["base_rate", "selection_rate", "true_positive_rate", "false_positive_rate"]
               if task == "classification" else ["mae"])
    scale = 100.0 if task == "classification" else 1.0
    rows = []
    for group in feature.get("groups", []):
        for metric in metrics:
            cell = group.get(metric) or {}
            if cell.get("value") is None:
                continue
            low = cell.get("low") if cell.get("low") is not None else cell["value"]
            high = cell.get("high") if cell.get("high") is not None else cell["value"]
            title = "Real positives" if metric == "base_rate" else GROUP_METRICS[metric].label
            rows.append({"Group": labels.group(feature["feature"], group["group"]), "Measure": title,
                         "Value": cell["value"] * scale, "Low": low * scale, "High": high * scale,
                         "People": group["count"], "Cases": f"{cell.get('k', '')} of {cell.get('n', '')}"})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    order = [labels.group(feature["feature"], g["group"]) for g in feature.get("groups", [])]
    unit = " (%)" if task == "classification" else ""
    panels = []
    for measure in dict.fromkeys(frame["Measure"]):
        rows_of = frame[frame["Measure"] == measure]
        part = alt.Chart(rows_of)
        top = float(rows_of["High"].max()) * 1.1 or 1.0
        # Percentages: at least 0–10%, at most 0–100% (never a 0–1 axis under a "%" title).
        x_scale = alt.Scale(domain=[0, min(max(top, 10.0), 100.0) if task == "classification" else top], nice=True)
        y = alt.Y("Group:N", title=None, sort=order, axis=alt.Axis(labelOverlap=False, labelLimit=220))
        interval = part.mark_rule(strokeWidth=3, opacity=0.5, color="#4c78a8").encode(
            x=alt.X("Low:Q", title=f"{measure}{unit}", scale=x_scale, axis=alt.Axis(format=",.3~g")), x2="High:Q", y=y)
        dots = part.mark_point(filled=True, size=90, color="#1f4e79", opacity=1).encode(
            x=alt.X("Value:Q", scale=x_scale), y=y,
            tooltip=["Group:N", "People:Q", "Cases:N", alt.Tooltip("Value:Q", format=".1f", title=measure),
                     alt.Tooltip("Low:Q", format=".1f"), alt.Tooltip("High:Q", format=".1f")])
        panels.append((interval + dots).properties(width=170, height=alt.Step(26), title=measure))
    return alt.hconcat(*panels)


def drivers_chart(global_: list[dict[str, Any]], top: int = 12) -> alt.Chart:
    """The inputs ranked by their share of the model's total effect."""
    frame = pd.DataFrame([{"Input": d["feature"], "Share": d["share"] * 100, "Shown": percent(d["share"])}
                          for d in global_[:top]])
    return alt.Chart(frame).mark_bar(color="#2e7d5b").encode(
        x=alt.X("Share:Q", title="Share of the model's total effect (%)"),
        y=alt.Y("Input:N", title=None, sort=list(frame["Input"]), axis=alt.Axis(labelOverlap=False, labelLimit=220)),
        tooltip=["Input:N", alt.Tooltip("Shown:N", title="Share of total effect")],
    ).properties(height=alt.Step(24))


def spread_chart(global_: list[dict[str, Any]], units: str | None, top: int = 6) -> alt.LayerChart:
    """For the top inputs, how far their push ranges across test rows: the middle half as a bar,
    nine in ten rows within the thin line, the median as a tick."""
    factor, title = effect_units(units)
    frame = pd.DataFrame([{"Input": d["feature"], **{k: v * factor for k, v in d["spread"].items()}}
                          for d in global_[:top]])
    order = list(frame["Input"])
    base = alt.Chart(frame).encode(y=alt.Y("Input:N", title=None, sort=order,
                                           axis=alt.Axis(labelOverlap=False, labelLimit=220)))
    tooltip = ["Input:N", alt.Tooltip("p5:Q", format=".2f", title="5th percentile"),
               alt.Tooltip("p25:Q", format=".2f", title="25th percentile"),
               alt.Tooltip("p50:Q", format=".2f", title="Median"),
               alt.Tooltip("p75:Q", format=".2f", title="75th percentile"),
               alt.Tooltip("p95:Q", format=".2f", title="95th percentile")]
    whisker = base.mark_rule(color="#555").encode(x=alt.X("p5:Q", title=title), x2="p95:Q", tooltip=tooltip)
    box = base.mark_bar(size=14, color="#9ecae1").encode(x="p25:Q", x2="p75:Q", tooltip=tooltip)
    median = base.mark_tick(color="#08306b", thickness=3, size=18).encode(x="p50:Q", tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#999", strokeDash=[3, 3]).encode(x="x:Q")
    return (zero + whisker + box + median).properties(height=alt.Step(30))


def effect_chart(effect: dict[str, Any], units: str | None, noun: str = "score") -> alt.Chart | None:
    """The average push of one input for each of its values (bands, for a number)."""
    if not effect.get("by_value"):
        return None
    factor, title = effect_units(units)
    up, down = f"Raises the {noun}", f"Lowers the {noun}"
    frame = pd.DataFrame([{"Value": str(v["value"]), "Push": v["mean_effect"] * factor, "Rows": v["count"],
                           "Direction": up if v["mean_effect"] >= 0 else down}
                          for v in effect["by_value"]])
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("Push:Q", title=f"Average {title[0].lower()}{title[1:]}"),
        y=alt.Y("Value:N", title=effect["feature"], sort=list(frame["Value"]),
                axis=alt.Axis(labelOverlap=False, labelLimit=260)),
        color=alt.Color("Direction:N", scale=alt.Scale(domain=[up, down], range=[_UP, _DOWN]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["Value:N", alt.Tooltip("Push:Q", format="+.2f"), alt.Tooltip("Rows:Q", title="Test rows")],
    ).properties(height=alt.Step(26))


def case_chart(case: dict[str, Any], task: str) -> alt.LayerChart:
    """A waterfall from the average score to this case's score, one input at a time."""
    scale = 100.0 if task == "classification" else 1.0
    unit = " (%)" if task == "classification" else ""
    noun = "score" if task == "classification" else "prediction"
    up, down = f"Raises the {noun}", f"Lowers the {noun}"
    steps = [{"Step": f"Average {noun} of all rows", "Start": 0.0, "End": case["base_score"] * scale,
              "Kind": "Total"}]
    running = case["base_score"] * scale
    for c in case.get("contributions", []):
        end = running + c["effect_points"] * scale
        steps.append({"Step": f"{c['feature']} = {c['value']}", "Start": running, "End": end,
                      "Kind": up if end >= running else down})
        running = end
    other = case.get("other") or {}
    if other.get("features"):
        end = running + (other.get("effect_points") or 0.0) * scale
        steps.append({"Step": f"{other['features']} other inputs", "Start": running, "End": end,
                      "Kind": up if end >= running else down})
    steps.append({"Step": f"{noun.capitalize()} of this case", "Start": 0.0, "End": case["score"] * scale,
                  "Kind": "Total"})
    frame = pd.DataFrame(steps)
    frame["Push"] = frame["End"] - frame["Start"]
    order = list(frame["Step"])
    bars = alt.Chart(frame).mark_bar(size=16).encode(
        x=alt.X("Start:Q", title=f"{noun.capitalize()}{unit}"), x2="End:Q",
        y=alt.Y("Step:N", title=None, sort=order, axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        color=alt.Color("Kind:N", title=None, scale=alt.Scale(domain=[up, down, "Total"], range=[_UP, _DOWN, _TOTAL]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=["Step:N", alt.Tooltip("Start:Q", format=".2f", title="From"),
                 alt.Tooltip("End:Q", format=".2f", title="To"), alt.Tooltip("Push:Q", format="+.2f")],
    )
    return bars.properties(height=alt.Step(28))


def whatif_chart(frame: pd.DataFrame, metric: str, threshold: float, pipeline_threshold: float | None) -> alt.LayerChart:
    """One rate per group as the threshold moves, with the chosen threshold marked."""
    label = WHATIF_LABELS[metric]
    data = frame.assign(Threshold=frame["threshold"] * 100, Value=frame[metric] * 100,
                        Group=frame["group"], People=frame["count"])[["Threshold", "Value", "Group", "People"]]
    groups = list(dict.fromkeys(data["Group"]))
    lines = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=25)).encode(
        x=alt.X("Threshold:Q", title="Decision threshold: score needed to be flagged (%)"),
        y=alt.Y("Value:Q", title=f"{label} (%)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("Group:N", sort=groups, legend=alt.Legend(orient="right", title=None, labelLimit=220)),
        strokeDash=alt.condition(alt.datum.Group == ALL_GROUPS, alt.value([6, 3]), alt.value([1, 0])),
        tooltip=["Group:N", "People:Q", alt.Tooltip("Threshold:Q", format=".0f"),
                 alt.Tooltip("Value:Q", format=".1f", title=f"{label} (%)")],
    )
    marks = [{"Threshold": threshold * 100, "What": "Chosen threshold"}]
    if pipeline_threshold is not None and abs(pipeline_threshold - threshold) > 1e-9:
        marks.append({"Threshold": pipeline_threshold * 100, "What": "Threshold the pipeline used"})
    rules = alt.Chart(pd.DataFrame(marks)).mark_rule(strokeWidth=2).encode(
        x="Threshold:Q",
        color=alt.value("#333"),
        strokeDash=alt.StrokeDash("What:N", scale=alt.Scale(domain=[m["What"] for m in marks],
                                                            range=[[1, 0], [4, 4]][:len(marks)]),
                                  legend=alt.Legend(orient="bottom", title=None, labelLimit=300)),
        tooltip=["What:N", alt.Tooltip("Threshold:Q", format=".0f")])
    return (lines + rules).properties(height=320)
