"""How the fairness gaps changed from one version to another, on the same rows.

Both versions' decisions on the same test rows fall in (group, outcome, new decision, old
decision) cells; one multinomial draw over those cells resamples the rows for both versions at
once, so the interval is on the *difference* of the gaps, person for person. The groups judged
are the same for both: which groups have enough people, real positives and real negatives
depends on the data, not on the model.
"""

from __future__ import annotations

import numpy as np

from backend.reports._group_metrics import CLASSIFICATION_DISPARITIES, _judged, _rates
from backend.reports._intervals import percentile_interval

__all__ = ["paired_gap_changes"]

# Columns of the 8-cell layout (y, new, old) that make each version's [tn, fp, fn, tp].
_NEW = ((0, 1), (2, 3), (4, 5), (6, 7))
_OLD = ((0, 2), (1, 3), (4, 6), (5, 7))


def _four(cells: np.ndarray, layout) -> np.ndarray:
    return np.stack([cells[..., a] + cells[..., b] for a, b in layout], axis=-1)


def paired_gap_changes(codes: np.ndarray, n_groups: int, y_true: np.ndarray, new: np.ndarray, old: np.ndarray,
                       judgeable: dict[str, np.ndarray], *, resamples: int = 1000,
                       seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """For each gap: (new − old, low, high), the 95% interval from a paired bootstrap.

    Parameters
    ----------
    codes : numpy.ndarray
        Each row's group.
    n_groups : int
    y_true, new, old : numpy.ndarray
        The real outcome and the two versions' decisions (0/1) on the same rows.
    judgeable : dict
        The groups each gap is judged on (``GroupStats.judgeable`` of the new version).
    resamples, seed : int
    """
    cell = (np.asarray(codes, np.int64) * 8 + np.asarray(y_true, np.int64) * 4 + np.asarray(new, np.int64) * 2
            + np.asarray(old, np.int64))
    cells = np.bincount(cell, minlength=n_groups * 8).reshape(n_groups, 8)
    total = int(cells.sum())
    drawn = np.random.default_rng(seed).multinomial(total, cells.ravel() / max(total, 1),
                                                     size=resamples).reshape(resamples, n_groups, 8)
    point_new, point_old = _judged(_rates(_four(cells, _NEW)), judgeable), _judged(_rates(_four(cells, _OLD)), judgeable)
    sample_new, sample_old = (_judged(_rates(_four(drawn, _NEW)), judgeable),
                              _judged(_rates(_four(drawn, _OLD)), judgeable))
    out = {}
    for name in CLASSIFICATION_DISPARITIES:
        low, high = percentile_interval(sample_new[name] - sample_old[name])
        out[name] = (float(point_new[name] - point_old[name]), float(low), float(high))
    return out
