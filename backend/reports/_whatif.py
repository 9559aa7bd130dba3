"""The decision-threshold what-if, from the scores the pipeline stored: no model runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from backend.errors import InvalidData
from backend.reports._groups import sensitive_groups

__all__ = ["threshold_whatif", "DEFAULT_THRESHOLDS", "ALL_GROUPS"]

DEFAULT_THRESHOLDS = tuple(round(t, 2) for t in np.linspace(0.05, 0.95, 19))
ALL_GROUPS = "Everyone"
COLUMNS = ["threshold", "group", "count", "selection_rate", "true_positive_rate", "false_positive_rate",
           "false_negative_rate", "accuracy"]


def _groups_of(frame: pd.DataFrame, sensitive: str | None) -> tuple[np.ndarray, list[str]]:
    if sensitive is None:
        return np.zeros(len(frame), dtype=np.int64), []
    if f"group:{sensitive}" in frame.columns:
        column = frame[f"group:{sensitive}"]
        if isinstance(column.dtype, pd.CategoricalDtype):  # as stored: the report's order (bands in order)
            return column.cat.codes.to_numpy(np.int64), [str(c) for c in column.cat.categories]
        codes, names = pd.factorize(column, sort=True)
        return codes.astype(np.int64), [str(n) for n in names]
    if f"sensitive:{sensitive}" in frame.columns:
        groups = sensitive_groups(frame[f"sensitive:{sensitive}"], sensitive)
        return groups.codes, groups.names
    known = sorted({c.split(":", 1)[1] for c in frame.columns if ":" in c})
    raise InvalidData(f"The stored scores have no sensitive feature '{sensitive}' (they have: "
                      f"{', '.join(known) or 'none'}).")


def _rates(y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """Every rate at every threshold with two sorted searches, not one pass per threshold."""
    positives, negatives = np.sort(scores[y == 1]), np.sort(scores[y == 0])
    tp = len(positives) - np.searchsorted(positives, thresholds, side="left")  # score >= threshold
    fp = len(negatives) - np.searchsorted(negatives, thresholds, side="left")
    n_pos, n_neg = len(positives), len(negatives)
    n = n_pos + n_neg
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "count": np.full(len(thresholds), n),
            "selection_rate": (tp + fp) / n if n else np.full(len(thresholds), np.nan),
            "true_positive_rate": tp / n_pos if n_pos else np.full(len(thresholds), np.nan),
            "false_positive_rate": fp / n_neg if n_neg else np.full(len(thresholds), np.nan),
            "false_negative_rate": (n_pos - tp) / n_pos if n_pos else np.full(len(thresholds), np.nan),
            "accuracy": (tp + n_neg - fp) / n if n else np.full(len(thresholds), np.nan),
        }


def threshold_whatif(test_scores: pd.DataFrame, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                     sensitive: str | None = None) -> pd.DataFrame:
    """Selection rate and error rates per group as the decision threshold moves.

    Parameters
    ----------
    test_scores : pandas.DataFrame
        The stored test scores (:func:`backend.reports.load_test_scores`): ``y_true`` (0/1),
        ``score`` and ``group:<feature>`` / ``sensitive:<column>`` columns.
    thresholds : sequence of float
        Thresholds to try; a row is flagged positive when its score is at or above one.
    sensitive : str, optional
        The feature whose groups to compare (e.g. ``"sex"``, ``"age"`` or ``"sex × race"``);
        None gives the whole test set only.

    Returns
    -------
    pandas.DataFrame
        One row per threshold and group (``"Everyone"`` first) with ``count``, ``selection_rate``,
        ``true_positive_rate``, ``false_positive_rate``, ``false_negative_rate`` and ``accuracy``.
    """
    missing = [c for c in ("y_true", "score") if c not in test_scores.columns]
    if missing:
        raise InvalidData("The stored scores lack " + " and ".join(missing) + "; they cannot drive the what-if.")
    y = test_scores["y_true"].to_numpy()
    if not np.isin(y, (0, 1)).all():
        raise InvalidData("The threshold what-if applies to yes/no (classification) models only.")
    scores = test_scores["score"].to_numpy(np.float64)
    grid = np.asarray(sorted(float(t) for t in thresholds), dtype=np.float64)
    codes, names = _groups_of(test_scores, sensitive)
    parts = []
    for label, mask in [(ALL_GROUPS, np.ones(len(y), dtype=bool))] + [(n, codes == i) for i, n in enumerate(names)]:
        rates = _rates(y[mask], scores[mask], grid)
        parts.append(pd.DataFrame({"threshold": grid, "group": label, **rates}))
    return pd.concat(parts, ignore_index=True)[COLUMNS]
