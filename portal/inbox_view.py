"""The inbox: what waits for the signed-in reviewer, and everything awaiting sign-off."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.domain import InboxItem, SignOffStatus, User
from portal.navigation import SIGNOFF_PAGE
from portal.signoff_wording import role_label, role_list, waiting_time
from portal.wording import escape_markdown, format_when

__all__ = ["my_items", "everything_waiting"]


def my_items(user: User, items: list[InboxItem], risk_tiers: dict[str, str]) -> None:
    if not items:
        reviewer = [r for r in user.roles if r not in ("viewer", "data_scientist", "admin")]
        if reviewer:
            st.success("Nothing is waiting for you: every version that needs your sign-off has it.",
                       icon=":material/done_all:")
        else:
            st.info(f"Nothing is waiting for you. Your roles ({role_list(user.roles)}) do not sign off model "
                    "versions; reviewers such as business owners, risk and compliance do.", icon=":material/info:")
        return
    st.markdown(f"**{len(items)} version{'s' if len(items) > 1 else ''} waiting for you.**")
    for item in items:
        with st.container(border=True):
            about, when = st.columns([3, 2])
            with about:
                st.markdown(f"#### {escape_markdown(item.title or item.model)} — version {item.version}")
                tier = risk_tiers.get(item.model) or item.risk_tier or "not set"
                st.caption(f"Model {escape_markdown(item.model)} · risk tier: {escape_markdown(tier)} · built by "
                           f"{escape_markdown(item.author)} · you sign as {role_list(item.roles)}")
                st.page_link(SIGNOFF_PAGE, label=f"Open the sign-off packet for {escape_markdown(item.model)} version {item.version}",
                             query_params={"model": item.model, "version": str(item.version)},
                             icon=":material/arrow_forward:")
            with when:
                st.metric("Waiting for", waiting_time(item.waiting_since))
                st.caption(f"Sign-off requested on {format_when(item.waiting_since)}.")


def everything_waiting(statuses: list[SignOffStatus]) -> None:
    st.subheader("Everything awaiting sign-off")
    st.caption("Every version waiting for reviewers, with the roles it still needs — so you can see who is "
               "holding what up.")
    if not statuses:
        st.caption("No version is awaiting sign-off.")
        return
    st.dataframe(pd.DataFrame(
        [{"Model": s.title or s.model, "Version": f"v{s.version}", "Still needed": ", ".join(
            role_label(r) for r in s.missing_roles), "Waiting for": waiting_time(s.requested_at),
          "Requested": format_when(s.requested_at), "Author": s.author} for s in statuses],
        columns=["Model", "Version", "Still needed", "Waiting for", "Requested", "Author"]),
        hide_index=True, width="stretch")
