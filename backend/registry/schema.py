"""A version's input schema, applied the same way when it trains and when it serves.

Features come in three kinds: numbers (float64), categories (Python strings, NaN for missing)
and dates, which the model sees as numbers: days since 1970-01-01 UTC, the time of day as a
fraction. The schema is recorded with the version at build time; every later use of the model
(smoke checks, test validation, the gateway) types its input with it, so training and serving
never see different types. Typing is idempotent: a frame typed once passes through unchanged,
and a date column also accepts the number of days it was turned into.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backend.errors import InvalidData

__all__ = ["apply_schema", "check_numeric", "as_category", "as_days", "NUMBER", "CATEGORY", "DATE", "KINDS"]

NUMBER, CATEGORY, DATE = "number", "category", "date"
KINDS = (NUMBER, CATEGORY, DATE)
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def as_category(column: pd.Series) -> pd.Series:
    values = column.astype(object)
    return values.where(column.isna(), values.map(lambda v: str(v).strip())).astype(object)


def _first_bad(column: pd.Series, bad: pd.Series, name: str, label: str, expected: str) -> InvalidData:
    position = int(np.flatnonzero(bad.to_numpy())[0])
    return InvalidData(
        f"Column '{name}' in the {label} holds text where {expected} are expected: "
        f"{column.iloc[position]!r} on line {position + 2} ({int(bad.sum())} such value"
        f"{'s' if bad.sum() > 1 else ''})."
    )


def check_numeric(column: pd.Series, name: str, label: str) -> pd.Series:
    """Numbers as float64, or an error naming the first text value and its line."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna()
    if bad.any():
        raise _first_bad(column, bad, name, label, "numbers")
    return converted.astype("float64")


def as_days(column: pd.Series, name: str, label: str) -> pd.Series:
    """Dates as float64 days since 1970-01-01 UTC; naive times count as UTC.

    Accepts datetimes, ISO-8601 text (``2024-05-01``, ``2024-05-01T13:30:00+02:00``) and numbers
    (already days); anything else is an error naming the value and its line.
    """
    if pd.api.types.is_bool_dtype(column):
        raise InvalidData(f"Column '{name}' in the {label} holds true/false values where dates are expected.")
    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        stamps = column.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(column):
        stamps = column.dt.tz_localize("UTC")
    else:
        present = column.notna()
        numbers = pd.to_numeric(column.where(present), errors="coerce")
        stamps = pd.to_datetime(column.where(numbers.isna()), errors="coerce", utc=True, format="ISO8601")
        bad = stamps.isna() & numbers.isna() & present
        if bad.any():
            raise _first_bad(column, bad, name, label, "dates")
        days = (stamps - _EPOCH) / pd.Timedelta(days=1)
        return days.where(numbers.isna(), numbers).astype("float64")
    return ((stamps - _EPOCH) / pd.Timedelta(days=1)).astype("float64")


def apply_schema(frame: pd.DataFrame, schema: dict[str, str], label: str) -> pd.DataFrame:
    """Columns of ``schema`` in order, typed as recorded; missing columns are an error."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise InvalidData(f"The {label} lacks column{'s' if len(missing) > 1 else ''} the model needs: "
                          + ", ".join(repr(c) for c in missing))
    out = {}
    for name, kind in schema.items():
        if kind == NUMBER:
            out[name] = check_numeric(frame[name], name, label)
        elif kind == DATE:
            out[name] = as_days(frame[name], name, label)
        else:
            out[name] = as_category(frame[name])
    return pd.DataFrame(out, index=frame.index)
