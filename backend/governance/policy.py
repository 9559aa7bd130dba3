"""Organisation defaults for gates, sign-off and canary; a spec overrides them per model."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from backend.metrics import FAIRNESS_METRICS

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
    # Judged by the reports stage. A fail is shown to the sign-off reviewers and does not stop
    # the pipeline unless the spec sets [gates].fairness_blocks = true.
    "fairness": {
        "min": {"demographic_parity_ratio": 0.8},  # the four-fifths rule
        "max": {"demographic_parity_difference": 0.1, "equalized_odds_difference": 0.1},
        "min_group_size": 30,  # a smaller group gives "insufficient evidence", not a verdict
        "blocks": False,
    },
    "signoff": {"roles": None, "expires_days": 180},
    "canary": {"traffic_percent": 10, "min_requests": 500},
}


def merge_policy(spec_policy: dict[str, Any], *, risk_tier: str, org: dict[str, Any] | None = None) -> dict[str, Any]:
    """Organisation defaults overridden by what the spec sets, key by key.

    ``org`` is the admin-managed sign-off policy (roles per risk tier, approval lifetime);
    without it the built-in defaults apply.
    """
    policy = deepcopy(DEFAULT_POLICY)
    if org:
        policy["signoff"]["expires_days"] = org["expires_days"]
    gates = spec_policy.get("gates", {})
    for bound in ("min", "max"):
        for metric, threshold in gates.get(bound, {}).items():
            # A spec writes every threshold in [gates]; fairness ones are judged elsewhere.
            section = "fairness" if metric in FAIRNESS_METRICS else "gates"
            policy[section][bound][metric] = threshold
    if "min_group_size" in gates:
        policy["fairness"]["min_group_size"] = gates["min_group_size"]
    if "fairness_blocks" in gates:
        policy["fairness"]["blocks"] = gates["fairness_blocks"]
    if "not_worse_than_production" in gates:
        policy["gates"]["not_worse_than_production"] = gates["not_worse_than_production"]
    policy["signoff"].update(spec_policy.get("signoff", {}))
    if not policy["signoff"]["roles"]:
        by_tier = org["signoff_roles_by_tier"] if org else SIGNOFF_ROLES_BY_TIER
        policy["signoff"]["roles"] = list(by_tier[risk_tier])
    policy["canary"].update(spec_policy.get("canary", {}))
    return policy
