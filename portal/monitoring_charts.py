"""Altair charts for the Monitoring page: performance against the sign-off band, a drift heat
map, and fairness over time. Each is built from the stored period results; none computes."""

from __future__ import annotations

import altair as alt
import pandas as pd

from backend.domain import MonitoringPeriod
from backend.monitoring import describe_period

__all__ = ["performance_frame", "performance_chart", "drift_frame", "drift_heatmap", "fairness_frame",
           "fairness_chart"]

_KIND_COLORS = {"Realised": "#1b5e20", "Estimated": "#1b7fb4"}


def _when(p: MonitoringPeriod) -> str:
    return describe_period(p.start, p.period)


def _short(p: MonitoringPeriod) -> str:
    """A period as an axis label: '15 Nov' (a day, or the Monday a week starts), 'Nov 2026'."""
    return p.start.strftime("%b %Y") if p.period == "month" else f"{p.start.day} {p.start:%b}"


def performance_frame(periods: list[MonitoringPeriod], metric: str) -> pd.DataFrame:
    """One row per period with a figure for ``metric``: realised where outcomes are known, else estimated."""
    rows = []
    for p in periods:
        performance = p.result.get("performance") or {}
        realised = (performance.get("realised") or {}).get(metric)
        estimated = ((performance.get("estimated") or {}).get("metrics") or {}).get(metric)
        for kind, figure in (("Realised", realised), ("Estimated", estimated)):
            if figure and figure.get("value") is not None:
                rows.append({"Period": pd.Timestamp(p.start), "When": _when(p), "Kind": kind, "Value": figure["value"],
                             "Low": figure.get("low"), "High": figure.get("high"), "Status": figure.get("status"),
                             "Band low": figure.get("band_low"), "Band high": figure.get("band_high"),
                             "Signed off": figure.get("baseline"), "Gate min": figure.get("gate_min"),
                             "Gate max": figure.get("gate_max")})
    return pd.DataFrame(rows)


def performance_chart(frame: pd.DataFrame, label: str) -> alt.LayerChart:
    """The figure per period with its 95% interval; the signed-off band shaded; gates as red lines."""
    x = alt.X("Period:T", title=None, axis=alt.Axis(format="%d %b"))
    layers = []
    band = frame.dropna(subset=["Band low", "Band high"])
    if not band.empty:
        span = pd.DataFrame({"low": [band["Band low"].iloc[-1]], "high": [band["Band high"].iloc[-1]],
                             "start": [frame["Period"].min()], "end": [frame["Period"].max()]})
        layers.append(alt.Chart(span).mark_rect(color="#a5d6a7", opacity=0.35).encode(
            x="start:T", x2="end:T", y=alt.Y("low:Q", title=label, scale=alt.Scale(zero=False)), y2="high:Q",
            tooltip=[alt.Tooltip("low:Q", title="Band from", format=".3f"),
                     alt.Tooltip("high:Q", title="Band to", format=".3f")]))
    for column, colour in (("Gate min", "#c62828"), ("Gate max", "#c62828")):
        gate = frame[column].dropna()
        if not gate.empty:
            layers.append(alt.Chart(pd.DataFrame({"gate": [gate.iloc[-1]]})).mark_rule(
                color=colour, strokeDash=[6, 4], strokeWidth=2).encode(y="gate:Q"))
    color = alt.Color("Kind:N", title="Figure", scale=alt.Scale(domain=list(_KIND_COLORS),
                                                                range=list(_KIND_COLORS.values())))
    base = alt.Chart(frame).encode(x=x, color=color)
    layers.append(base.mark_rule(strokeWidth=2, opacity=0.5).encode(y=alt.Y("Low:Q", title=label,
                                                                           scale=alt.Scale(zero=False)), y2="High:Q"))
    layers.append(base.mark_line(point=True).encode(
        y="Value:Q", strokeDash=alt.StrokeDash("Kind:N", legend=None),
        tooltip=["When:N", "Kind:N", alt.Tooltip("Value:Q", format=".3f"), alt.Tooltip("Low:Q", format=".3f"),
                 alt.Tooltip("High:Q", format=".3f"), "Status:N"]))
    return alt.layer(*layers).properties(height=280)


def drift_frame(periods: list[MonitoringPeriod]) -> pd.DataFrame:
    rows = []
    for p in periods:
        drift = p.result.get("drift") or {}
        for f in drift.get("features") or []:
            rows.append({"Period": _short(p), "When": _when(p), "Start": p.start.isoformat(), "Input": f["feature"],
                         "Rank": f.get("importance_rank") or 999, "PSI": f["psi"],
                         "Shifted": "yes" if f["flagged"] else "no", "Size": f["psi_level"]})
    return pd.DataFrame(rows)


def drift_heatmap(frame: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Inputs (most important first) × periods, coloured by the PSI; shifted cells marked with a dot."""
    order = list(frame.sort_values(["Rank", "Input"])["Input"].drop_duplicates())
    periods = list(frame.sort_values("Start")["Period"].drop_duplicates())
    base = alt.Chart(frame).encode(
        x=alt.X("Period:N", sort=periods, title=title, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("Input:N", sort=order, title=None))
    cells = base.mark_rect().encode(
        color=alt.Color("PSI:Q", title="Shift (PSI)", scale=alt.Scale(scheme="oranges", domain=[0, 0.3], clamp=True)),
        tooltip=["Input:N", "When:N", alt.Tooltip("PSI:Q", format=".3f"), "Size:N", "Shifted:N"])
    marks = base.transform_filter(alt.datum.Shifted == "yes").mark_text(text="●", color="#b71c1c", fontSize=12)
    return (cells + marks).properties(height=alt.Step(24))


def fairness_frame(periods: list[MonitoringPeriod]) -> pd.DataFrame:
    rows = []
    for p in periods:
        for c in (p.result.get("fairness") or {}).get("checks") or []:
            if c.get("value") is None:
                continue
            rows.append({"Period": pd.Timestamp(p.start), "When": _when(p), "Check": f"{c['label']} — {c['feature']}",
                         "Value": c["value"], "Low": c["low"] if c["low"] is not None else c["value"],
                         "High": c["high"] if c["high"] is not None else c["value"], "Limit": c["threshold"],
                         "Verdict": c["verdict"].replace("_", " ")})
    return pd.DataFrame(rows)


def fairness_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Each parity check over time with its interval, one panel per check, the policy's limit in red."""
    base = alt.Chart().encode(x=alt.X("Period:T", title=None, axis=alt.Axis(format="%d %b")))
    interval = base.mark_rule(strokeWidth=2, opacity=0.5).encode(y=alt.Y("Low:Q", title=None), y2="High:Q")
    line = base.mark_line(point=True, color="#5e35b1").encode(
        y="Value:Q", tooltip=["When:N", "Check:N", alt.Tooltip("Value:Q", format=".2f"),
                              alt.Tooltip("Low:Q", format=".2f"), alt.Tooltip("High:Q", format=".2f"), "Verdict:N"])
    limit = alt.Chart().mark_rule(color="#c62828", strokeDash=[6, 4]).encode(y="mean(Limit):Q")
    return alt.layer(interval, line, limit, data=frame).properties(width=260, height=160).facet(
        facet=alt.Facet("Check:N", title=None), columns=3).resolve_scale(y="independent")
