"""The policy a new version is held to, computed inside the registry's own transaction.

The caller hands over only what the spec declares. The organisation's policy and the model's
active exceptions are read here, so no door can register a version under a policy below the
floor; the result is frozen on the version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import OrgPolicyRow, PolicyExceptionRow
from backend.db.types import utcnow
from backend.errors import InvalidSpec
from backend.governance.policy import RISK_TIERS, is_within, merge_policy

__all__ = ["org_policy_doc", "active_exceptions", "frozen_policy", "check_risk_tier"]


def org_policy_doc(session: Session) -> dict[str, Any] | None:
    row = session.execute(select(OrgPolicyRow).order_by(OrgPolicyRow.id.desc()).limit(1)).scalar_one_or_none()
    return dict(row.doc) if row else None


def active_exceptions(session: Session, model: str) -> list[dict[str, Any]]:
    now = utcnow()
    rows = session.execute(select(PolicyExceptionRow).where(
        PolicyExceptionRow.model == model, PolicyExceptionRow.revoked_at.is_(None)).order_by(PolicyExceptionRow.id)
    ).scalars().all()
    return [{"id": r.id, "setting": r.setting, "value": (r.value or {}).get("value"), "reason": r.reason,
             "granted_by": r.granted_by} for r in rows if r.expires_at is None or r.expires_at > now]


def check_risk_tier(session: Session, model: str, recorded: str, declared: str) -> dict[str, Any] | None:
    """Raise unless ``declared`` is at least ``recorded`` or an exception allows the lower tier;
    return that exception when one was used."""
    if RISK_TIERS.index(declared) >= RISK_TIERS.index(recorded):
        return None
    for exception in active_exceptions(session, model):
        if exception["setting"] == "model.risk_tier" and is_within("tier", declared, exception["value"]):
            return {**exception, "value": declared, "floor": recorded}
    raise InvalidSpec(
        f"[model].risk_tier = '{declared}' is lower than the '{recorded}' tier recorded for {model}; lowering a "
        f"model's risk tier needs an admin's written exception: `greenlight policy exception grant {model} "
        f"model.risk_tier {declared} --reason TEXT`", code="below_policy_floor")


def frozen_policy(session: Session, model: str, *, risk_tier: str, declared: dict[str, Any],
                  tier_exception: dict[str, Any] | None = None) -> dict[str, Any]:
    """The policy for a new version of ``model``: the organisation's floor raised by ``declared``."""
    policy = merge_policy(declared or {}, risk_tier=risk_tier, org=org_policy_doc(session),
                          exceptions=active_exceptions(session, model), model=model)
    if tier_exception:
        policy["exceptions"].append({"id": tier_exception["id"], "setting": "model.risk_tier",
                                     "value": tier_exception["value"], "floor": tier_exception["floor"],
                                     "reason": tier_exception["reason"], "granted_by": tier_exception["granted_by"]})
    return policy
