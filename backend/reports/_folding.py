"""Which original feature each column of the transformed matrix comes from.

SHAP explains the final estimator on the matrix its preprocessing produces, where one
category of ``workclass`` is a column of its own. To report on the features people know, each
transformed column is traced back through the *fitted* preprocessing — the ColumnTransformer's
output slices, each OneHotEncoder's categories — never by parsing column names, which breaks
as soon as a feature name contains an underscore.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

__all__ = ["column_owners", "folding_matrix"]

Owners = list[tuple[str, ...]]  # for each column, the original feature(s) it is made from


def _width(step: Any, X: Any) -> tuple[int, Any]:
    out = step.transform(X)
    return out.shape[1], out


def _select(X: Any, indices: list[int]) -> Any:
    return X.iloc[:, indices] if isinstance(X, pd.DataFrame) else X[:, indices]


def _input_indices(ct: ColumnTransformer, name: str, transformer: Any, columns: Any, n_in: int) -> list[int]:
    names_in = list(getattr(ct, "feature_names_in_", []))
    fitted_names = getattr(transformer, "feature_names_in_", None)
    if fitted_names is not None and names_in and all(n in names_in for n in fitted_names):
        return [names_in.index(n) for n in fitted_names]
    if isinstance(columns, str | int):
        columns = [columns]
    if isinstance(columns, slice):
        return list(range(n_in))[columns]
    if isinstance(columns, list | tuple | np.ndarray | pd.Index):
        values = list(columns)
        if values and all(isinstance(v, bool | np.bool_) for v in values):
            return [i for i, keep in enumerate(values) if keep]
        if all(isinstance(v, int | np.integer) for v in values):
            return [int(v) for v in values]
        if names_in and all(v in names_in for v in values):
            return [names_in.index(v) for v in values]
    # A callable selector fitted on arrays: scikit-learn keeps the resolved indices here.
    resolved = getattr(ct, "_transformer_to_input_indices", {}).get(name)
    if resolved is None:
        raise ValueError(f"cannot tell which columns the '{name}' step of the ColumnTransformer uses")
    return list(resolved)


def _one_hot_widths(encoder: OneHotEncoder) -> list[int]:
    """Output columns per input feature, from the fitted categories, dropped and infrequent ones."""
    infrequent = getattr(encoder, "infrequent_categories_", None) or [None] * len(encoder.categories_)
    drop = getattr(encoder, "drop_idx_", None)
    widths = []
    for i, categories in enumerate(encoder.categories_):
        width = len(categories)
        if infrequent[i] is not None:
            width -= len(infrequent[i]) - 1  # the infrequent ones share one column
        if drop is not None and drop[i] is not None:
            width -= 1
        widths.append(width)
    return widths


def _owners(step: Any, owners: Owners, X: Any, width: int) -> Owners:
    """Owners of ``step``'s output columns, given the owners of its input columns."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return owners
    if isinstance(step, Pipeline):
        for _, inner in step.steps:
            if inner is None or inner == "passthrough":
                continue
            inner_width, out = _width(inner, X)
            owners, X = _owners(inner, owners, X, inner_width), out
        return owners
    if isinstance(step, ColumnTransformer):
        result: list[tuple[str, ...] | None] = [None] * width
        for name, transformer, columns in step.transformers_:
            block = step.output_indices_.get(name, slice(0, 0))
            if transformer == "drop" or block.stop == block.start:
                continue
            indices = _input_indices(step, name, transformer, columns, len(owners))
            inner = _owners(transformer, [owners[i] for i in indices], _select(X, indices), block.stop - block.start)
            result[block] = inner
        if any(r is None for r in result):
            raise ValueError("some columns of the ColumnTransformer's output could not be traced")
        return result  # type: ignore[return-value]
    if isinstance(step, OneHotEncoder):
        widths = _one_hot_widths(step)
        if sum(widths) == width and len(widths) == len(owners):
            return [owner for owner, w in zip(owners, widths, strict=True) for _ in range(w)]
    elif hasattr(step, "get_support"):  # feature selectors keep a subset of their inputs
        kept = [owners[i] for i in np.flatnonzero(step.get_support())]
        if len(kept) == width:
            return kept
    elif width == len(owners):  # scalers, imputers, passthrough: one column in, one out
        return owners
    if len(set(owners)) == 1:
        return [owners[0]] * width
    # Mixes its inputs (PCA, polynomial features…): credit the whole group together.
    combined = tuple(sorted({name for owner in owners for name in owner}))
    return [combined] * width


def column_owners(preprocess: Any, X: pd.DataFrame, width: int) -> Owners:
    """For each column of ``preprocess.transform(X)``, the original feature(s) it comes from.

    Parameters
    ----------
    preprocess : estimator or None
        The fitted steps before the final estimator (``pipeline[:-1]``); None when the model
        takes the features as they are.
    X : pandas.DataFrame
        A few input rows with the original columns (used to follow nested pipelines).
    width : int
        How many columns the transformed matrix has.
    """
    owners: Owners = [(str(c),) for c in X.columns]
    if preprocess is None:
        return owners
    return _owners(preprocess, owners, X, width)


def folding_matrix(owners: Owners) -> tuple[list[str], np.ndarray]:
    """Feature names and the 0/1 matrix (columns × features) that sums columns per feature."""
    names = list(dict.fromkeys(" + ".join(owner) for owner in owners))
    position = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(owners), len(names)))
    for column, owner in enumerate(owners):
        matrix[column, position[" + ".join(owner)]] = 1.0
    return names, matrix
