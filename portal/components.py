"""Reusable pieces of the pages: empty state, portfolio summary, model cards, badges."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from backend.domain import ModelStanding, VersionStanding
from backend.monitoring.health import HEALTH_LABELS
from backend.registry.states import State
from portal import data, monitoring_data
from portal.navigation import MODEL_PAGE, MONITORING_PAGE, REPORTS_PAGE, SIGNOFF_PAGE
from portal.wording import (
    escape_markdown,
    format_when,
    standing_result,
    state_badge_color,
    state_explanation,
    state_label,
)

__all__ = [
    "GROUPS",
    "in_group",
    "empty_registry",
    "portfolio_summary",
    "model_card",
    "state_badge",
    "filter_models",
    "demo_banner",
    "text_table",
]

#: The questions a business reader asks of the portfolio, each a filter on the overview.
GROUPS = {
    "all": "All models",
    "production": "In production",
    "approved": "Approved, not yet in production",
    "on_its_way": "On its way",
    "attention": "Needs attention",
}
_STOPPED = {State.FAILED, State.REJECTED, State.ROLLED_BACK}
_RESULT_COLOURS = {"passed": "green", "warning": "orange", "failed": "red", "running": "blue"}
ON_ITS_WAY_SHOWN = 3


def in_group(model: ModelStanding, group: str) -> bool:
    """Whether ``model`` answers the question of ``group`` (a model can answer several)."""
    if group == "production":
        return model.production is not None
    if group == "approved":
        return model.approved is not None
    if group == "on_its_way":
        # A canary running is on its way too, even when a newer version has stopped since.
        return bool(model.on_its_way) or model.summary.canary_version is not None
    if group == "attention":
        # Stopped with nothing to fall back on, or waiting for reviewers over a fairness failure.
        stopped = model.latest is not None and model.latest.state in _STOPPED
        fallback = model.production is not None or model.approved is not None
        return (stopped and not fallback and not model.on_its_way) or any(
            v.fairness_failed for v in model.on_its_way)
    return True


def filter_models(models: Sequence[ModelStanding], *, group: str, text: str) -> list[ModelStanding]:
    needle = text.strip().lower()
    return [m for m in models if in_group(m, group) and (not needle or any(
        needle in field.lower() for field in (m.summary.name, m.summary.title, m.summary.owner,
                                               m.summary.description)))]


def state_badge(state: str | None) -> str:
    """Markdown for a coloured badge naming ``state``."""
    return f":{state_badge_color(state)}-badge[{state_label(state)}]"


def empty_registry() -> None:
    st.info("There are no models in Greenlight yet. A model appears here as soon as its pipeline runs "
            "for the first time.", icon=":material/inventory_2:")
    st.markdown("**To add your model**, run the pipeline on its spec file (usually from CI):")
    st.code("greenlight pipeline run path/to/greenlight.toml", language="bash")
    st.markdown("**To look around first**, load two example models with their full history:")
    st.code("greenlight demo", language="bash")


def portfolio_summary(models: Sequence[ModelStanding]) -> None:
    counts = {group: sum(1 for m in models if in_group(m, group)) for group in GROUPS}
    figures = [
        ("Models", counts["all"], "Models registered in Greenlight, whatever their stage."),
        ("In production", counts["production"], "Models with a version serving all live traffic."),
        ("Approved", counts["approved"], "Models with a version signed off by every reviewer and not yet serving "
                                         "all traffic."),
        ("On its way", counts["on_its_way"],
         "Models with a version still being checked, waiting for reviewers or tried out as a canary."),
        ("Needs attention", counts["attention"],
         "Models whose newest version stopped with nothing approved to fall back on, or that wait for reviewers "
         "over a fairness failure."),
    ]
    for column, (label, value, caption) in zip(st.columns(len(figures)), figures, strict=True):
        with column:
            st.metric(label, f"{value:,}")
            st.caption(caption)


def _version_line(title: str, version: VersionStanding, name: str) -> None:
    result = standing_result(version)
    st.markdown(f"**{title}:** version {version.number} {state_badge(version.state)}")
    detail = [state_explanation(version.state)]
    if result.status in ("warning", "failed"):
        colour = _RESULT_COLOURS[result.status]
        st.markdown(f":{colour}[{escape_markdown(result.headline)}] — {escape_markdown(result.detail)}")
    st.caption(" ".join(detail) + (f" Updated {format_when(version.updated_at)}." if version.updated_at else ""))
    where = {"model": name, "version": str(version.number)}
    if version.state == State.AWAITING_SIGNOFF:
        st.page_link(SIGNOFF_PAGE, label=f"Sign-off packet of version {version.number}", query_params=where,
                     icon=":material/approval:")
    elif version.fairness_verdict is not None and result.status == "warning":
        st.page_link(REPORTS_PAGE, label=f"Fairness report of version {version.number}", query_params=where,
                     icon=":material/balance:")


_HEALTH_COLOURS = {"healthy": "green", "at_risk": "orange", "degraded": "red", "not_monitored": "gray"}


def _health_line(name: str) -> None:
    """The production model's health from its latest monitoring, in one sentence."""
    health = monitoring_data.health(name)
    label = HEALTH_LABELS.get(health.status, health.status)
    st.markdown(f"**Health:** :{_HEALTH_COLOURS.get(health.status, 'gray')}-badge[{label}]"
                + (" · retraining recommended" if health.retraining_recommended else ""))
    st.caption(escape_markdown(health.sentence.replace("`", "")))
    if health.status != "not_monitored":
        st.page_link(MONITORING_PAGE, label="Monitoring of this model", query_params={"model": name},
                     icon=":material/monitor_heart:")


