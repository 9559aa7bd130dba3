"""The organisation's policy, managed by admins: required roles per risk tier, how long an
approval lasts, and the limits on what one pipeline run may read and spend
(:mod:`backend.governance.limits`). A spec's ``[signoff]`` overrides the roles for one model; no
spec changes the limits. Every change is a new row and an audit entry, so the policy in force at
any time can be reconstructed."""

from __future__ import annotations

import re
from copy import deepcopy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from backend.db import Database
from backend.db.tables import OrgPolicyRow
from backend.domain import User
from backend.errors import InvalidData
from backend.governance import audit
from backend.governance.accounts import acting
from backend.governance.limits import DEFAULT_LIMITS, Limits, validate_limits
from backend.governance.permissions import BUILTIN_ROLES, require
from backend.governance.policy import SIGNOFF_ROLES_BY_TIER

__all__ = ["OrgPolicy", "DEFAULT_ORG_POLICY", "validate_org_policy"]

DEFAULT_ORG_POLICY: dict[str, Any] = {
    "signoff_roles_by_tier": deepcopy(SIGNOFF_ROLES_BY_TIER),
    "expires_days": 180,
    # Folders outside a spec's own folder that specs may read data from (none by default).
    "data_roots": [],
    "limits": deepcopy(DEFAULT_LIMITS),
}
_ROLE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def validate_org_policy(doc: dict[str, Any]) -> dict[str, Any]:
    """A clean copy of ``doc``, or :class:`InvalidData` naming the field."""
    tiers = doc.get("signoff_roles_by_tier")
    if not isinstance(tiers, dict) or set(tiers) != {"low", "medium", "high"}:
        raise InvalidData("signoff_roles_by_tier must give roles for each risk tier: low, medium and high.")
    clean = {}
    for tier, roles in tiers.items():
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and _ROLE.match(r) for r in roles):
            raise InvalidData(f"Risk tier '{tier}' needs at least one role, each in lowercase words joined by '_'.")
        for role in roles:
            if role in BUILTIN_ROLES:
                raise InvalidData(f"Risk tier '{tier}': '{role}' is not a reviewer role (viewer, data_scientist and "
                                  "admin cannot sign off).", code="not_a_reviewer_role")
        clean[tier] = list(dict.fromkeys(roles))
    days = doc.get("expires_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise InvalidData("expires_days must be a whole number of days between 1 and 3650.")
    roots = doc.get("data_roots", [])
    if not isinstance(roots, list) or not all(isinstance(r, str) and Path(r).is_absolute() for r in roots):
        raise InvalidData("data_roots must be a list of absolute folder paths.")
    try:
        limits = validate_limits(doc.get("limits") or {})
    except ValueError as exc:
        raise InvalidData(str(exc)) from None
    return {"signoff_roles_by_tier": clean, "expires_days": days, "data_roots": list(dict.fromkeys(roots)),
            "limits": limits}


class OrgPolicy:
    def __init__(self, db: Database):
        self.db = db

    def current(self) -> dict[str, Any]:
        with self.db.read() as session:
            row = session.execute(select(OrgPolicyRow).order_by(OrgPolicyRow.id.desc()).limit(1)).scalar_one_or_none()
            doc = deepcopy(row.doc) if row else deepcopy(DEFAULT_ORG_POLICY)
        # A policy stored before limits existed gets the default limits.
        doc["limits"] = {**DEFAULT_LIMITS, **(doc.get("limits") or {})}
        return doc

    def limits(self) -> Limits:
        """The limits in force: what one pipeline run may read and spend."""
        return Limits.from_policy(self.current())

    def update(self, doc: dict[str, Any], *, actor: User) -> dict[str, Any]:
        """Store a new policy; a part ``doc`` leaves out (say, the limits) stays as it is."""
        before = self.current()
        clean = validate_org_policy({**before, **doc})
        with self.db.write() as session:
            actor = acting(session, actor)
            require(actor, "manage_policy")
            session.add(OrgPolicyRow(doc=clean, actor=actor.username))
            audit.append(session=session, actor=actor.username, action="policy.changed",
                         detail={"from": before, "to": clean})
        return clean
