"""Altair charts: a model's versions over time, and its key metrics against the policy gates."""

from __future__ import annotations

import altair as alt
import pandas as pd

from backend.domain import Version
from backend.metrics import METRICS, PRIMARY_METRIC
from portal.tables import gates_of
from portal.wording import STATE_COLORS, STATE_LABELS, format_when, metric_label, state_label

__all__ = ["key_metrics", "timeline_chart", "metrics_chart"]

_SERIES = ["Measured", "Minimum allowed", "Maximum allowed"]
#: Three panels a row, each narrow enough that the row (with axes) fits beside the sidebar at 1400 px.
PANEL_WIDTH, PANEL_COLUMNS = 220, 3
_SERIES_COLORS = ["#2e7d5b", "#c62828", "#ef6c00"]


def key_metrics(versions: list[Version], task: str | None) -> list[str]:
    """The primary metric of the task, then every metric a version's policy puts a gate on,
    leaving out any that no version has measured (a panel of limits alone says nothing)."""
    names: list[str] = []
    primary = PRIMARY_METRIC.get(task or "")
    if primary:
        names.append(primary)
    for version in versions:
        gates = gates_of(version)
        for metric in [*gates["min"], *gates["max"]]:
            if metric not in names and metric in METRICS:
                names.append(metric)
    measured = {name for version in versions for name in version.metrics}
    return [name for name in names if name in measured]


def timeline_chart(versions: list[Version]) -> alt.Chart:
    """Each version as a dot at the time it was registered, coloured by its state."""
    frame = pd.DataFrame([{
        "Version": v.number,
        "Label": f"v{v.number}",
        "State": state_label(v.state),
        "Registered": v.created_at,
        "When": format_when(v.created_at),
        "Author": v.author,
        "Model type": v.estimator or "not built yet",
    } for v in versions])
    present = [label for label in STATE_LABELS.values() if label in set(frame["State"])]
    colors = [STATE_COLORS[state] for state, label in STATE_LABELS.items() if label in present]
    low, high = int(frame["Version"].min()), int(frame["Version"].max())
    # Whole version numbers only, and no tick finer than a minute (pipelines run minutes apart).
    version_axis = (alt.Axis(values=list(range(low, high + 1)), format="d") if high - low < 12
                    else alt.Axis(format="d", tickMinStep=1))
    base = alt.Chart(frame).encode(
        x=alt.X("Registered:T", title="Registered (UTC)", scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%d %b %H:%M", tickMinStep=60_000, labelOverlap="greedy")),
        y=alt.Y("Version:Q", title="Version", scale=alt.Scale(domain=[low - 0.5, high + 0.5], nice=False),
                axis=version_axis),
    )
    line = base.mark_line(color="#c7c7c7", strokeWidth=1)
    dots = base.mark_point(filled=True, size=140, opacity=1).encode(
        color=alt.Color("State:N", title="State", scale=alt.Scale(domain=present, range=colors),
                        legend=alt.Legend(orient="bottom")),
        tooltip=["Label:N", "State:N", "When:N", "Author:N", "Model type:N"],
    )
    return (line + dots).properties(height=220)


def _panel_title(metric: str) -> str:
    unit = METRICS[metric].unit if metric in METRICS else ""
    return f"{metric_label(metric)} ({unit})" if unit else metric_label(metric)


def metrics_chart(versions: list[Version], metrics: list[str]) -> alt.ConcatChart | None:
    """One small panel per metric: its value per version, and the policy's limits as dashes.

    The limits are each version's own policy, so a gate that changed shows as a step.
    """
    rows = []
    for version in sorted(versions, key=lambda v: v.number):
        gates = gates_of(version)
        for metric in metrics:
            label = _panel_title(metric)
            value = version.metrics.get(metric)
            if value is not None:
                rows.append({"Version": version.number, "Metric": label, "Series": "Measured", "Value": float(value)})
            for bound, series in (("min", "Minimum allowed"), ("max", "Maximum allowed")):
                if metric in gates[bound]:
                    rows.append({"Version": version.number, "Metric": label, "Series": series,
                                 "Value": float(gates[bound][metric])})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    panels = []
    for metric in metrics:
        title = _panel_title(metric)
        panels.append(alt.Chart(frame[frame["Metric"] == title], title=title).mark_line(point=True).encode(
            x=alt.X("Version:Q", title="Version", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("Value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color("Series:N", title=None, scale=alt.Scale(domain=_SERIES, range=_SERIES_COLORS),
                            legend=alt.Legend(orient="bottom", symbolType="stroke")),
            strokeDash=alt.StrokeDash("Series:N", scale=alt.Scale(domain=_SERIES, range=[[1, 0], [6, 4], [6, 4]]),
                                      legend=None),
            tooltip=["Metric:N", "Version:Q", "Series:N", alt.Tooltip("Value:Q", format=",.3f")],
        ).properties(width=PANEL_WIDTH, height=170))
    # Separate panels rather than a facet: each keeps its own scale, and no empty cell grows axes.
    return alt.concat(*panels, columns=PANEL_COLUMNS).resolve_scale(y="independent")
