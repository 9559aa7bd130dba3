"""Altair charts of the Deployments page: the traffic split and the deployment timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd

from backend.domain import ServingPeriod
from portal.wording import format_when

__all__ = ["traffic_split_chart", "deployment_timeline_chart", "SLOT_LABELS"]

SLOT_LABELS = {"production": "Production", "canary": "Canary"}
_SLOT_COLORS = {"Production": "#2e7d5b", "Canary": "#ef6c00"}


def traffic_split_chart(production: int, canary: int | None, canary_percent: float) -> alt.Chart:
    """One bar: the share of live traffic each version serves."""
    parts = [{"Slot": "Production", "Version": f"version {production} (production)", "Share": 100 - canary_percent}]
    if canary is not None:
        parts.append({"Slot": "Canary", "Version": f"version {canary} (canary)", "Share": canary_percent})
    frame = pd.DataFrame(parts)
    frame["Label"] = frame["Version"] + ": " + frame["Share"].map(lambda v: f"{v:g}%")
    # Streamlit fits axes and legend inside the height: leave the bar room.
    return alt.Chart(frame).mark_bar(height=28).encode(
        x=alt.X("Share:Q", title="Share of live traffic (%)", stack="zero", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("Version:N", title="Serves", legend=alt.Legend(orient="right"),
                        scale=alt.Scale(domain=[p["Version"] for p in parts],
                                        range=[_SLOT_COLORS[p["Slot"]] for p in parts])),
        order=alt.Order("Slot:N", sort="descending"),
        tooltip=[alt.Tooltip("Label:N", title="Serves")],
    ).properties(height=110)


def deployment_timeline_chart(periods: list[ServingPeriod], now: datetime | None = None) -> alt.Chart:
    """Each version as a bar over the time it served production or the canary; hover for why."""
    now = now or datetime.now(UTC)
    frame = pd.DataFrame([{
        "Slot": SLOT_LABELS[p.slot],
        "Version": f"v{p.version}",
        "From": p.start,
        "To": p.end or now,
        "Since": format_when(p.start),
        "Until": format_when(p.end) if p.end else "still serving",
        "Why it started": p.start_reason,
        "Why it ended": p.end_reason or "—",
        "By": p.started_by,
        "Share": f"{p.traffic_percent:g}% of traffic" if p.traffic_percent else "all other traffic",
    } for p in periods])
    span = frame["To"].max() - frame["From"].min()
    # Ticks as fine as the history is long: seconds for a canary minutes old, days for months.
    fmt = "%H:%M:%S" if span.total_seconds() < 600 else "%d %b %H:%M" if span.days < 3 else "%d %b %Y"
    base = alt.Chart(frame).encode(
        y=alt.Y("Slot:N", title=None, sort=list(SLOT_LABELS.values())),
        x=alt.X("From:T", title="When (UTC)", scale=alt.Scale(type="utc"),
                axis=alt.Axis(format=fmt, labelOverlap="greedy")),
        x2="To:T",
    )
    bars = base.mark_bar(height=22, cornerRadius=3, stroke="white", strokeWidth=1).encode(
        color=alt.Color("Version:N", title="Version", legend=alt.Legend(orient="right")),
        tooltip=["Slot", "Version", "Since", "Until", "Share", "By", "Why it started", "Why it ended"],
    )
    labels = base.mark_text(align="left", dx=4, color="white", fontWeight="bold").encode(text="Version:N")
    # Streamlit fits the axis inside the height: about 45 px a slot, plus the axis.
    return (bars + labels).properties(height=70 + 45 * frame["Slot"].nunique())
