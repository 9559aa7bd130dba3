"""One fairness check: a gap between groups against the policy's limit, and its verdict.

The verdict is **pass** when the whole 95% interval of the gap is within the limit, **fail**
when it is wholly beyond, and **insufficient evidence** when the interval straddles the limit
or fewer than two groups have enough evidence for the rates compared. Groups with too few
people (real positives, real negatives) for a rate are named with their counts as "too few to
judge"; they never void the verdict on the groups that can be judged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backend.metrics import METRICS
from backend.reports._group_metrics import (
    DENOMINATOR_WORDS,
    DISPARITY_RATES,
    RATE_DENOMINATORS,
    GroupStats,
)
from backend.reports._groups import SensitiveGroups
from backend.reports._labels import Labels

__all__ = ["judge_check", "PASS", "FAIL", "INSUFFICIENT", "RATE_NAMES", "counted", "too_few_text"]

PASS, FAIL, INSUFFICIENT = "pass", "fail", "insufficient_evidence"
RATE_NAMES = {"selection_rate": "selection rates", "true_positive_rate": "true-positive rates",
              "false_positive_rate": "false-positive rates"}


def counted(n: int, kind: str) -> str:
    """``counted(1, "people")`` → ``"1 person"``; ``counted(12, "positives")`` → ``"12 real positives"``."""
    one, many = DENOMINATOR_WORDS[kind]
    return f"{n:,} {one if n == 1 else many}"


def _finite(*values: float) -> bool:
    return all(v is not None and np.isfinite(v) for v in values)


def _too_few(groups: SensitiveGroups, stats: GroupStats, rate: str) -> list[dict[str, Any]]:
    kind = RATE_DENOMINATORS[rate]
    mask = stats.judgeable[kind]
    dens = stats.denominators[rate]
    return [{"group": name, "count": int(stats.counts[i]), "rate": rate, "denominator": kind,
             "cases": int(dens[i]), "needed": stats.min_group_size}
            for i, name in enumerate(groups.names) if not mask[i]]


def _undefined(groups: SensitiveGroups, stats: GroupStats, rate: str) -> list[dict[str, Any]]:
    """Groups whose rate is 0/0: no real positives (negatives) to measure it on."""
    kind = RATE_DENOMINATORS[rate]
    return [{"group": name, "rate": rate, "denominator": kind}
            for i, name in enumerate(groups.names) if stats.denominators[rate][i] == 0]


def too_few_text(items: list[dict[str, Any]], groups: SensitiveGroups, labels: Labels) -> str:
    """``"'Other' (12 real positives) and 'Asian' (7 people)"``: each small group once, with its count."""
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item["group"], counted(item["cases"], item["denominator"]))
    shown = [f"'{labels.group(groups.feature, g)}' ({c})" for g, c in seen.items()]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _judged_count(stats: GroupStats, rate: str) -> int:
    return int(stats.judgeable[RATE_DENOMINATORS[rate]].sum())


def judge_check(metric: str, bound: str, threshold: float, groups: SensitiveGroups, stats: GroupStats,
                labels: Labels, uniform: str | None = None) -> dict[str, Any]:
    """The check of one disparity of one feature, as a JSON-ready dict with its verdict and reason."""
    value, low, high = stats.disparities[metric]
    info = METRICS[metric]
    feature = labels.feature(groups.feature)
    minimum = stats.min_group_size
    rates = DISPARITY_RATES[metric]
    too_few = [item for rate in rates for item in _too_few(groups, stats, rate)]
    undefined = [item for rate in rates for item in _undefined(groups, stats, rate)]
    judgeable = {rate: _judged_count(stats, rate) for rate in rates}
    missing_sides = [rate for rate in rates if judgeable[rate] < 2]
    limit = f"the {'minimum' if bound == 'min' else 'maximum'} of {threshold:.2f}"
    span = f"95% interval {low:.2f}–{high:.2f}" if _finite(low, high) else "no interval"
    shown = f"{info.label} for {feature} is {value:.2f} ({span})" if _finite(value) else ""
    passes_all = _finite(value, low, high) and (low >= threshold if bound == "min" else high <= threshold)
    fails_all = _finite(value, low, high) and (high < threshold if bound == "min" else low > threshold)
    if len(missing_sides) == len(rates):
        words = DENOMINATOR_WORDS[RATE_DENOMINATORS[rates[0]]][1] if len(rates) == 1 else \
            "real positives or real negatives"
        verdict, cause = INSUFFICIENT, "too_few_groups"
        reason = (f"{info.label} for {feature} cannot be judged: fewer than two groups have at least {minimum} "
                  f"{words}.")
    elif uniform is not None:
        # Equal rates of zero are not fairness: a model that flags nobody treats everyone alike
        # only because it decides nothing.
        verdict, cause = INSUFFICIENT, "uniform"
        reason = (f"{info.label} for {feature} cannot be judged: the model flags {uniform} in every group at this "
                  "threshold, so its decisions cannot show whether it treats the groups alike.")
    elif not _finite(value, low, high):
        verdict, cause = INSUFFICIENT, "undefined"
        reason = f"{info.label} for {feature} cannot be measured: the model selects no one in the groups compared."
    elif fails_all:
        side = "below" if bound == "min" else "above"
        verdict, cause = FAIL, "judged"
        reason = f"{shown}, {side} {limit} set in the policy."
    elif missing_sides:
        # A gap on one side that stays within the limit says nothing about the other side.
        verdict, cause = INSUFFICIENT, "partial"
        reason = (f"{shown} on {RATE_NAMES[[r for r in rates if r not in missing_sides][0]]}, but "
                  f"{RATE_NAMES[missing_sides[0]]} cannot be compared: fewer than two groups have at least "
                  f"{minimum} {DENOMINATOR_WORDS[RATE_DENOMINATORS[missing_sides[0]]][1]}.")
    elif passes_all:
        verdict, cause = PASS, "judged"
        reason = f"{shown}, {'at or above' if bound == 'min' else 'within'} {limit}."
    else:
        verdict, cause = INSUFFICIENT, "straddles"
        reason = f"{shown}; the interval includes {limit}, so the data cannot tell whether the model meets it."
    judged = min((judgeable[r] for r in rates if r not in missing_sides), default=0)
    if cause in ("judged", "straddles", "partial"):
        on = [f"{judgeable[r]} groups with at least {minimum} {DENOMINATOR_WORDS[RATE_DENOMINATORS[r]][1]}"
              for r in rates if r not in missing_sides]
        reason += " Judged on the " + " and ".join(on) + "."
    if too_few:
        reason += f" Too few to judge: {too_few_text(too_few, groups, labels)}."
    if undefined:
        reason += " " + _undefined_text(undefined, groups, labels, metric)
    sides = {}
    if len(rates) > 1:
        sides = {rate: {"value": stats.rate_gaps[rate][0], "low": stats.rate_gaps[rate][1],
                        "high": stats.rate_gaps[rate][2], "groups": judgeable[rate]} for rate in rates}
    return {"metric": metric, "label": info.label, "bound": bound, "threshold": threshold, "value": value,
            "low": low, "high": high, "verdict": verdict, "reason": reason, "cause": cause,
            "fairlearn_value": stats.fairlearn.get(metric), "groups_judged": judged, "too_few": too_few,
            "undefined": undefined, "sides": sides}


def _undefined_text(undefined: list[dict[str, Any]], groups: SensitiveGroups, labels: Labels, metric: str) -> str:
    parts = []
    for item in undefined:
        noun = "real positives" if item["denominator"] == "positives" else "real negatives"
        parts.append(f"'{labels.group(groups.feature, item['group'])}' has no {noun}, so its "
                     f"{RATE_NAMES[item['rate']][:-1]} is undefined")
    text = "; ".join(parts)
    if metric == "equalized_odds_difference":
        text += " (fairlearn's equalized odds difference, over every group, counts an undefined rate as 0)"
    return text[:1].upper() + text[1:] + "."
