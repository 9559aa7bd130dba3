"""The leaders' figures at the top of the portfolio: each number with a sentence that explains it."""

from __future__ import annotations

import streamlit as st

from backend.domain import LeadersOverview
from backend.monitoring.health import HEALTH_LABELS
from portal.data import CACHE_SECONDS, SettingsKey, app_for, settings_key
from portal.wording import escape_markdown, glossary_link

__all__ = ["leaders_overview", "format_span", "health_sentence", "rollback_sentence", "restore_sentence", "render"]


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


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def rollback_sentence(figures: LeadersOverview) -> str:
    """The share of deployments rolled back this quarter, and how it moved since last quarter."""
    now, before = figures.this_quarter, figures.last_quarter
    if now is None or not now.deployments:
        moved = (f" Last quarter: {before.rolled_back} of {before.deployments} ({_share(before.rollback_share)})."
                 if before and before.deployments else "")
        return f"No version has started taking live traffic this quarter, so nothing could be rolled back.{moved}"
    text = (f"Of the {now.deployments} version{'s' if now.deployments != 1 else ''} that started taking live traffic "
            f"in {now.quarter} (canaries, and versions sent straight to production), {now.rolled_back} had to be "
            "rolled back: each one a problem caught before it reached every customer.")
    if before is None or not before.deployments:
        return text + f" {before.quarter if before else 'Last quarter'} had no deployment to compare with."
    return text + f" In {before.quarter}: {before.rolled_back} of {before.deployments} ({_share(before.rollback_share)})."


def restore_sentence(figures: LeadersOverview) -> str:
    """The median time to restore production after a rollback, and how it moved."""
    now, before = figures.this_quarter, figures.last_quarter
    if now is None or now.median_restore_seconds is None:
        head = "No rollback this quarter, so there is no time to restore to measure."
    else:
        head = (f"Typical time from the first sign of trouble (the canary judge's first failing verdict, else the "
                f"canary's start) to all traffic back on the production version, over {now.restores_measured} "
                f"rollback{'s' if now.restores_measured != 1 else ''} this quarter.")
    if before is not None and before.median_restore_seconds is not None:
        head += f" In {before.quarter}: {format_span(before.median_restore_seconds)}."
    return head


SAME = "same as last quarter"


def _delta(now: float | None, before: float | None, unit: str) -> str | None:
    """How a figure moved since last quarter, in the figure's own unit (None: nothing to compare)."""
    if now is None or before is None:
        return None
    if now == before:
        return SAME  # shown without an arrow: nothing went up or down
    if unit == "share":
        return f"{(now - before) * 100:+.0f} points vs last quarter"
    if unit == "count":
        return f"{now - before:+,.0f} vs last quarter"
    change = now - before
    return f"{'+' if change >= 0 else '−'}{format_span(abs(change))} vs last quarter"


def render(figures: LeadersOverview) -> None:
    """Six figures, each with a sentence saying what it means and, where it can, how it moved."""
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
    now, before = figures.this_quarter, figures.last_quarter
    deltas = [(None, "off"), (None, "off"),
              (_delta(now.deployments if now else None, before.deployments if before else None, "count"), "off"),
              (_delta(now.median_lead_time_seconds if now else None,
                      before.median_lead_time_seconds if before else None, "span"), "inverse")]
    if now is not None:
        cards.append((f"Rolled back in {now.quarter}", _share(now.rollback_share), rollback_sentence(figures)))
        cards.append(("Time to restore", format_span(now.median_restore_seconds), restore_sentence(figures)))
        deltas.append((_delta(now.rollback_share, before.rollback_share if before else None, "share"), "inverse"))
        deltas.append((_delta(now.median_restore_seconds, before.median_restore_seconds if before else None, "span"),
                       "inverse"))
    for row in (cards[:3], cards[3:]):
        for column, (label, value, sentence) in zip(st.columns(3), row, strict=False):
            delta, colour = deltas[cards.index((label, value, sentence))]
            with column:
                st.metric(label, value, delta=delta, delta_color=colour,
                          delta_arrow="off" if delta == SAME else "auto")
                st.caption(sentence)
    if now is not None:
        st.caption(f"Movement: each arrow compares {now.quarter} so far with the whole of "
                   f"{before.quarter if before else 'last quarter'}; for lead time, rollbacks and time to restore, "
                   "down is better. Health and waits are as of now, so they have no arrow.")
