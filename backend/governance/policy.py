"""The organisation's policy is a floor; a spec may only raise it.

``merge_policy`` lays what a spec declares over the organisation's defaults. A spec may add
sign-off roles and tighten gates, fairness thresholds, the approval lifetime and the canary's
evidence. It may never remove a role. Going below the floor on any other setting needs an
admin's written exception for that model and setting (see ``OrgPolicy.grant_exception``); the
exceptions used are recorded in the version's frozen policy, so the sign-off packet shows them.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from backend.errors import InvalidSpec
from backend.metrics import FAIRNESS_METRICS

__all__ = ["DEFAULT_POLICY", "SIGNOFF_ROLES_BY_TIER", "RISK_TIERS", "merge_policy", "Loosening", "floor_settings",
           "is_within", "setting_direction", "describe_setting", "find_loosenings"]

RISK_TIERS = ("low", "medium", "high")

#: Required sign-off roles by risk tier (the organisation's policy may change them).
SIGNOFF_ROLES_BY_TIER = {
    "low": ["business_owner"],
    "medium": ["business_owner", "risk"],
    "high": ["business_owner", "risk", "compliance"],
}

DEFAULT_POLICY: dict[str, Any] = {
    "gates": {
        "min": {},
        # Latency is measured and shown for every version, but not gated by default: wall-clock
        # time depends on the machine's load, and a default must not fail a good model on a busy
        # runner. A spec or the organisation may set a latency gate with headroom.
        "max": {"model_size_mb": 500.0},
        # A challenger that is clearly worse than production on the primary metric stops.
        "not_worse_than_production": True,
    },
    # Judged by the reports stage. A fail is shown to the sign-off reviewers and does not stop
    # the pipeline unless the spec sets [gates].fairness_blocks = true.
    "fairness": {
        "min": {"demographic_parity_ratio": 0.8},  # the four-fifths rule
        "max": {"demographic_parity_difference": 0.1, "equalized_odds_difference": 0.1},
        "min_group_size": 30,  # a smaller group gives "too few to judge", not a verdict
        "blocks": False,
    },
    "signoff": {"roles": None, "expires_days": 180},
    "canary": {"traffic_percent": 10, "min_requests": 500},
    "exceptions": [],
}

# How each floor setting tightens: "min" — a higher value is stricter; "max" — a lower value is
# stricter; "true" — true is stricter than false; "tier" — a higher risk tier is stricter.
_FIXED_DIRECTIONS = {
    "gates.not_worse_than_production": "true",
    "gates.fairness_blocks": "true",
    "gates.min_group_size": "max",  # a larger minimum leaves more groups unjudged
    "signoff.expires_days": "max",
    "canary.min_requests": "min",
    "model.risk_tier": "tier",
}


def setting_direction(setting: str) -> str | None:
    """How ``setting`` (as a spec names it, e.g. ``gates.min.roc_auc``) tightens, or None if it is
    not a floor setting."""
    if setting in _FIXED_DIRECTIONS:
        return _FIXED_DIRECTIONS[setting]
    parts = setting.split(".")
    if len(parts) == 3 and parts[0] == "gates" and parts[1] in ("min", "max"):
        return parts[1]
    return None


def describe_setting(setting: str) -> str:
    """The setting as a person finds it in a spec file: ``[gates].min.roc_auc``."""
    section, _, rest = setting.partition(".")
    return f"[{section}].{rest}"


def is_within(direction: str, value: Any, limit: Any) -> bool:
    """Whether ``value`` is at least as strict as ``limit``."""
    if direction == "min":
        return value >= limit
    if direction == "max":
        return value <= limit
    if direction == "true":
        return bool(value) or not bool(limit)
    if direction == "tier":
        return RISK_TIERS.index(value) >= RISK_TIERS.index(limit)
    raise ValueError(f"unknown direction {direction!r}")


@dataclass(frozen=True)
class Loosening:
    """A spec value below the floor, and the exception that allows it (if any)."""

    setting: str
    value: Any
    floor: Any
    exception: dict[str, Any] | None

    def message(self, model: str) -> str:
        return (f"{describe_setting(self.setting)} = {_show(self.value)} is below the organisation's floor of "
                f"{_show(self.floor)}; an admin can allow it for this model in writing: "
                f"`greenlight policy exception grant {model} {self.setting} {_show(self.value)} --reason TEXT`")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def floor_settings(org: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every floor setting with the organisation's value, keyed as a spec names it."""
    floor = _org_defaults(org)
    settings: dict[str, Any] = {}
    for bound in ("min", "max"):
        for metric, value in floor["gates"][bound].items():
            settings[f"gates.{bound}.{metric}"] = value
        for metric, value in floor["fairness"][bound].items():
            settings[f"gates.{bound}.{metric}"] = value
    settings["gates.not_worse_than_production"] = floor["gates"]["not_worse_than_production"]
    settings["gates.fairness_blocks"] = floor["fairness"]["blocks"]
    settings["gates.min_group_size"] = floor["fairness"]["min_group_size"]
    settings["signoff.expires_days"] = floor["signoff"]["expires_days"]
    settings["canary.min_requests"] = floor["canary"]["min_requests"]
    return settings


