"""Organisation defaults for gates, sign-off and canary; a spec overrides them per model."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

__all__ = ["DEFAULT_POLICY", "SIGNOFF_ROLES_BY_TIER", "merge_policy"]

#: Required sign-off roles by risk tier, used when a spec has no ``[signoff]``.
SIGNOFF_ROLES_BY_TIER = {
    "low": ["business_owner"],
    "medium": ["business_owner", "risk"],
    "high": ["business_owner", "risk", "compliance"],
}

DEFAULT_POLICY: dict[str, Any] = {
    "gates": {
        "min": {},
        "max": {"latency_p95_ms": 250.0, "model_size_mb": 500.0},
        # A challenger that is clearly worse than production on the primary metric stops.
        "not_worse_than_production": True,
    },
    "signoff": {"roles": None, "expires_days": 180},
    "canary": {"traffic_percent": 10, "min_requests": 500},
}


def merge_policy(spec_policy: dict[str, Any], *, risk_tier: str) -> dict[str, Any]:
    """Organisation defaults overridden by what the spec sets, key by key."""
    policy = deepcopy(DEFAULT_POLICY)
    gates = spec_policy.get("gates", {})
    policy["gates"]["min"].update(gates.get("min", {}))
    policy["gates"]["max"].update(gates.get("max", {}))
    if "not_worse_than_production" in gates:
        policy["gates"]["not_worse_than_production"] = gates["not_worse_than_production"]
    policy["signoff"].update(spec_policy.get("signoff", {}))
    if not policy["signoff"]["roles"]:
        policy["signoff"]["roles"] = list(SIGNOFF_ROLES_BY_TIER[risk_tier])
    policy["canary"].update(spec_policy.get("canary", {}))
    return policy
