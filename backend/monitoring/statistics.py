"""Drift tests on binned counts: PSI, Kolmogorov–Smirnov and chi-squared, honest about sample size.

Each input is tested against its reference (the version's held-out test rows):

- numbers: the two-sample Kolmogorov–Smirnov distance between the empirical distributions,
  read at the reference's quantile edges (never larger than the exact distance, so the test
  errs on the side of calm), and a chi-squared test of the share of missing values;
- categories: a chi-squared test of homogeneity over the reference's categories (rare ones
  pooled so every expected count is at least 5), unseen values and missing values.

The threshold of every test depends on both sample sizes (a window of 50 rows must move much
further than one of 50,000 before it counts) and on the number of tests run in the period
(Bonferroni: the chance that a period with no drift at all flags anything stays below
:data:`DRIFT_ALPHA`). The PSI (population stability index, on the reference's deciles) says how
large a shift is; it sets an alert's severity, never whether there is one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["DRIFT_ALPHA", "PSI_MODERATE", "PSI_MAJOR", "MIN_DRIFT_ROWS", "DriftTest", "psi", "ks_binned",
           "chi2_homogeneity", "psi_level", "critical_ks"]

#: The chance, per model and period, that a log with no drift flags any input.
DRIFT_ALPHA = 0.01
#: The usual reading of the PSI: below 0.1 a small shift, 0.1–0.25 a moderate one, above a major one.
PSI_MODERATE, PSI_MAJOR = 0.1, 0.25
#: Below this many rows a period is too small to judge drift at all.
MIN_DRIFT_ROWS = 30


@dataclass(frozen=True)
class DriftTest:
    """One test's result: its statistic, the threshold at the level asked and the p-value."""

    test: str  # ks | chi2
    statistic: float
    threshold: float
    p_value: float

    @property
    def flagged(self) -> bool:
        return self.statistic > self.threshold


def psi(reference: Sequence[float], current: Sequence[float]) -> float:
    """Population stability index of two histograms over the same bins (half a row added to each
    bin, so an empty bin does not make it infinite)."""
    ref = np.asarray(reference, dtype=np.float64) + 0.5
    cur = np.asarray(current, dtype=np.float64) + 0.5
    p, q = ref / ref.sum(), cur / cur.sum()
    return float(np.sum((q - p) * np.log(q / p)))


def psi_level(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "unknown"
    return "major" if value >= PSI_MAJOR else "moderate" if value >= PSI_MODERATE else "small"


def _effective_n(n: float, m: float) -> float:
    return n * m / (n + m)


def critical_ks(alpha: float, n_ref: float, n_cur: float) -> float:
    """The KS distance above which two samples of these sizes differ at level ``alpha``
    (the asymptotic distribution with Stephens' small-sample correction)."""
    ne = math.sqrt(_effective_n(n_ref, n_cur))
    return float(stats.kstwobign.isf(alpha) / (ne + 0.12 + 0.11 / ne))


def ks_binned(reference: Sequence[float], current: Sequence[float], alpha: float) -> DriftTest:
    """KS distance between two binned samples, read at the bin edges."""
    ref, cur = np.asarray(reference, np.float64), np.asarray(current, np.float64)
    n_ref, n_cur = ref.sum(), cur.sum()
    if n_ref == 0 or n_cur == 0:
        return DriftTest("ks", float("nan"), float("nan"), float("nan"))
    distance = float(np.max(np.abs(np.cumsum(ref) / n_ref - np.cumsum(cur) / n_cur)))
    ne = math.sqrt(_effective_n(n_ref, n_cur))
    p_value = float(stats.kstwobign.sf((ne + 0.12 + 0.11 / ne) * distance))
    return DriftTest("ks", distance, critical_ks(alpha, n_ref, n_cur), min(1.0, p_value))


def chi2_homogeneity(reference: Sequence[float], current: Sequence[float], alpha: float) -> DriftTest:
    """Chi-squared test that two samples come from the same categorical distribution.

    Categories whose expected count is below 5 in either sample are pooled, the usual condition
    for the chi-squared approximation to hold.
    """
    ref, cur = np.asarray(reference, np.float64), np.asarray(current, np.float64)
    n_ref, n_cur = ref.sum(), cur.sum()
    if n_ref == 0 or n_cur == 0:
        return DriftTest("chi2", float("nan"), float("nan"), float("nan"))
    total = ref + cur
    expected_min = np.minimum(total * n_ref, total * n_cur) / (n_ref + n_cur)
    keep = expected_min >= 5
    if (~keep).any():
        ref = np.append(ref[keep], ref[~keep].sum())
        cur = np.append(cur[keep], cur[~keep].sum())
        if ref[-1] + cur[-1] == 0:
            ref, cur = ref[:-1], cur[:-1]
    observed = np.vstack([ref, cur])
    observed = observed[:, observed.sum(axis=0) > 0]
    dof = observed.shape[1] - 1
    if dof < 1:
        return DriftTest("chi2", 0.0, float("inf"), 1.0)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0, keepdims=True) / observed.sum()
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return DriftTest("chi2", statistic, float(stats.chi2.isf(alpha, dof)), float(stats.chi2.sf(statistic, dof)))
