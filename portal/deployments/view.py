"""What the Deployments page shows: the slots, the traffic split, the canary's live figures beside
production's, the judge's verdict in plain words, the canaries so far and the timeline.

Every text that came from a person (a reason, an override) is shown as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from backend.deployment.record import describe, is_override
from backend.domain import CanaryRun, CanaryVerdict, DeploymentStatus, ModelSummary, SlotMetrics
from portal.deployments import data
from portal.deployments.charts import SLOT_LABELS, deployment_timeline_chart, traffic_split_chart
from portal.wording import escape_markdown, format_when

__all__ = ["overview", "slots", "verdict_section", "live_section", "canaries_section", "timeline_section",
           "packet_section", "duration", "VERDICT_BADGES"]

VERDICT_BADGES = {"pass": ":green-badge[Pass]", "fail": ":red-badge[Fail]", "wait": ":orange-badge[Keep waiting]"}
_CHECK_WORDS = {"pass": "✔ pass", "fail": "✘ fail", "wait": "… keep waiting", "not_judged": "— not judged yet"}


def duration(start: datetime, end: datetime | None = None) -> str:
    seconds = max(0, int(((end or datetime.now(UTC)) - start).total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else "under a minute"


def overview(models: Sequence[ModelSummary]) -> None:
    """Every model at a glance: what serves production, and any canary."""
    rows = [{"Model": f"{m.title} ({m.name})",
             "In production": f"version {m.production_version}" if m.production_version else "nothing yet",
             "Canary": f"version {m.canary_version}" if m.canary_version else "none"} for m in models]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Production serves all live traffic that the canary does not take. A canary is a new version trying "
               "out a small share of live traffic, judged against production before it replaces it.")


def slots(status: DeploymentStatus) -> None:
    serving, canary = status.serving, status.canary
    test_col, canary_col, prod_col = st.columns(3)
    with test_col:
        st.metric("Test environment", f"version {serving.test}" if serving.test else "empty")
        st.caption("Where the pipeline measured the version before sign-off. It serves no customers.")
    with canary_col:
        running = canary is not None and canary.running
        st.metric("Canary", f"version {serving.canary}" if serving.canary else "none")
        if running:
            st.caption(f"Takes {canary.traffic_percent:g}% of live traffic, for {duration(canary.started_at)} now "
                       f"(started by {canary.started_by}, {format_when(canary.started_at)}).")
        else:
            st.caption("No new version is trying out live traffic now.")
    with prod_col:
        st.metric("Production", f"version {serving.production}" if serving.production else "nothing yet")
        st.caption("Serves all live traffic the canary does not take." if serving.production else
                   "No version of this model serves live traffic yet.")
    if serving.production is not None:
        st.altair_chart(traffic_split_chart(serving.production, serving.canary, serving.canary_percent),
                        width="stretch")
        if serving.previous:
            st.caption(f"Version {serving.previous} is kept as the rollback target (the version production had "
                       "before the last promotion).")


def _progress(label: str, served: int, needed: int) -> None:
    share = min(1.0, served / needed) if needed else 1.0
    st.progress(share, text=f"{label}: {served:,} predictions served ({needed:,} needed before a pass)")


def _verdict(verdict: CanaryVerdict) -> None:
    st.markdown(f"**The judge's verdict:** {VERDICT_BADGES.get(verdict.verdict, verdict.verdict)} — judged "
                f"{format_when(verdict.judged_at)} by {escape_markdown(verdict.judged_by or '')}, over "
                f"{verdict.canary_requests:,} predictions by the canary and {verdict.production_requests:,} by "
                "production.")
    box = {"pass": st.success, "fail": st.error}.get(verdict.verdict, st.warning)
    box(escape_markdown(verdict.headline), icon={"pass": ":material/check_circle:", "fail": ":material/error:"}.get(
        verdict.verdict, ":material/hourglass_top:"))
    if verdict.checks:
        st.dataframe(pd.DataFrame([{"Check": c.label, "Result": _CHECK_WORDS.get(c.status, c.status),
                                    "Stops the canary by itself": "yes" if c.critical else "no",
                                    "In plain words": c.summary} for c in verdict.checks]),
                     hide_index=True, width="stretch",
                     column_config={"In plain words": st.column_config.TextColumn(width="large")})
        st.caption("Error rate and latency are compared the way Netflix's Kayenta does: a difference counts only "
                   "when it is larger than the tolerance and too large to be chance (a Mann–Whitney test). A failure "
                   "of either rolls the canary back by itself. The shift of the scores and, once true outcomes "
                   "arrive, the quality of the decisions are judged too.")


def verdict_section(status: DeploymentStatus) -> None:
    st.subheader("The canary judge")
    canary = status.canary
    if canary is None:
        st.info("No canary has run for this model yet.", icon=":material/science:")
        return
    if not canary.running:
        when = format_when(canary.ended_at)
        if canary.outcome == "promoted":
            st.success(f"The last canary, version {canary.version}, was promoted to production on {when} by "
                       f"{escape_markdown(canary.ended_by or '')}.", icon=":material/rocket_launch:")
            if canary.override_reason:
                st.warning("It was promoted **without a passing verdict**, on an admin's override. Their written "
                           "reason:", icon=":material/gavel:")
                st.text(canary.override_reason)
        elif canary.automatic:
            st.error(f"The judge rolled the last canary, version {canary.version}, back automatically on {when}: all "
                     "traffic went back to production at once.", icon=":material/undo:")
            st.text(canary.end_reason or "")
        else:
            st.warning(f"The last canary, version {canary.version}, was rolled back on {when} by "
                       f"{escape_markdown(canary.ended_by or '')}. Their reason:", icon=":material/undo:")
            st.text(canary.end_reason or "")
    else:
        left, right = st.columns(2)
        by_slot = {m.slot: m for m in status.live}
        with left:
            _progress("Canary", by_slot["canary"].requests if "canary" in by_slot else 0, canary.min_requests)
        with right:
            _progress("Production", by_slot["production"].requests if "production" in by_slot else 0,
                      canary.min_requests)
        st.caption(f"The version's policy asks for {canary.min_requests:,} predictions on each side before the judge "
                   "can pass the canary; a clear failure is called sooner.")
    if status.verdict is not None and status.verdict.canary_id == canary.id:
        _verdict(status.verdict)
    elif canary.running:
        st.info("The judge has not looked at this canary yet. Those allowed to deploy can run it below.",
                icon=":material/hourglass_top:")


_MEASURES = [
    ("Predictions served", lambda m: f"{m.requests:,}", "How many predictions this version made in the window."),
    ("Of them simulated", lambda m: f"{m.simulated:,}",
     "Sent by `greenlight simulate` for a demonstration, not by a real client."),
    ("Error rate", lambda m: "—" if m.error_rate is None else f"{m.error_rate * 100:.2f}%",
     "Share of predictions the model could not make."),
    ("Latency, median", lambda m: "—" if m.latency_p50_ms is None else f"{m.latency_p50_ms:.2f} ms",
     "Half of the requests were answered faster than this."),
    ("Latency, 95th percentile", lambda m: "—" if m.latency_p95_ms is None else f"{m.latency_p95_ms:.2f} ms",
     "All but the slowest 5% of requests were answered faster than this."),
    ("Average score", lambda m: "—" if m.mean_score is None else f"{m.mean_score:.3f}",
     "The model's average estimate; a big gap means the two versions see the same people differently."),
    ("Positive decisions", lambda m: "—" if m.positive_rate is None else f"{m.positive_rate * 100:.1f}%",
     "Share of predictions that decided the positive outcome."),
    ("True outcomes arrived", lambda m: f"{m.outcomes:,}", "Predictions whose real outcome is known by now."),
    ("Quality on those outcomes", lambda m: "—" if m.quality is None else
     f"{m.quality:.3f} ({ {'roc_auc': 'ROC AUC', 'accuracy': 'accuracy', 'mae': 'average error'}[m.quality_metric]})",
     "How well it did where the truth is known (ROC AUC and accuracy: higher is better; average error: lower)."),
]


def live_section(status: DeploymentStatus) -> None:
    st.subheader("Live figures, side by side")
    sides: list[SlotMetrics] = list(status.live)
    if not sides:
        st.info("Nothing serves this model yet, so there are no live figures.", icon=":material/monitoring:")
        return
    since = format_when(status.window_start)
    running = status.canary is not None and status.canary.running
    st.caption((f"Since the canary started ({since})." if running else f"Production over the last day (since "
                f"{since}).") + " Read from the prediction log the gateways write.")
    frame = pd.DataFrame([{"Measure": label, **{f"{SLOT_LABELS[m.slot]} (version {m.version})": value(m)
                                                 for m in sides}, "What it means": meaning}
                          for label, value, meaning in _MEASURES])
    st.dataframe(frame, hide_index=True, width="stretch")
    if any(m.simulated for m in sides):
        st.caption(":material/science: Some of this traffic is **simulated** (see the row above): it shows how the "
                   "judge works, not how real customers were served.")


def canaries_section(runs: list[CanaryRun]) -> None:
    st.subheader("Canaries so far")
    if not runs:
        st.caption("No canary has run for this model yet.")
        return
    outcome = {"promoted": "promoted to production", "rolled_back": "rolled back"}
    st.dataframe(pd.DataFrame([{
        "Version": r.version, "Against production": r.champion, "Share": f"{r.traffic_percent:g}%",
        "Started": format_when(r.started_at), "By": r.started_by,
        "Ran for": duration(r.started_at, r.ended_at),
        "Outcome": "running" if r.running else outcome.get(r.outcome or "", r.outcome or "")
        + (" automatically, by the judge" if r.automatic else "")
        + (" on an admin's override" if r.override_reason else ""),
        "Why": r.override_reason or r.end_reason or "",
    } for r in reversed(runs)]), hide_index=True, width="stretch",
        column_config={"Why": st.column_config.TextColumn(width="large")})


def timeline_section(name: str) -> None:
    st.subheader("Deployment timeline")
    periods = data.timeline(name)
    if not periods:
        st.caption("Nothing has served this model yet.")
        return
    st.caption("What served production and the canary, and when. Hover over a bar for who changed it and why.")
    st.altair_chart(deployment_timeline_chart(periods), width="stretch")
    changes = []
    for p in periods:
        changes.append({"When": format_when(p.start), "Slot": SLOT_LABELS[p.slot], "Version": p.version,
                        "Change": "started serving", "Why": p.start_reason, "_at": p.start})
        if p.end is not None:
            changes.append({"When": format_when(p.end), "Slot": SLOT_LABELS[p.slot], "Version": p.version,
                            "Change": "stopped serving", "Why": p.end_reason or "", "_at": p.end})
    frame = pd.DataFrame(changes).sort_values("_at", ascending=False, kind="stable").drop(columns="_at")
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"Why": st.column_config.TextColumn(width="large")})


def packet_section(name: str, number: int) -> None:
    """For the sign-off packet: how this version was deployed, and any admin override."""
    st.subheader("Deployment record")
    entries = data.record(name, number)
    if not entries:
        st.caption("This version has not served live traffic yet. Once approved, it starts as a canary beside "
                   "production, and the canary judge decides whether it may replace it.")
        return
    overrides = [e for e in entries if is_override(e) and e.version == number]
    for entry in overrides:
        st.warning(f"Sent to production **without a passing canary verdict**, on {format_when(entry.at)}, by the "
                   f"admin {escape_markdown(entry.actor)}. Their written reason:", icon=":material/gavel:")
        st.text(entry.detail.get("override") or "")
    for entry in entries:
        st.text(describe(entry, number))
