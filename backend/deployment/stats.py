"""The statistics the canary judge uses: a one-sided Mann–Whitney test, the population stability
index, the ROC AUC with its standard error, and an interval for a difference of proportions."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import mannwhitneyu, rankdata

__all__ = ["Z95", "capped", "greater_p", "psi", "auc", "auc_se", "wilson", "newcombe"]

#: The two-sided 95% point of the standard normal distribution.
Z95 = 1.959963984540054


def capped(values: np.ndarray, cap: int, seed: int) -> np.ndarray:
    if len(values) <= cap:
        return values
    return np.random.default_rng(seed).choice(values, size=cap, replace=False)


def greater_p(canary: np.ndarray, production: np.ndarray) -> float:
    """One-sided Mann–Whitney: how likely a canary this much larger is by chance alone."""
    if len(canary) == 0 or len(production) == 0:
        return 1.0
    both = np.concatenate([canary, production])
    if np.all(both == both[0]):
        return 1.0  # nothing differs (no errors anywhere, say): nothing to test
    return float(mannwhitneyu(canary, production, alternative="greater", method="asymptotic").pvalue)


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``, on ``expected``'s deciles."""
    if len(expected) == 0 or len(actual) == 0:
        return float("nan")
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    share_e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    share_a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    # An empty bin would make the index infinite; the usual floor keeps it finite and comparable.
    share_e, share_a = np.clip(share_e, 1e-4, None), np.clip(share_a, 1e-4, None)
    return float(np.sum((share_a - share_e) * np.log(share_a / share_e)))


def auc(y: np.ndarray, score: np.ndarray) -> float:
    positives = y.astype(bool)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    ranks = rankdata(score)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982): the standard error of an AUC from its value and class sizes."""
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc ** 2) + (n_neg - 1) * (q2 - auc ** 2)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def wilson(successes: int, n: int) -> tuple[float, float]:
    p = successes / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n ** 2)) / (1 + Z95 ** 2 / n)
    return centre - half, centre + half


def newcombe(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float, float]:
    """Difference of two proportions with Newcombe's hybrid score interval (method 10)."""
    p1, p2 = s1 / n1, s2 / n2
    (l1, u1), (l2, u2) = wilson(s1, n1), wilson(s2, n2)
    diff = p1 - p2
    return diff, diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
