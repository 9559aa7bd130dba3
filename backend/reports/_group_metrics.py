"""Metrics per group and the gaps between groups, fast enough for a million rows.

For a yes/no model every group metric depends only on how many rows fall in each (group,
outcome, decision) cell, so a million rows cost one ``bincount``.

- Each group's rates come with their counts ("12 of 40") and an exact 95% interval.
- A rate is evidence only when its *denominator* is large enough: the selection rate needs
  ``min_group_size`` people in the group, the true-positive rate that many real positives,
  the false-positive rate that many real negatives. Each gap is judged among the groups that
  have enough evidence for its rates; the others are "too few to judge" (the caller names
  them) and never void the gap between the rest.
- The gaps' 95% intervals come from a bootstrap: drawing N rows with replacement is one
  multinomial draw over the cells, so a thousand resamples cost a thousand small draws.
- Beside the judged gaps, the same gaps over *every* group by fairlearn's definitions, which
  count an undefined rate (a group with no real positives, say) as 0. Those equal fairlearn's
  ``demographic_parity_*`` and ``equalized_odds_difference`` to 1e-9 (a test checks this).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backend.reports._intervals import exact_interval, percentile_interval

__all__ = ["GroupStats", "classification_group_stats", "CLASSIFICATION_METRICS", "CLASSIFICATION_DISPARITIES",
           "RATE_DENOMINATORS", "DENOMINATOR_WORDS", "divide", "value_range"]

#: Every rate measured in a group, in the order the report lists them.
CLASSIFICATION_METRICS = ("share", "selection_rate", "base_rate", "true_positive_rate", "false_positive_rate",
                          "accuracy")
CLASSIFICATION_DISPARITIES = ("demographic_parity_difference", "demographic_parity_ratio",
                              "equalized_odds_difference")
#: What each rate is a share of: its denominator, which must be large enough to judge it.
RATE_DENOMINATORS = {"share": "people", "selection_rate": "people", "base_rate": "people", "accuracy": "people",
                     "true_positive_rate": "positives", "false_positive_rate": "negatives"}
DENOMINATOR_WORDS = {"people": ("person", "people"), "positives": ("real positive", "real positives"),
                     "negatives": ("real negative", "real negatives")}
#: The rates each gap compares.
DISPARITY_RATES = {"demographic_parity_difference": ("selection_rate",),
                   "demographic_parity_ratio": ("selection_rate",),
                   "equalized_odds_difference": ("true_positive_rate", "false_positive_rate")}


@dataclass
class GroupStats:
    """Per-group values with their counts and 95% intervals, and the gaps between groups.

    ``metrics[name]``, ``low[name]``, ``high[name]``, ``numerators[name]`` and
    ``denominators[name]`` hold one entry per group. ``judgeable[kind]`` says which groups
    have at least ``min_group_size`` people, real positives or real negatives.
    ``disparities[name]`` is ``(value, low, high)`` among the judgeable groups (NaN when fewer
    than two); ``fairlearn[name]`` is the value over every group by fairlearn's definitions;
    ``rate_gaps[rate]`` is the gap of one rate among its judgeable groups, with its interval.
    ``data_gap`` compares the model's selection gap with the gap in real outcomes.
    """

    counts: np.ndarray
    metrics: dict[str, np.ndarray]
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    disparities: dict[str, tuple[float, float, float]]
    resamples: int
    numerators: dict[str, np.ndarray] = field(default_factory=dict)
    denominators: dict[str, np.ndarray] = field(default_factory=dict)
    judgeable: dict[str, np.ndarray] = field(default_factory=dict)
    fairlearn: dict[str, float] = field(default_factory=dict)
    rate_gaps: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    data_gap: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    min_group_size: int = 1


def divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def value_range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest and smallest value over the last axis, ignoring undefined (NaN) entries."""
    undefined = np.isnan(values)
    top = np.where(undefined, -np.inf, values).max(axis=-1)
    bottom = np.where(undefined, np.inf, values).min(axis=-1)
    valid = np.isfinite(top) & np.isfinite(bottom)
    return np.where(valid, top, np.nan), np.where(valid, bottom, np.nan)


