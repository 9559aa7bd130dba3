"""A version's deployment record in plain sentences: its canaries, the judge's verdict at
promotion, any admin override with its written reason, rollbacks. The model card and the
sign-off packet show it; it is read from the audit log's ``deployment.*`` entries."""

from __future__ import annotations

from collections.abc import Iterable

from backend.domain import AuditEntry

__all__ = ["concerns", "describe", "is_override", "sentences"]


def concerns(entry: AuditEntry, version: int) -> bool:
    """Whether ``entry`` is about ``version``: it moved, or it was the champion it replaced."""
    return entry.action.startswith("deployment.") and (
        entry.version == version or entry.detail.get("previous_version") == version)


def is_override(entry: AuditEntry) -> bool:
    """A promotion made without a passing canary verdict, on an admin's written reason."""
    return entry.action == "deployment.promoted" and bool(entry.detail.get("override"))


def _when(entry: AuditEntry) -> str:
    return f"{entry.at:%Y-%m-%d %H:%M} UTC"


_WORDS = {"wait": "keep waiting", "fail": "fail", "pass": "pass"}


def describe(entry: AuditEntry, version: int) -> str:
    """One sentence for one ``deployment.*`` entry, as seen from ``version``."""
    detail, who, when = entry.detail, entry.actor, _when(entry)
    if entry.action == "deployment.canary_started":
        return (f"{when}: {who} started a canary of version {entry.version} at {detail.get('traffic_percent'):g}% of "
                f"live traffic beside production version {detail.get('production_version')}; the judge needs "
                f"{detail.get('min_requests'):,} predictions on each side before a pass.")
    if entry.action == "deployment.promoted":
        if entry.version != version:
            return (f"{when}: version {entry.version} replaced it in production ({who}); it was retired and kept as "
                    "the rollback target.")
        previous = detail.get("previous_version")
        after = f"; version {previous} was retired and kept as the rollback target" if previous else ""
        if detail.get("override"):
            latest = detail.get("verdict_result")
            judged = (f"the judge's latest verdict was “{_WORDS.get(latest, latest)}”" if latest else
                      "there was no canary verdict")
            return (f"{when}: {who} (admin) sent version {entry.version} to production WITHOUT a passing canary "
                    f"verdict ({judged}). Written reason: “{detail['override']}”{after}.")
        return (f"{when}: {who} promoted version {entry.version} to production after the canary judge passed it "
                f"(verdict {detail.get('verdict')}){after}.")
    if entry.action == "deployment.rolled_back":
        if detail.get("automatic"):
            return f"{when}: the canary judge rolled version {entry.version} back automatically. {detail.get('reason')}"
        return f"{when}: {who} rolled version {entry.version} back. Reason: “{detail.get('reason')}”."
    return f"{when}: {entry.action} by {who}."


def sentences(entries: Iterable[AuditEntry], version: int) -> list[str]:
    """The record of ``version``, oldest first."""
    return [describe(e, version) for e in sorted(entries, key=lambda e: e.seq) if concerns(e, version)]
