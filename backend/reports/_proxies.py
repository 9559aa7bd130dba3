"""Sensitive features the model takes as inputs, itself or through a close proxy.

A model that uses race, or a column that goes almost hand in hand with race, can treat people
differently by race even when every parity check passes. The report says so on its first
screen. Closeness is Cramér's V (bias-corrected), on the test rows: 0 means the two columns
are unrelated, 1 that one determines the other. Numbers are cut into deciles first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["sensitive_inputs", "cramers_v", "PROXY_THRESHOLD", "ASSOCIATION_MEASURE"]

#: From this Cramér's V on, an input is a close proxy for a sensitive feature.
PROXY_THRESHOLD = 0.5
ASSOCIATION_MEASURE = "Cramér's V"
MAX_ROWS = 50_000
DECILES = 10


def _codes(values: pd.Series) -> np.ndarray:
    """Each value's category (missing values form their own); numbers by decile."""
    series = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) and series.nunique() > DECILES:
        numbers = series.to_numpy(np.float64)
        finite = np.isfinite(numbers)
        edges = np.unique(np.quantile(numbers[finite], np.linspace(0, 1, DECILES + 1)[1:-1])) if finite.any() else []
        codes = np.searchsorted(edges, numbers, side="right")
        return np.where(finite, codes, len(edges) + 1).astype(np.int64)
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    return np.where(codes < 0, codes.max() + 1, codes).astype(np.int64)


def cramers_v(first: pd.Series, second: pd.Series) -> float:
    """Bias-corrected Cramér's V between two columns (0: unrelated, 1: one determines the other).

    Examples
    --------
    >>> import pandas as pd
    >>> round(cramers_v(pd.Series(list("aabb") * 50), pd.Series(list("xxyy") * 50)), 2)
    1.0
    """
    a, b = _codes(first), _codes(second)
    n = len(a)
    rows, cols = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a * cols + b, minlength=rows * cols).reshape(rows, cols).astype(np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, k = table.shape
    if n < 2 or r < 2 or k < 2:
        return 0.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corr, k_corr = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corr - 1, r_corr - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else 0.0


def sensitive_inputs(X: pd.DataFrame, sensitive: pd.DataFrame, features: Sequence[str],
                     drivers: list[dict[str, Any]] | None = None, *,
                     threshold: float = PROXY_THRESHOLD) -> list[dict[str, Any]]:
    """Sensitive features that are model inputs, and inputs that are close proxies for one.

    Parameters
    ----------
    X : pandas.DataFrame
        The model's input columns on the test rows.
    sensitive : pandas.DataFrame
        The sensitive columns of the same rows.
    features : sequence of str
        The sensitive features the spec names.
    drivers : list of dict, optional
        The explainability report's ``global`` ranking, to say how strongly each input drives
        the model.
    threshold : float
        Cramér's V from which an input counts as a close proxy.

    Returns
    -------
    list of dict
        ``{"sensitive", "input", "kind": "same" | "proxy", "association", "measure", "rank",
        "share"}``, the sensitive features themselves first.
    """
    ranks = {d["feature"]: (i + 1, d.get("share")) for i, d in enumerate(drivers or [])}
    X = X.reset_index(drop=True)
    sensitive = sensitive.reset_index(drop=True)
    if len(X) > MAX_ROWS:
        pick = np.sort(np.random.default_rng(0).choice(len(X), MAX_ROWS, replace=False))
        X, sensitive = X.iloc[pick].reset_index(drop=True), sensitive.iloc[pick].reset_index(drop=True)
    found: list[dict[str, Any]] = []
    proxies: list[dict[str, Any]] = []
    for feature in features:
        if feature in X.columns:
            rank, share = ranks.get(feature, (None, None))
            found.append({"sensitive": feature, "input": feature, "kind": "same", "association": 1.0,
                          "measure": None, "rank": rank, "share": share})
        if feature not in sensitive.columns:
            continue
        for column in X.columns:
            if column == feature or column in features:
                continue
            strength = cramers_v(X[column], sensitive[feature])
            if strength >= threshold:
                rank, share = ranks.get(column, (None, None))
                proxies.append({"sensitive": feature, "input": column, "kind": "proxy", "association": strength,
                                "measure": ASSOCIATION_MEASURE, "rank": rank, "share": share})
    return found + sorted(proxies, key=lambda p: -p["association"])