def model_card(model: ModelStanding) -> None:
    """One model of the portfolio: what it is for, what is in production, approved and on its way."""
    summary = model.summary
    with st.container(border=True):
        about, status = st.columns([3, 2], gap="large")
        with about:
            st.markdown(f"#### {escape_markdown(summary.title or summary.name)}")
            st.caption(f"Model {escape_markdown(summary.name)} · owner: {escape_markdown(summary.owner)} · "
                       f"risk tier: {escape_markdown(summary.risk_tier)}")
            st.markdown(escape_markdown(summary.description) or "_No description given._")
            st.page_link(MODEL_PAGE, label=f"Open {escape_markdown(summary.name)}: versions, evidence and lineage",
                         query_params={"model": summary.name}, icon=":material/arrow_forward:")
        with status:
            if model.production is not None:
                _version_line("In production", model.production, summary.name)
                _health_line(summary.name)
            else:
                st.markdown("**In production:** none yet")
                st.caption("No version of this model serves live traffic yet.")
            if model.approved is not None:
                _version_line("Approved", model.approved, summary.name)
            for version in model.on_its_way[:ON_ITS_WAY_SHOWN]:
                _version_line("On its way", version, summary.name)
            if len(model.on_its_way) > ON_ITS_WAY_SHOWN:
                st.caption(f"… and {len(model.on_its_way) - ON_ITS_WAY_SHOWN} more versions on their way.")
            shown = {v.number for v in (model.production, model.approved, *model.on_its_way) if v is not None}
            latest = model.latest
            if latest is None:
                st.markdown("**Latest pipeline run:** none yet")
            elif latest.number not in shown:
                result = standing_result(latest)
                colour = _RESULT_COLOURS.get(result.status, "gray")
                st.markdown(f"**Latest pipeline run:** :{colour}[{escape_markdown(result.headline)}]")
                st.caption(escape_markdown(result.detail))


def demo_banner() -> None:
    """On every page of the public demo's database: say so, and how far its build has come."""
    status = data.demo_status()
    if status is None:
        return
    state = status.get("state")
    if state == "building":
        st.info(f"**Demo database.** Building the demo: {status.get('done', 0)} of {status.get('total', '?')} "
                "versions so far. Pages fill in as versions finish; every page works meanwhile.",
                icon=":material/hourglass_top:")
    elif state == "failed":
        st.warning("**Demo database.** Building the demo stopped early; what was built is shown. Run "
                   "`greenlight demo` on an empty database to build it again.", icon=":material/warning:")
    else:
        st.caption(":material/science: **Demo database** — its accounts and passwords are published; keep real "
                   "models and data out of it.")


def text_table(frame: pd.DataFrame) -> None:
    """A table of sentences: every cell wraps and shows in full (a data grid would cut them off).

    ``st.table`` renders each cell and heading as Markdown, so every text in it is escaped first:
    a file name or an owner that reads like a link stays text.
    """
    def _cell(value):
        return escape_markdown(value) if isinstance(value, str) else value

    shown = frame.rename(columns=lambda c: escape_markdown(str(c)))
    st.table(shown.map(_cell), hide_index=True)
