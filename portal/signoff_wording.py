"""Plain words for sign-offs, the inbox and the audit log.

Pure functions with no Streamlit in them, like :mod:`portal.wording`, so every page says the
same thing and the words are easy to test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from backend.governance.permissions import ROLE_EXPLANATIONS

__all__ = [
    "DECISION_CHOICES",
    "EVIDENCE_LABELS",
    "role_label",
    "role_list",
    "role_explanation",
    "decision_label",
    "role_status_label",
    "waiting_time",
    "person",
    "approval_consequence",
    "AUDIT_KINDS",
    "action_label",
    "audit_detail",
]

#: The three decisions, in the order the form offers them, as the reviewer reads them.
DECISION_CHOICES = {
    "approve": "Approve",
    "conditions": "Approve with conditions",
    "reject": "Reject",
}

_DECIDED = {"approve": "Approved", "conditions": "Approved with conditions", "reject": "Rejected"}

_ROLE_STATUS = {
    "approved": "✔ Approved",
    "approved_with_conditions": "✔ Approved with conditions",
    "rejected": "✘ Rejected",
    "waiting": "… Waiting for a decision",
}

#: What each kind of evidence a sign-off is bound to is, for the reader.
EVIDENCE_LABELS = {
    "model": "The trained model file",
    "fairness_report": "The fairness report",
    "explainability_report": "The explainability report",
}


def role_label(role: str) -> str:
    """``"business_owner"`` → ``"Business owner"``."""
    return role.replace("_", " ").capitalize()


def role_list(roles: tuple[str, ...] | list[str]) -> str:
    """``("business_owner", "risk")`` → ``"business owner and risk"``."""
    names = [r.replace("_", " ") for r in roles]
    if not names:
        return "nobody"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def role_explanation(role: str) -> str:
    return ROLE_EXPLANATIONS.get(role, "A reviewer role named by a sign-off policy.")


def decision_label(decision: str) -> str:
    return _DECIDED.get(decision, decision.replace("_", " ").capitalize())


def role_status_label(status: str) -> str:
    return _ROLE_STATUS.get(status, status.replace("_", " ").capitalize())


def waiting_time(since: datetime | None, now: datetime | None = None) -> str:
    """How long something has waited, in the largest unit that reads naturally."""
    if since is None:
        return "unknown"
    seconds = max(0.0, ((now or datetime.now(UTC)) - since).total_seconds())
    if seconds < 60:
        return "less than a minute"
    for size, unit, limit in ((60, "minute", 60), (3600, "hour", 48), (86400, "day", None)):
        count = int(seconds // size)
        if limit is None or count < limit:
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def person(username: str, names: dict[str, str]) -> str:
    """``"Bea Business-Owner (bea)"``, or the user name alone when no other name is known."""
    name = names.get(username)
    return f"{name} ({username})" if name and name != username else username


def approval_consequence(policy: dict[str, Any], *, version: int, production: int | None,
                         missing: tuple[str, ...]) -> list[str]:
    """In plain words, what an approval of this version changes, and what it does not."""
    canary = (policy or {}).get("canary", {}) or {}
    share = canary.get("traffic_percent")
    requests = canary.get("min_requests")
    share_text = f"{share}% of live traffic" if share else "a small share of live traffic"
    against = (f"next to production version {production}, and the two are compared" if production is not None
               else "as the first version of this model to serve anyone, and its live results are watched")
    sentences = []
    if len(missing) > 1:
        sentences.append(f"Approving records your sign-off; the version still needs {role_list(missing)} to approve "
                         "before it is approved.")
    elif missing:
        sentences.append(f"An approval by {role_list(missing)} is the last one missing: once it is given, version "
                         f"{version} becomes approved by itself.")
    sentences.append(
        f"Once approved, the team can start a canary: {share_text} goes to version {version} {against}"
        + (f" over at least {requests:,} requests" if requests else "") + ". Customers outside that share "
        "see no change.")
    sentences.append("Nothing reaches all customers yet: full deployment needs the canary's verdict, and every "
                     "condition attached to an approval blocks it until someone closes that condition.")
    sentences.append(f"Rejecting ends version {version} for good: it cannot be deployed, and the team has to "
                     "build a new version. A rejection needs a reason.")
    return sentences


#: The audit log's filters: a label and the action prefix the backend filters on.
AUDIT_KINDS = {
    "": "Everything",
    "signoff.": "Sign-off decisions",
    "condition.": "Conditions closed",
    "version.": "Versions: registered and state changes",
    "alias.": "Deployments: production and canary moves",
    "artifact.": "Stored files",
    "model.": "Models registered or changed",
    "account.": "Accounts and roles",
    "policy.": "Sign-off policy changes",
    "pipeline.": "Refused pipeline runs",
}

_ACTIONS = {
    "signoff.decided": "Sign-off decision",
    "condition.closed": "Condition closed",
    "version.registered": "Version registered",
    "version.state": "Version state changed",
    "alias.moved": "Deployment alias moved",
    "artifact.stored": "File stored",
    "artifact.replaced": "File replaced",
    "model.created": "Model registered",
    "model.updated": "Model details changed",
    "account.created": "Account created",
    "account.roles": "Roles changed",
    "account.disabled": "Account disabled",
    "account.enabled": "Account enabled",
    "account.password": "Password changed",
    "policy.changed": "Sign-off policy changed",
    "pipeline.refused": "Pipeline run refused",
    "model_card.failed": "Model card not written",
}


def action_label(action: str) -> str:
    return _ACTIONS.get(action, action.replace(".", ": ").replace("_", " ").capitalize())


def _policy_text(doc: dict[str, Any]) -> str:
    tiers = doc.get("signoff_roles_by_tier") or {}
    parts = [f"{tier} risk: {role_list(tiers[tier])}" for tier in ("low", "medium", "high") if tier in tiers]
    return "; ".join(parts) + f"; approvals last {doc.get('expires_days')} days"


def audit_detail(action: str, detail: dict[str, Any]) -> str:
    """One readable line for an audit entry's details (the CSV keeps the exact record)."""
    d = detail or {}
    if action == "signoff.decided":
        text = f"{decision_label(str(d.get('decision', '')))} as {str(d.get('role', '')).replace('_', ' ')}"
        if d.get("comment"):
            text += f": {d['comment']}"
        if d.get("conditions"):
            text += " — conditions: " + " / ".join(map(str, d["conditions"]))
        return text
    if action == "condition.closed":
        return f"Closed “{d.get('text', '')}”: {d.get('note', '')}"
    if action == "version.state":
        text = f"{d.get('from', '?')} → {d.get('to', '?')}".replace("_", " ")
        return text + (f": {d['reason']}" if d.get("reason") else "")
    if action == "account.created":
        return f"{d.get('username')} with roles {role_list(d.get('roles') or [])}"
    if action == "account.roles":
        return f"{d.get('username')}: {role_list(d.get('from') or [])} → {role_list(d.get('to') or [])}"
    if action in ("account.disabled", "account.enabled", "account.password"):
        return str(d.get("username", ""))
    if action == "policy.changed" and isinstance(d.get("to"), dict):
        return "Now: " + _policy_text(d["to"])
    if action in ("artifact.stored", "artifact.replaced"):
        return f"{d.get('kind', '')}, SHA-256 {d.get('sha256', '')}"
    return "; ".join(f"{k}: {v if isinstance(v, str) else json.dumps(v, default=str)}" for k, v in d.items())
