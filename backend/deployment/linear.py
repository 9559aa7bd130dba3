"""Linear models scored with a few array operations instead of scikit-learn's checks.

scikit-learn validates its input on every call (dtypes, feature names, finiteness), which
costs far more than a linear model's arithmetic on one row. For a pipeline of
``StandardScaler`` steps ending in a binary ``LogisticRegression`` or a linear regressor —
optionally behind a ``ColumnTransformer`` of one-hot encoders, scalers and passthroughs, the
usual shape of a tabular logistic regression — the same operations give the same scores; the
gateway uses this only after it gave the stored model's scores on the version's sample rows
(see :mod:`backend.deployment.served`), and sends rows with a missing value to the stored model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = ["compile_linear", "compile_tabular"]

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


def _one_hot(encoder: OneHotEncoder) -> list[dict[str, int]] | None:
    """Per input column, category -> output position; None for settings this does not reproduce."""
    if encoder.drop is not None or encoder.handle_unknown != "ignore":
        return None
    if any(c is not None for c in (getattr(encoder, "infrequent_categories_", None) or [])):
        return None
    positions = []
    for categories in encoder.categories_:
        if any(not isinstance(c, str) for c in categories):  # a missing-value category, or numbers
            return None
        positions.append({c: i for i, c in enumerate(categories)})
    return positions


def compile_tabular(estimator: Any, task: str, schema: dict[str, str]) -> Callable[[dict[str, list]], np.ndarray | None] | None:
    """For ``Pipeline([ColumnTransformer, (StandardScaler…), linear model])``: a function from typed
    columns ({feature: values}) to scores, or None when the pipeline has another shape.

    The function returns None for rows it leaves to the stored model (a missing value)."""
    if not isinstance(estimator, Pipeline) or type(estimator.steps[0][1]) is not ColumnTransformer:
        return None
    columns = estimator.steps[0][1]
    parts: list[tuple[str, list[str], Any]] = []  # (kind, input columns, parameters)
    for _name, transformer, selected in columns.transformers_:
        if transformer == "drop" or (hasattr(selected, "__len__") and len(selected) == 0):
            continue
        names = [columns.feature_names_in_[c] if isinstance(c, int | np.integer) else c for c in selected]
        if any(n not in schema for n in names):
            return None
        if transformer == "passthrough":
            parts.append(("number", names, (None, None)))
        elif type(transformer) is StandardScaler:
            parts.append(("number", names, _scaling(transformer)))
        elif type(transformer) is OneHotEncoder and (positions := _one_hot(transformer)) is not None:
            parts.append(("category", names, positions))
        else:
            return None
        if parts[-1][0] == "number" and any(schema[n] != "number" for n in names):
            return None
    rest = compile_linear(Pipeline(estimator.steps[1:]) if len(estimator.steps) > 2 else estimator.steps[-1][1], task)
    if rest is None:
        return None

    def score(typed: dict[str, list]) -> np.ndarray | None:
        blocks = []
        for kind, names, params in parts:
            if kind == "number":
                block = np.array([typed[n] for n in names], dtype=np.float64).T
                if not np.isfinite(block).all():
                    return None
                mean, scale = params
                if mean is not None:
                    block -= mean
                if scale is not None:
                    block /= scale
                blocks.append(block)
            else:
                for name, positions in zip(names, params, strict=True):
                    values = typed[name]
                    block = np.zeros((len(values), len(positions)))
                    for row, value in enumerate(values):
                        if not isinstance(value, str):
                            return None
                        where = positions.get(value)
                        if where is not None:
                            block[row, where] = 1.0
                    blocks.append(block)
        return rest(np.hstack(blocks))

    return score