def _org_defaults(org: dict[str, Any] | None) -> dict[str, Any]:
    policy = deepcopy(DEFAULT_POLICY)
    if org:
        policy["signoff"]["expires_days"] = org.get("expires_days", policy["signoff"]["expires_days"])
    return policy


def _declared_settings(spec_policy: dict[str, Any]) -> dict[str, Any]:
    gates = spec_policy.get("gates", {})
    declared: dict[str, Any] = {}
    for bound in ("min", "max"):
        for metric, value in gates.get(bound, {}).items():
            declared[f"gates.{bound}.{metric}"] = value
    for key in ("not_worse_than_production", "fairness_blocks", "min_group_size"):
        if key in gates:
            declared[f"gates.{key}"] = gates[key]
    if "expires_days" in spec_policy.get("signoff", {}):
        declared["signoff.expires_days"] = spec_policy["signoff"]["expires_days"]
    if "min_requests" in spec_policy.get("canary", {}):
        declared["canary.min_requests"] = spec_policy["canary"]["min_requests"]
    return declared


def find_loosenings(spec_policy: dict[str, Any], *, org: dict[str, Any] | None = None,
                    exceptions: list[dict[str, Any]] | tuple = ()) -> list[Loosening]:
    """Every setting the spec puts below the floor, each with the exception that allows it or None."""
    floor = floor_settings(org)
    found = []
    for setting, value in _declared_settings(spec_policy).items():
        direction = setting_direction(setting)
        if setting not in floor or direction is None or is_within(direction, value, floor[setting]):
            continue
        allowing = next((e for e in exceptions
                         if e["setting"] == setting and is_within(direction, value, e["value"])), None)
        found.append(Loosening(setting, value, floor[setting], allowing))
    return found


def merge_policy(spec_policy: dict[str, Any], *, risk_tier: str, org: dict[str, Any] | None = None,
                 exceptions: list[dict[str, Any]] | tuple = (), model: str = "this model",
                 enforce_floor: bool = True) -> dict[str, Any]:
    """The policy a version is held to: the organisation's floor raised by what the spec declares.

    Parameters
    ----------
    spec_policy : dict
        What the spec's ``[gates]``, ``[signoff]`` and ``[canary]`` sections declare.
    risk_tier : str
        The model's risk tier; it decides the organisation's sign-off roles.
    org : dict, optional
        The admin-managed organisation policy (roles per risk tier, approval lifetime).
    exceptions : list of dict, optional
        Active policy exceptions for this model: ``{"id", "setting", "value", "reason", "granted_by"}``.
    model : str
        The model's name, for messages.
    enforce_floor : bool
        False only to preview what a spec asks for before it is registered (``load_spec``); the
        registry always enforces the floor.

    Raises
    ------
    InvalidSpec
        Naming every setting the spec puts below the floor without an exception.
    """
    loosenings = find_loosenings(spec_policy, org=org, exceptions=exceptions)
    refused = [lo for lo in loosenings if lo.exception is None]
    if refused and enforce_floor:
        listed = "\n".join(f"  - {lo.message(model)}" for lo in refused)
        raise InvalidSpec(f"The spec goes below the organisation's policy on {len(refused)} setting"
                          f"{'s' if len(refused) > 1 else ''}:\n{listed}", code="below_policy_floor")
    policy = _org_defaults(org)
    gates = spec_policy.get("gates", {})
    for bound in ("min", "max"):
        for metric, threshold in gates.get(bound, {}).items():
            # A spec writes every threshold in [gates]; fairness ones are judged by the reports stage.
            section = "fairness" if metric in FAIRNESS_METRICS else "gates"
            policy[section][bound][metric] = threshold
    if "min_group_size" in gates:
        policy["fairness"]["min_group_size"] = gates["min_group_size"]
    if "fairness_blocks" in gates:
        policy["fairness"]["blocks"] = gates["fairness_blocks"]
    if "not_worse_than_production" in gates:
        policy["gates"]["not_worse_than_production"] = gates["not_worse_than_production"]
    by_tier = (org or {}).get("signoff_roles_by_tier") or SIGNOFF_ROLES_BY_TIER
    # The organisation's roles always sign; a spec can only add to them.
    roles = list(dict.fromkeys([*by_tier[risk_tier], *(spec_policy.get("signoff", {}).get("roles") or [])]))
    policy["signoff"]["roles"] = roles
    if "expires_days" in spec_policy.get("signoff", {}):
        policy["signoff"]["expires_days"] = spec_policy["signoff"]["expires_days"]
    policy["canary"].update(spec_policy.get("canary", {}))
    policy["exceptions"] = [
        {"id": lo.exception.get("id"), "setting": lo.setting, "value": lo.value, "floor": lo.floor,
         "reason": lo.exception.get("reason"), "granted_by": lo.exception.get("granted_by")}
        for lo in loosenings if lo.exception is not None]
    return policy
