"""Data for the manual-validation pages: inbox, sign-off status, report digests, audit log.

Reads that a page shows many times (the inbox, the names of people, report digests, audit
entries) are cached like :mod:`portal.data`, with the settings in every key. The status of the
version a reviewer is about to sign is read fresh on every run: it decides what the form
offers and which evidence the decision is bound to. :func:`portal.data.refresh` forgets all
cached answers after a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from backend.domain import AuditEntry, InboxItem, SignOffStatus, User
from backend.errors import Conflict
from backend.registry.states import State
from backend.reports import Labels, describe_input, load_reports
from portal.data import CACHE_SECONDS, SettingsKey, app_for, get_app, refresh, settings_key

__all__ = [
    "ReportDigest",
    "inbox",
    "awaiting",
    "packet_status",
    "report_digest",
    "display_names",
    "audit_entries",
    "failed_checks",
]


@dataclass(frozen=True)
class ReportDigest:
    """What the packet shows of one report: its summary sentences and verdict."""

    kind: str
    sha256: str | None
    summary: tuple[str, ...]
    verdict: str | None
    notes: tuple[str, ...] = ()
    #: sensitive features (or close proxies) the model takes as inputs, described
    sensitive_inputs: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        return self.sha256 is None


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _inbox(key: SettingsKey, username: str, roles: tuple[str, ...]) -> list[InboxItem]:
    user = User(username=username, display_name=username, email=None, roles=roles, disabled=False)
    return app_for(key).signoffs.inbox(user)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _awaiting(key: SettingsKey) -> list[SignOffStatus]:
    return app_for(key).signoffs.awaiting()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _display_names(key: SettingsKey) -> dict[str, str]:
    return {u.username: u.display_name for u in app_for(key).accounts.list_users()}


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _audit_entries(key: SettingsKey, model: str | None, prefix: str | None, limit: int) -> list[AuditEntry]:
    return app_for(key).registry.audit_log(model=model, action_prefix=prefix, limit=limit)


# The hashes are part of the key: a replaced report is read afresh, never served from cache.
@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _report_digests(key: SettingsKey, model: str, version: int, fairness_sha: str | None,
                    explainability_sha: str | None) -> tuple[ReportDigest, ReportDigest]:
    reports = load_reports(app_for(key), model, version)
    if (reports.fairness_sha256, reports.explainability_sha256) != (fairness_sha, explainability_sha):
        raise Conflict("The reports changed while this packet was being put together; reload the page and review "
                       "them again.", code="evidence_changed")
    return (_digest("fairness_report", reports.fairness, reports.fairness_sha256),
            _digest("explainability_report", reports.explainability, reports.explainability_sha256))


def _digest(kind: str, report: dict[str, Any] | None, sha256: str | None) -> ReportDigest:
    if report is None:
        return ReportDigest(kind=kind, sha256=None, summary=(), verdict=None)
    notes = [*report.get("warnings", []), *report.get("notes", [])]
    labels = Labels.from_dict(report.get("labels"), positive_label=report.get("positive_label"))
    inputs = tuple(describe_input(i, labels) for i in report.get("sensitive_inputs") or [])
    for item in report.get("not_computed", []) or []:
        notes.append(item if isinstance(item, str) else f"Not computed — {item.get('item', '')}: {item.get('reason', '')}")
    return ReportDigest(kind=kind, sha256=sha256, summary=tuple(map(str, report.get("summary") or ())),
                        verdict=report.get("verdict"), notes=tuple(map(str, notes)), sensitive_inputs=inputs)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _failed_checks(key: SettingsKey, model: str, version: int, fairness_sha: str | None) -> list[dict[str, str]]:
    return app_for(key).signoffs.failed_checks(model, version)


def failed_checks(model: str, number: int, evidence: dict[str, str]) -> list[dict[str, str]]:
    """The failed fairness checks an approval must acknowledge, of the report whose hash is in ``evidence``."""
    return _failed_checks(settings_key(), model, number, evidence.get("fairness_report"))


def inbox(user: User) -> list[InboxItem]:
    """Versions waiting for a role ``user`` holds and has not yet signed, longest-waiting first."""
    return _inbox(settings_key(), user.username, tuple(user.roles))


def awaiting() -> list[SignOffStatus]:
    """Every version awaiting sign-off, longest-waiting first."""
    return _awaiting(settings_key())


def packet_status(model: str, number: int) -> SignOffStatus:
    """The sign-off status, read fresh. An approved version whose approval expired or was voided
    (a required role no longer has a valid approval) goes back for review first: the backend
    decides, this only asks it to look, and only then, so opening a packet stays a read."""
    app = get_app()
    status = app.signoffs.status(model, number)
    if status.state == State.APPROVED and status.missing_roles:
        status = app.signoffs.refresh(model, number)
        refresh()
    return status


def report_digest(model: str, number: int, evidence: dict[str, str]) -> tuple[ReportDigest, ReportDigest]:
    """The fairness and explainability summaries of the very reports whose hashes are in ``evidence``."""
    return _report_digests(settings_key(), model, number, evidence.get("fairness_report"),
                           evidence.get("explainability_report"))


def display_names() -> dict[str, str]:
    """User name → the name people know them by."""
    return _display_names(settings_key())


def audit_entries(*, model: str | None = None, prefix: str | None = None, limit: int = 500) -> list[AuditEntry]:
    """Audit entries, newest first, exactly as :meth:`backend.registry.Registry.audit_log` returns them."""
    return _audit_entries(settings_key(), model, prefix or None, limit)
