"""Where a version departs from the organisation's policy: the admin-granted exceptions frozen
in its policy at registration, in words a reviewer can weigh."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.domain import Version
from backend.governance.policy import describe_setting
from backend.metrics import METRICS

__all__ = ["exceptions_section", "setting_in_words"]


def setting_in_words(setting: str) -> str:
    """``gates.max.model_size_mb`` → "Model size, maximum"."""
    parts = setting.split(".")
    if len(parts) == 3 and parts[0] == "gates" and parts[2] in METRICS:
        return f"{METRICS[parts[2]].label}, {'minimum' if parts[1] == 'min' else 'maximum'}"
    return {
        "model.risk_tier": "Risk tier",
        "gates.not_worse_than_production": "Stop a challenger clearly worse than production",
        "gates.fairness_blocks": "A fairness fail stops the pipeline",
        "gates.min_group_size": "Smallest group judged for fairness",
        "signoff.expires_days": "Days an approval lasts",
        "canary.min_requests": "Requests the canary needs before a verdict",
    }.get(setting, describe_setting(setting))


def _value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def exceptions_section(version: Version) -> None:
    """Every policy exception the version was registered under, or a line saying there is none."""
    st.subheader("Departures from the organisation's policy")
    used = (version.policy or {}).get("exceptions") or []
    if not used:
        st.caption(":material/check: None: this version is held to the organisation's policy or stricter.")
        return
    st.warning(f"This version was registered under {len(used)} written exception"
               f"{'s' if len(used) > 1 else ''} to the organisation's policy, granted by an admin. Weigh each "
               "before you decide.", icon=":material/policy:")
    st.dataframe(pd.DataFrame([{
        "Setting": setting_in_words(e["setting"]),
        "This version": _value(e["value"]),
        "Organisation's policy": _value(e.get("floor")),
        "Granted by": e.get("granted_by") or "",
        "Why": e.get("reason") or "",
    } for e in used]), hide_index=True, width="stretch",
        column_config={"Why": st.column_config.TextColumn(width="large")})