def _counts(cells: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(numerator, denominator) of every rate, from cells shaped (..., groups, 4) as [tn, fp, fn, tp]."""
    tn, fp, fn, tp = (cells[..., i].astype(np.float64) for i in range(4))
    n = tn + fp + fn + tp
    return {
        "share": (n, np.broadcast_to(n.sum(axis=-1, keepdims=True), n.shape)),
        "selection_rate": (fp + tp, n),
        "base_rate": (fn + tp, n),
        "true_positive_rate": (tp, tp + fn),
        "false_positive_rate": (fp, fp + tn),
        "accuracy": (tn + tp, n),
    }


def _rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    return {name: divide(num, den) for name, (num, den) in _counts(cells).items()}


def _gap(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(largest − smallest, smallest, largest) among the groups in ``mask``; NaN with fewer than two."""
    top, bottom = value_range(np.where(mask, values, np.nan))
    if mask.sum() < 2:
        nan = np.full(np.shape(top), np.nan)
        return nan, nan, nan
    return top - bottom, bottom, top


def _judged(rates: dict[str, np.ndarray], judgeable: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The gaps among judgeable groups (works on one table or a stack of resampled tables)."""
    people = judgeable["people"]
    selection, low_selection, top_selection = _gap(rates["selection_rate"], people)
    base, _, _ = _gap(rates["base_rate"], people)
    tpr, _, _ = _gap(rates["true_positive_rate"], judgeable["positives"])
    fpr, _, _ = _gap(rates["false_positive_rate"], judgeable["negatives"])
    return {
        "demographic_parity_difference": selection,
        "demographic_parity_ratio": divide(low_selection, top_selection),
        # Worst case of the two error-rate gaps, each among its own judgeable groups (fmax: a
        # side that cannot be judged leaves the other; the verdict says which side was missing).
        "equalized_odds_difference": np.fmax(tpr, fpr),
        "true_positive_rate": tpr,
        "false_positive_rate": fpr,
        "selection_rate": selection,
        "base_rate": base,
        "gap_change": selection - base,
    }


def _fairlearn(rates: dict[str, np.ndarray]) -> dict[str, float]:
    """The gaps over every group as fairlearn defines them: an undefined rate counts as 0
    (scikit-learn's normalised confusion matrix turns 0/0 into 0)."""
    top, bottom = value_range(rates["selection_rate"])
    tpr_top, tpr_bottom = value_range(np.nan_to_num(rates["true_positive_rate"]))
    fpr_top, fpr_bottom = value_range(np.nan_to_num(rates["false_positive_rate"]))
    return {"demographic_parity_difference": float(top - bottom),
            "demographic_parity_ratio": float(divide(bottom, top)),
            "equalized_odds_difference": float(max(tpr_top - tpr_bottom, fpr_top - fpr_bottom))}


def classification_group_stats(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray, *,
                               resamples: int = 1000, seed: int = 0, min_group_size: int = 1) -> GroupStats:
    """Selection, base, true- and false-positive rates and accuracy per group, and the gaps.

    Parameters
    ----------
    codes : numpy.ndarray
        Each row's group, 0 … ``n_groups`` − 1.
    n_groups : int
        How many groups there are.
    y_true, y_pred : numpy.ndarray
        The real outcome and the model's decision, each 0 or 1.
    resamples : int
        Bootstrap resamples for the intervals of the gaps.
    seed : int
        Seed of the random draws, so a report can be reproduced.
    min_group_size : int
        The fewest people (real positives, real negatives) a group needs for its rate to count
        in a gap.

    Returns
    -------
    GroupStats
    """
    cell = np.asarray(codes, np.int64) * 4 + np.asarray(y_true, np.int64) * 2 + np.asarray(y_pred, np.int64)
    cells = np.bincount(cell, minlength=n_groups * 4).reshape(n_groups, 4)
    counted = _counts(cells)
    point = {name: divide(num, den) for name, (num, den) in counted.items()}
    low, high = {}, {}
    for name, (num, den) in counted.items():
        low[name], high[name] = exact_interval(num, den)
    minimum = max(int(min_group_size), 1)
    judgeable = {"people": counted["selection_rate"][1] >= minimum,
                 "positives": counted["true_positive_rate"][1] >= minimum,
                 "negatives": counted["false_positive_rate"][1] >= minimum}
    judged = _judged(point, judgeable)
    total = int(cells.sum())
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(total, cells.ravel() / max(total, 1), size=resamples).reshape(resamples, n_groups, 4)
    sampled = _judged(_rates(drawn), judgeable)
    spans = {}
    for name, value in judged.items():
        s_low, s_high = percentile_interval(sampled[name])
        spans[name] = (float(value), float(s_low), float(s_high))
    return GroupStats(
        counts=counted["selection_rate"][1].astype(np.int64), metrics=point, low=low, high=high,
        disparities={name: spans[name] for name in CLASSIFICATION_DISPARITIES}, resamples=resamples,
        numerators={k: v[0].astype(np.int64) for k, v in counted.items()},
        denominators={k: np.asarray(v[1]).astype(np.int64) for k, v in counted.items()},
        judgeable=judgeable, fairlearn=_fairlearn(point),
        rate_gaps={name: spans[name] for name in ("selection_rate", "true_positive_rate", "false_positive_rate")},
        data_gap={name: spans[name] for name in ("base_rate", "selection_rate", "gap_change")},
        min_group_size=minimum)
