"""The audit pack's download button, on the Model page and the sign-off packet."""

from __future__ import annotations

import streamlit as st

from backend.domain import User
from backend.governance.permissions import can
from portal.data import app_for, settings_key

__all__ = ["download_button", "pack_bytes"]


def pack_bytes(user: User, model: str, number: int) -> bytes:
    """Build the pack as ``user`` (the backend checks the permission and audits the export)."""
    from backend.reports import build_audit_pack

    return build_audit_pack(app_for(settings_key()), model, number, user=user).content


def download_button(user: User, model: str, number: int) -> None:
    """One button that builds version ``number``'s audit pack when clicked, for those allowed."""
    from backend.reports import audit_pack_filename

    explanation = ("Everything Greenlight recorded about this version — model card, reports, sign-offs with their "
                   "evidence hashes and acknowledgements, exceptions and overrides, deployments and monitoring "
                   "alerts — in one zip, laid out under the EU AI Act's Annex IV headings, each saying what "
                   "Greenlight cannot supply. Every export is in the audit log.")
    if not can(user, "export_audit_pack"):
        st.caption(f"**Audit pack.** {explanation} Admins and reviewers export it; your roles do not.")
        return
    st.download_button(f"Download the audit pack of version {number}", icon=":material/folder_zip:",
                       data=lambda: pack_bytes(user, model, number), file_name=audit_pack_filename(model, number),
                       mime="application/zip", key=f"audit_pack_{model}_{number}", on_click="ignore")
    st.caption(explanation)
