"""The leaders' figures at the top of the portfolio: each number with a sentence that explains it."""

from __future__ import annotations

import streamlit as st

from backend.domain import LeadersOverview
from backend.monitoring.health import HEALTH_LABELS
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key
from portal.wording import escape_markdown, glossary_link

__all__ = ["leaders_overview", "format_span", "health_sentence", "render"]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _leaders_overview(key: SettingsKey) -> LeadersOverview:
    from backend.reports import leaders_overview as backend_leaders_overview

    return backend_leaders_overview(app_for(key))


def leaders_overview() -> LeadersOverview:
    return _leaders_overview(settings_key())


def format_span(seconds: float | None) -> str:
    """A wait or a lead time in the unit a reader thinks in: minutes, hours or days."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def health_sentence(figures: LeadersOverview) -> str:
    if not figures.in_production:
        return "No model serves production traffic yet."
    order = ("healthy", "at_risk", "degraded", "not_monitored")
    parts = [f"{figures.health[s]} {HEALTH_LABELS[s].lower()}" for s in order if figures.health.get(s)]
    return (f"Models with a version serving all live traffic: {', '.join(parts)}, judged by the latest "
            f"{glossary_link('Monitoring', 'monitoring')} against what the reviewers signed off.")


def _wait_sentence(figures: LeadersOverview) -> str:
    if figures.longest_wait is None:
        return "No version waits for reviewers now."
    model, version, seconds = figures.longest_wait
    return (f"Versions that finished the automated stages and wait for {glossary_link('Sign-off', 'sign-off')} "
            "(a fairness check they failed is for the reviewers to weigh). "
            f"The longest wait: {escape_markdown(model)} version {version}, {format_span(seconds)}.")


def render(figures: LeadersOverview) -> None:
    """Four figures, each with a sentence saying what it means."""
    lead = figures.median_lead_time_seconds
    cards = [
        ("Healthy in production", f"{figures.health.get('healthy', 0):,} of {figures.in_production:,}",
         health_sentence(figures)),
        ("Waiting for sign-off", f"{figures.waiting_for_signoff:,}", _wait_sentence(figures)),
        (f"Deployments in {figures.quarter}", f"{figures.deployments_this_quarter:,}",
         "Versions that reached production this quarter, by a promoted canary or an administrator's override."),
        ("Median lead time", format_span(lead),
         f"Typical time from a version's registration to production ({glossary_link('Lead time', 'lead time')}), "
         f"over the {figures.lead_times_measured} version{'s' if figures.lead_times_measured != 1 else ''} "
         "that got there." if lead is not None else "No version has reached production yet, so there is no lead "
         "time to measure."),
    ]
    for column, (label, value, sentence) in zip(st.columns(len(cards)), cards, strict=True):
        with column:
            st.metric(label, value)
            st.caption(sentence)
