"""Performance from binned scores: realised (outcomes known) and estimated (before they are).

A classifier's rows are summarised per score bin (:data:`~backend.monitoring.aggregations.SCORE_BINS`
uniform bins) as positive and negative counts with the sums Brier score and log loss need, so
every figure of test validation comes from a few thousand numbers whatever the log's size, and
a 95% interval comes from a Poisson bootstrap of those counts.

**Estimated performance** follows NannyML's confidence-based performance estimation (CBPE): a
calibrated classifier's score *is* the chance that the outcome is positive, so a bin of ``n``
rows with scores summing to ``S`` holds ``S`` positives on average. The expected confusion
matrix, ROC curve, Brier score and log loss follow from that alone. The assumption: the model is
calibrated and the relation between inputs and outcome has not changed (no concept drift); the
inputs themselves may shift. Calibration is checked on the test set; concept drift can only be
seen once outcomes arrive, which is why every estimate is later set beside the realised figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.monitoring.aggregations import SCORE_BINS

__all__ = ["Cells", "labelled_cells", "expected_cells", "cells_from_scores", "binned_metrics", "metric_interval",
           "expected_interval", "calibration_check", "regression_metrics", "CBPE_ASSUMPTION", "BOOTSTRAP_RESAMPLES",
           "CLASSIFICATION_METRICS", "MIN_LABELLED_ROWS"]

CLASSIFICATION_METRICS = ("roc_auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier")
REGRESSION_METRICS = ("rmse", "mae", "r2")
BOOTSTRAP_RESAMPLES = 400
#: Fewer outcomes than this in a period, or no outcome of one kind, and no realised figure is shown.
MIN_LABELLED_ROWS = 30
CBPE_ASSUMPTION = ("Estimated from the scores alone, before outcomes are known: valid when the model's scores are "
                   "calibrated (a score of 0.3 means a 30% chance) and the link between inputs and outcome has not "
                   "changed since the test set; the inputs themselves may shift.")
#: Calibration error (ECE) above this, and beyond what chance explains on the test set, voids estimates.
ECE_LIMIT = 0.03


@dataclass(frozen=True)
class Cells:
    """Per score bin: positives, negatives, and their Brier and log-loss sums (floats: an
    estimate holds expected counts)."""

    pos: np.ndarray
    neg: np.ndarray
    pos_brier: np.ndarray
    neg_brier: np.ndarray
    pos_loss: np.ndarray
    neg_loss: np.ndarray

    @property
    def rows(self) -> float:
        return float(self.pos.sum() + self.neg.sum())


def _zeros() -> np.ndarray:
    return np.zeros(SCORE_BINS)


def labelled_cells(labelled: dict[str, list[float]]) -> Cells:
    """Cells of the realised outcomes, from an outcome aggregate ``{"bin|y": [n, Σs, Σs², Σloss, Σh]}``."""
    pos, neg, pb, nb, pl, nl = (_zeros() for _ in range(6))
    for key, (n, s1, s2, loss, _h) in labelled.items():
        b, y = (int(k) for k in key.split("|"))
        if y == 1:
            pos[b] += n
            pb[b] += n - 2 * s1 + s2
            pl[b] += loss
        else:
            neg[b] += n
            nb[b] += s2
            nl[b] += loss
    return Cells(pos, neg, pb, nb, pl, nl)


def expected_cells(hist: dict[str, list[float]]) -> Cells:
    """CBPE: the cells a calibrated model expects, from ``{"bin": [n, Σs, Σs², Σentropy]}``."""
    pos, neg, pb, nb, pl, nl = (_zeros() for _ in range(6))
    for key, (n, s1, s2, h) in hist.items():
        b = int(key)
        pos[b] += s1
        neg[b] += n - s1
        # E[(s − y)²] = s(1 − s) and E[log loss] = entropy(s) for y ~ Bernoulli(s); split by
        # outcome in proportion, which is all that sums over outcomes need.
        share = s1 / n if n else 0.0
        pb[b] += (s1 - s2) * share
        nb[b] += (s1 - s2) * (1 - share)
        pl[b] += h * share
        nl[b] += h * (1 - share)
    return Cells(pos, neg, pb, nb, pl, nl)


def cells_from_scores(y: np.ndarray, scores: np.ndarray) -> Cells:
    """Cells of outcomes ``y`` (0/1) and ``scores`` row by row (the test set)."""
    y = np.asarray(y, np.int64)
    s = np.asarray(scores, np.float64)
    bins = np.clip(np.floor(s * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1)
    p = np.clip(s, 1e-15, 1 - 1e-15)

    def per_bin(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(bins[mask], weights=values[mask], minlength=SCORE_BINS)

    one, zero = y == 1, y == 0
    ones = np.ones_like(s)
    return Cells(per_bin(one, ones), per_bin(zero, ones), per_bin(one, (1 - s) ** 2), per_bin(zero, s**2),
                 per_bin(one, -np.log(p)), per_bin(zero, -np.log(1 - p)))


def _metrics(pos: np.ndarray, neg: np.ndarray, brier: np.ndarray, loss: np.ndarray,
             threshold_bin: int) -> dict[str, np.ndarray]:
    """Metrics for each row of ``pos``/``neg`` (resamples × bins); ``brier``/``loss`` are totals."""
    total = pos.sum(axis=1) + neg.sum(axis=1)
    tp = pos[:, threshold_bin:].sum(axis=1)
    fp = neg[:, threshold_bin:].sum(axis=1)
    fn = pos[:, :threshold_bin].sum(axis=1)
    tn = neg[:, :threshold_bin].sum(axis=1)
    p_all, n_all = pos.sum(axis=1), neg.sum(axis=1)
    neg_below = np.cumsum(neg, axis=1) - neg
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (pos * (neg_below + 0.5 * neg)).sum(axis=1) / (p_all * n_all)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        return {"roc_auc": auc, "accuracy": (tp + tn) / total, "precision": precision, "recall": recall, "f1": f1,
                "log_loss": loss / total, "brier": brier / total}


def _threshold_bin(threshold: float) -> int:
    return int(min(max(round(threshold * SCORE_BINS), 0), SCORE_BINS))


def binned_metrics(cells: Cells, threshold: float = 0.5) -> dict[str, float]:
    """Every classification metric of test validation, from cells."""
    result = _metrics(cells.pos[None, :], cells.neg[None, :], np.array([cells.pos_brier.sum() + cells.neg_brier.sum()]),
                      np.array([cells.pos_loss.sum() + cells.neg_loss.sum()]), _threshold_bin(threshold))
    return {k: float(v[0]) for k, v in result.items()}


def metric_interval(cells: Cells, threshold: float = 0.5, *, resamples: int = BOOTSTRAP_RESAMPLES,
                    seed: int = 0) -> dict[str, tuple[float, float]]:
    """95% interval of each metric: a Poisson bootstrap of the rows, drawn per cell."""
    rng = np.random.default_rng(seed)
    pos = rng.poisson(cells.pos, size=(resamples, SCORE_BINS)).astype(np.float64)
    neg = rng.poisson(cells.neg, size=(resamples, SCORE_BINS)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = {name: np.where(count > 0, total / np.where(count > 0, count, 1), 0.0) for name, (total, count) in {
            "pb": (cells.pos_brier, cells.pos), "nb": (cells.neg_brier, cells.neg),
            "pl": (cells.pos_loss, cells.pos), "nl": (cells.neg_loss, cells.neg)}.items()}
    brier = pos @ mean["pb"] + neg @ mean["nb"]
    loss = pos @ mean["pl"] + neg @ mean["nl"]
    return _percentiles(_metrics(pos, neg, brier, loss, _threshold_bin(threshold)))


def expected_interval(hist: dict[str, list[float]], threshold: float = 0.5, *, resamples: int = BOOTSTRAP_RESAMPLES,
                      seed: int = 0) -> dict[str, tuple[float, float]]:
    """Where the realised figure should fall (95%) if the estimate's assumption holds: outcomes
    drawn from the scores, bin by bin."""
    n, s1, s2, h = (np.zeros(SCORE_BINS) for _ in range(4))
    for key, (count, a, b, c) in hist.items():
        i = int(key)
        n[i], s1[i], s2[i], h[i] = count, a, b, c
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, s1 / np.where(n > 0, n, 1), 0.0)
        sq = np.where(n > 0, s2 / np.where(n > 0, n, 1), 0.0)
    rng = np.random.default_rng(seed)
    pos = rng.binomial(n.astype(np.int64), np.clip(rate, 0, 1), size=(resamples, SCORE_BINS)).astype(np.float64)
    neg = n - pos
    p = np.clip(rate, 1e-15, 1 - 1e-15)
    brier = pos @ (1 - 2 * rate + sq) + neg @ sq
    loss = pos @ -np.log(p) + neg @ -np.log(1 - p)
    return _percentiles(_metrics(pos, neg, brier, loss, _threshold_bin(threshold)))


def _percentiles(values: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    result = {}
    for name, series in values.items():
        finite = series[np.isfinite(series)]
        low, high = np.percentile(finite, [2.5, 97.5]) if len(finite) else (np.nan, np.nan)
        result[name] = (float(low), float(high))
    return result


def calibration_check(y: np.ndarray, scores: np.ndarray, threshold: float = 0.5, *, resamples: int = 200,
                      seed: int = 0) -> dict[str, Any]:
    """Is the model calibrated on its test set, so that estimates from its scores can be trusted?

    The expected calibration error (ECE, ten equal-width bins) is compared with what a perfectly
    calibrated model would show on a test set of this size (95th percentile of outcomes drawn
    from the scores): the assumption fails when the ECE is both beyond chance and above
    :data:`ECE_LIMIT`. The CBPE estimate on the test set is set beside the realised figures too.
    """
    y = np.asarray(y, np.float64)
    s = np.asarray(scores, np.float64)
    bins = np.clip((s * 10).astype(np.int64), 0, 9)

    def ece(outcomes: np.ndarray) -> np.ndarray:
        counts = np.bincount(bins, minlength=10)
        gaps = np.zeros(outcomes.shape[0])
        for b in np.flatnonzero(counts):
            mask = bins == b
            gaps += np.abs(outcomes[:, mask].mean(axis=1) - s[mask].mean()) * counts[b]
        return gaps / len(s)

    observed = float(ece(y[None, :])[0])
    rng = np.random.default_rng(seed)
    chance = float(np.percentile(ece((rng.random((resamples, len(s))) < s).astype(np.float64)), 95))
    realised = binned_metrics(cells_from_scores(y, s), threshold)
    hist: dict[str, list[float]] = {}
    for b, value in zip(np.clip(np.floor(s * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1), s, strict=True):
        cell = hist.setdefault(str(int(b)), [0, 0.0, 0.0, 0.0])
        p = min(max(value, 1e-15), 1 - 1e-15)
        cell[0] += 1
        cell[1] += value
        cell[2] += value * value
        cell[3] += -(p * np.log(p) + (1 - p) * np.log(1 - p))
    estimated = binned_metrics(expected_cells(hist), threshold)
    holds = not (observed > chance and observed > ECE_LIMIT)
    if holds:
        reason = (f"The scores are calibrated on the test set (calibration error {observed:.3f}; a perfectly "
                  f"calibrated model would show up to {chance:.3f} on {len(s):,} rows by chance).")
    else:
        reason = (f"The scores are not calibrated on the test set (calibration error {observed:.3f}, beyond the "
                  f"{max(chance, ECE_LIMIT):.3f} a calibrated model would show): estimates from the scores would be "
                  "biased, so none are given. Realised figures still come once outcomes arrive.")
    return {"ece": observed, "ece_chance": chance, "ece_limit": ECE_LIMIT, "holds": holds, "reason": reason,
            "test_rows": int(len(s)), "estimated_on_test": estimated, "realised_on_test": realised}


def regression_metrics(errors: list[float]) -> dict[str, dict[str, float | None]]:
    """RMSE, MAE and R² with normal-approximation 95% intervals, from ``[n, Σe², Σ|e|, Σe⁴, Σy, Σy²]``."""
    n, se2, sabs, se4, sy, sy2 = errors
    if n < 2:
        return {}
    mse, mae = se2 / n, sabs / n
    var_sq = max(se4 / n - mse**2, 0.0)
    var_abs = max(mse - mae**2, 0.0)
    mse_low, mse_high = max(mse - 1.96 * np.sqrt(var_sq / n), 0.0), mse + 1.96 * np.sqrt(var_sq / n)
    ss_tot = sy2 - sy**2 / n
    r2 = 1 - se2 / ss_tot if ss_tot > 0 else None
    return {"rmse": {"value": float(np.sqrt(mse)), "low": float(np.sqrt(mse_low)), "high": float(np.sqrt(mse_high))},
            "mae": {"value": float(mae), "low": float(mae - 1.96 * np.sqrt(var_abs / n)),
                    "high": float(mae + 1.96 * np.sqrt(var_abs / n))},
            "r2": {"value": r2, "low": None, "high": None}}
