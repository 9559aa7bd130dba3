"""Linear models scored with a few array operations instead of scikit-learn's checks.

scikit-learn validates its input on every call (dtypes, feature names, finiteness), which
costs far more than a linear model's arithmetic on one row. For a pipeline of
``StandardScaler`` steps ending in a binary ``LogisticRegression`` or a linear regressor, the
same operations in the same order give the same scores; the gateway uses this only after it
gave the stored model's scores on the version's sample rows (see :mod:`backend.deployment.served`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["compile_linear"]

_REGRESSORS = (LinearRegression, Ridge, Lasso, ElasticNet)


def _scaling(step: Any) -> tuple[np.ndarray | None, np.ndarray | None] | None:
    if step is None or step == "passthrough":
        return (None, None)
    if type(step) is StandardScaler:
        return (step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None)
    return None


def compile_linear(estimator: Any, task: str) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function from a float64 matrix (columns in schema order) to scores, or None when the
    estimator is not a plain linear pipeline."""
    steps = [step for _, step in estimator.steps] if isinstance(estimator, Pipeline) else [estimator]
    scalings = [_scaling(step) for step in steps[:-1]]
    if any(s is None for s in scalings):
        return None
    final = steps[-1]
    if task == "classification":
        if type(final) is not LogisticRegression or final.coef_.shape[0] != 1 or len(final.classes_) != 2:
            return None
    elif type(final) not in _REGRESSORS or np.ndim(final.coef_) != 1:
        return None
    coef_t = np.asarray(final.coef_, dtype=np.float64).T
    intercept = np.asarray(final.intercept_, dtype=np.float64)
    if task == "classification":
        intercept = intercept.reshape(1, -1)

    def score(X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=np.float64)  # a copy, scaled in place as StandardScaler does
        for mean, scale in scalings:
            if mean is not None:
                X -= mean
            if scale is not None:
                X /= scale
        if task == "classification":
            return expit((X @ coef_t + intercept).reshape(-1))
        return X @ coef_t + intercept

    return score
