"""A version's input schema, applied the same way when it trains and when it serves.

Features come in two kinds only: numbers (float64) and categories (Python strings, NaN for
missing). The schema is recorded with the version at build time; every later use of the model
(smoke checks, test validation, the gateway) types its input with it, so training and serving
never see different types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backend.errors import InvalidData

__all__ = ["apply_schema", "check_numeric", "as_category"]


def as_category(column: pd.Series) -> pd.Series:
    values = column.astype(object)
    return values.where(column.isna(), values.map(lambda v: str(v).strip())).astype(object)


def check_numeric(column: pd.Series, name: str, label: str) -> pd.Series:
    """Numbers as float64, or an error naming the first text value and its line."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidData(
            f"Column '{name}' in the {label} holds text where numbers are expected: "
            f"{column.iloc[position]!r} on line {position + 2} ({int(bad.sum())} such value"
            f"{'s' if bad.sum() > 1 else ''})."
        )
    return converted.astype("float64")


def apply_schema(frame: pd.DataFrame, schema: dict[str, str], label: str) -> pd.DataFrame:
    """Columns of ``schema`` in order, typed as recorded; missing columns are an error."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise InvalidData(f"The {label} lacks column{'s' if len(missing) > 1 else ''} the model needs: "
                          + ", ".join(repr(c) for c in missing))
    out = {}
    for name, kind in schema.items():
        out[name] = check_numeric(frame[name], name, label) if kind == "number" else as_category(frame[name])
    return pd.DataFrame(out, index=frame.index)
