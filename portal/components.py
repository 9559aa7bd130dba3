"""Reusable pieces of the pages: empty state, portfolio summary, model cards, badges."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from backend.domain import ModelSummary
from backend.registry.states import State
from portal import data
from portal.navigation import MODEL_PAGE
from portal.wording import (
    escape_markdown,
    pipeline_result,
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
]

#: The questions a business reader asks of the portfolio, each a filter on the overview.
GROUPS = {
    "all": "All models",
    "attention": "Needs attention",
    "production": "In production",
    "on_its_way": "On its way",
}
_STOPPED = {State.FAILED, State.REJECTED, State.ROLLED_BACK}
_DONE = _STOPPED | {State.PRODUCTION, State.RETIRED}


def in_group(model: ModelSummary, group: str) -> bool:
    """Whether ``model`` answers the question of ``group`` (a model can answer several)."""
    if group == "attention":
        return model.latest_state in _STOPPED
    if group == "production":
        return model.production_version is not None
    if group == "on_its_way":
        # A canary running is on its way too, even when a newer version has stopped since.
        return model.canary_version is not None or (model.latest_state is not None and model.latest_state not in _DONE)
    return True


def filter_models(models: Sequence[ModelSummary], *, group: str, text: str) -> list[ModelSummary]:
    needle = text.strip().lower()
    return [m for m in models if in_group(m, group) and (not needle or any(
        needle in field.lower() for field in (m.name, m.title, m.owner, m.description)))]


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


def portfolio_summary(models: Sequence[ModelSummary]) -> None:
    counts = {group: sum(1 for m in models if in_group(m, group)) for group in GROUPS}
    figures = [
        ("Models", counts["all"], "Models registered in Greenlight, whatever their stage."),
        ("In production", counts["production"], "Models with a version serving all live traffic."),
        ("On its way", counts["on_its_way"],
         "Models whose newest version is still being checked, reviewed or tried out as a canary."),
        ("Needs attention", counts["attention"],
         "Models whose newest version was stopped: it failed a check, was rejected or rolled back."),
    ]
    for column, (label, value, caption) in zip(st.columns(len(figures)), figures, strict=True):
        with column:
            st.metric(label, f"{value:,}")
            st.caption(caption)


def model_card(model: ModelSummary) -> None:
    """One model of the portfolio: what it is for, where it stands, and a link to its page."""
    result = pipeline_result(model)
    with st.container(border=True):
        about, status = st.columns([3, 2], gap="large")
        with about:
            st.markdown(f"#### {escape_markdown(model.title or model.name)}")
            st.caption(f"Model `{model.name}` · owner: {escape_markdown(model.owner)} · "
                       f"risk tier: {escape_markdown(model.risk_tier)}")
            st.markdown(escape_markdown(model.description) or "_No description given._")
            st.page_link(MODEL_PAGE, label=f"Open {model.name}: versions, evidence and lineage",
                         query_params={"model": model.name}, icon=":material/arrow_forward:")
        with status:
            latest = f"version {model.latest_version}" if model.latest_version else "none"
            st.markdown(f"**Latest version:** {latest} {state_badge(model.latest_state)}")
            st.caption(state_explanation(model.latest_state))
            if model.production_version is not None:
                st.markdown(f"**In production:** version {model.production_version}")
                st.caption("This version serves all live traffic.")
            else:
                st.markdown("**In production:** none yet")
                st.caption("No version of this model serves live traffic yet.")
            colour = {"passed": "green", "failed": "red", "running": "blue"}.get(result.status, "gray")
            st.markdown(f"**Latest pipeline result:** :{colour}[{result.headline}]")
            if result.status == "failed":
                st.markdown(f":red[{escape_markdown(result.detail)}]")
            else:
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
