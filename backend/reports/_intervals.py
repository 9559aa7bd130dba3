"""Intervals: exact ones for a single rate, bootstrap percentiles for a gap between groups.

A single rate ("12 of 40 flagged") gets the Clopper–Pearson interval, which is exact: its
coverage is at least the nominal 95% whatever the true rate and however few the cases. A
bootstrap on four cases is not: resampling 1 of 1 gives 1 every time, and an interval of
"1.00 to 1.00". The gaps between groups are judged only among groups with enough cases, where
the bootstrap's percentiles are sound.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import beta

__all__ = ["exact_interval", "percentile_interval", "CONFIDENCE"]

CONFIDENCE = 0.95


def exact_interval(k: np.ndarray, n: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson interval of the rate ``k / n``, element by element (NaN where ``n`` is 0).

    Parameters
    ----------
    k, n : array-like of int
        Cases counted and cases in all (``0 <= k <= n``).
    confidence : float
        The interval's coverage, 0.95 by default.

    Returns
    -------
    low, high : numpy.ndarray

    Examples
    --------
    >>> low, high = exact_interval([1], [1])
    >>> round(float(low[0]), 3), float(high[0])
    (0.025, 1.0)
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, beta.ppf(alpha / 2, np.maximum(k, 1), np.maximum(n - k + 1, 1)), 0.0)
        high = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, np.maximum(n - k, 1)), 1.0)
    empty = n <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Central percentiles over the first axis, ignoring resamples where the value is undefined."""
    tail = (1.0 - confidence) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every resample undefined: NaN, said so by the caller
        low, high = np.nanpercentile(samples, [tail, 100 - tail], axis=0)
    return low, high
