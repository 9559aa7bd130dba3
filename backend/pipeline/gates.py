"""Policy gates: each threshold with its verdict and a reason a person can read."""

from __future__ import annotations

from typing import Any

from backend.metrics import METRICS, format_value

__all__ = ["evaluate_gates"]


def evaluate_gates(policy_gates: dict[str, Any], values: dict[str, float]) -> list[dict[str, Any]]:
    """One verdict per gate in the policy; a gate on a metric that was not measured fails.

    Fairness thresholds are judged by the reports stage, on groups with intervals, so they are
    skipped here even if a policy lists them among the gates.
    """
    verdicts = []
    for bound in ("min", "max"):
        for metric, threshold in sorted(policy_gates.get(bound, {}).items()):
            info = METRICS[metric]
            if info.kind == "fairness":
                continue
            value = values.get(metric)
            limit = format_value(metric, threshold)
            if value is None:
                passed, reason = False, f"{info.label} could not be measured, so the {bound}imum of {limit} cannot be checked."
            elif bound == "min":
                passed = value >= threshold
                reason = (f"{info.label} is {format_value(metric, value)}, "
                          + (f"at or above the minimum of {limit}." if passed else f"below the minimum of {limit} set in the policy."))
            else:
                passed = value <= threshold
                reason = (f"{info.label} is {format_value(metric, value)}, "
                          + (f"within the maximum of {limit}." if passed else f"above the maximum of {limit} set in the policy."))
            verdicts.append({"metric": metric, "bound": bound, "threshold": threshold, "value": value,
                             "passed": bool(passed), "reason": reason})
    return verdicts
