"""Typing the columns of a data file, once, against the schema.

Every Arrow type is handled on purpose:

- whole and decimal numbers, true/false, and columns with no value at all are numbers (float64);
- dates and timestamps become numbers: days since 1970-01-01 (UTC), with the time of day as a
  fraction; the schema records them as ``date`` so serving converts a date the same way;
- text is a category (Python strings with surrounding spaces removed, NaN for missing) unless it
  holds numbers: in a CSV file a text column of numbers is numbers (everything in a CSV is text),
  a few odd values among numbers are refused naming one and its line, and in a typed file
  (Parquet) numbers stored as text are refused naming the column and an example;
- bytes, lists, structures, maps, times of day and durations are refused, naming the column.

Columns are converted one at a time from the Arrow table and released as they go, so building
the frame needs little more memory than the frame itself. Text columns are converted through
their distinct values, so each distinct string is one Python object however often it occurs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from backend.errors import InvalidData
from backend.pipeline.data._read import NA_VALUES, DataFile
from backend.registry.schema import CATEGORY, DATE, NUMBER, as_category, as_days, check_numeric

__all__ = ["infer_schema", "typed_frame", "plain_frame", "typed_column", "column_kind", "frame_of", "NUMERIC_SHARE"]

#: A text column whose values are at least this share numbers is a numeric column with typos.
NUMERIC_SHARE = 0.9
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
_NA = frozenset(NA_VALUES)
_SECONDS_PER_UNIT = {"s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _is_number_type(kind: pa.DataType) -> bool:
    return (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind) or pa.types.is_null(kind))


def _is_text_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def _is_date_type(kind: pa.DataType) -> bool:
    return pa.types.is_date(kind) or pa.types.is_timestamp(kind)


def _refused(kind: pa.DataType, name: str, data: DataFile) -> InvalidData | None:
    """Why a column of this Arrow type cannot be a feature, or None when it can."""
    where = f"Column '{name}' in the {data.label} ({data.shown})"
    if (pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind)
            or pa.types.is_binary_view(kind)):
        if data.text:
            return InvalidData(f"{where} is not UTF-8 text.")
        return InvalidData(f"{where} holds bytes ({kind}); store text or numbers, or leave it out with [data].drop.")
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
            or pa.types.is_list_view(kind) or pa.types.is_large_list_view(kind)):
        return InvalidData(f"{where} holds lists ({kind}); give each value its own column, or leave it out with "
                           "[data].drop.")
    if pa.types.is_struct(kind) or pa.types.is_map(kind) or pa.types.is_union(kind):
        return InvalidData(f"{where} holds structured values ({kind}); give each part its own column, or leave it "
                           "out with [data].drop.")
    if pa.types.is_time(kind):
        return InvalidData(f"{where} holds times of day ({kind}); store them as a number, such as minutes since "
                           "midnight.")
    if pa.types.is_duration(kind) or pa.types.is_interval(kind):
        return InvalidData(f"{where} holds durations ({kind}); store them as a number, such as seconds.")
    if not (_is_number_type(kind) or _is_text_type(kind) or _is_date_type(kind)):
        return InvalidData(f"{where} has a type Greenlight does not handle ({kind}); store text, numbers or dates.")
    return None


class _Text:
    """A text column as codes into its distinct values (spaces stripped, missing as NaN)."""

    def __init__(self, column: pa.ChunkedArray, data: DataFile):
        distinct = pc.unique(column)
        # Missing values find the null among the distinct values; -1 is only a safety net.
        self.codes = pc.fill_null(pc.index_in(column, value_set=distinct), -1).to_numpy()
        values = [None if v is None else v.strip() for v in distinct.to_pylist()]
        if data.text:  # a CSV cell like " ? " means missing too
            values = [None if v is None or v in _NA else v for v in values]
        self.values = values

    def objects(self) -> np.ndarray:
        lookup = np.empty(len(self.values) + 1, dtype=object)
        lookup[:-1] = [np.nan if v is None else v for v in self.values]
        lookup[-1] = np.nan
        return lookup[self.codes]

    def numbers(self) -> tuple[np.ndarray, list[int]]:
        """The values as float64, and the codes of values that are not numbers."""
        lookup = np.full(len(self.values) + 1, np.nan)
        bad = []
        for code, value in enumerate(self.values):
            if value is None:
                continue
            if _NUMBER_TEXT.match(value):
                lookup[code] = float(value)
            else:
                bad.append(code)
        return lookup[self.codes], bad

    def first(self, codes: Iterable[int]) -> tuple[int, int]:
        """The row where one of ``codes`` first occurs, and how many rows hold any of them."""
        hits = np.isin(self.codes, list(codes))
        return int(np.flatnonzero(hits)[0]), int(hits.sum())


def _text_in_numbers(text: _Text, bad: list[int], name: str, data: DataFile) -> InvalidData:
    row, count = text.first(bad)
    return InvalidData(f"Column '{name}' in the {data.label} holds text where numbers are expected: "
                       f"{text.values[text.codes[row]]!r} {data.place(row)} ({count} such value{'s' if count > 1 else ''}).")


def column_kind(column: pa.ChunkedArray, name: str, data: DataFile) -> str:
    """``number``, ``date`` or ``category`` for a feature column, or :class:`InvalidData` naming it."""
    kind = _decoded(column).type
    refusal = _refused(kind, name, data)
    if refusal is not None:
        raise refusal
    if _is_number_type(kind):
        return NUMBER
    if _is_date_type(kind):
        return DATE
    text = _Text(_decoded(column), data)
    counts = np.bincount(text.codes[text.codes >= 0], minlength=len(text.values))
    numeric = np.array([v is not None and bool(_NUMBER_TEXT.match(v)) for v in text.values], dtype=bool)
    present = np.array([v is not None for v in text.values], dtype=bool)
    total = int(counts[present].sum())
    if total == 0:
        return NUMBER  # no value at all, like an empty column of any type
    if counts[numeric].sum() < NUMERIC_SHARE * total:
        return CATEGORY
    bad = [code for code in range(len(text.values)) if present[code] and not numeric[code]]
    if bad:
        raise _text_in_numbers(text, bad, name, data)
    if data.text:
        return NUMBER
    row, _ = text.first(np.flatnonzero(numeric))
    raise InvalidData(f"Column '{name}' in the {data.label} holds numbers stored as text, for example "
                      f"{text.values[text.codes[row]]!r} {data.place(row)}; store them as numbers, or leave the column "
                      "out with [data].drop.")


def _days(column: pa.ChunkedArray) -> np.ndarray:
    """Dates and timestamps as days since 1970-01-01 UTC (time of day as a fraction), NaN for missing."""
    kind = column.type
    if pa.types.is_date(kind):
        return pc.cast(column.cast(pa.date32()).cast(pa.int32()), pa.float64()).to_numpy(zero_copy_only=False)
    seconds = _SECONDS_PER_UNIT[kind.unit]
    ticks = pc.cast(column.cast(pa.timestamp(kind.unit)), pa.int64())
    return pc.cast(ticks, pa.float64()).to_numpy(zero_copy_only=False) * (seconds / 86_400)


def typed_column(column: pa.ChunkedArray, kind: str, name: str, data: DataFile) -> np.ndarray:
    """One column as the schema says: float64 for numbers and dates, Python strings for categories."""
    column = _decoded(column)
    arrow = column.type
    refusal = _refused(arrow, name, data)
    if refusal is not None:
        raise refusal
    if kind == NUMBER and _is_number_type(arrow):
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    if kind == NUMBER and _is_text_type(arrow):
        values, bad = _Text(column, data).numbers()
        if bad:
            raise _text_in_numbers(_Text(column, data), bad, name, data)
        return values
    if kind == CATEGORY and _is_text_type(arrow):
        return _Text(column, data).objects()
    if kind == DATE and _is_date_type(arrow):
        return _days(column)
    # The file disagrees with the schema (say, numbers where the training data had text): convert
    # the way serving does, so the test data sees exactly what production would.
    series = pd.Series(column.to_pandas(), name=name)
    if kind == NUMBER:
        return check_numeric(series, name, data.label).to_numpy()
    if kind == DATE:
        return as_days(series, name, data.label).to_numpy()
    return as_category(series).to_numpy()


def frame_of(columns: dict[str, np.ndarray | pd.Series]) -> pd.DataFrame:
    """A frame over these arrays without copying them: one block per column, and text kept as
    Python objects (pandas would otherwise turn an object array of strings into its own string type)."""
    return pd.DataFrame({name: pd.Series(values, dtype=object if values.dtype == object else None, copy=False)
                         for name, values in columns.items()}, copy=False)


def infer_schema(data: DataFile, columns: list[str]) -> dict[str, str]:
    """``number``, ``date`` or ``category`` for each of ``columns``, in order; refusals name the column."""
    return {name: column_kind(data.table.column(name), name, data) for name in columns}


def typed_frame(data: DataFile, schema: dict[str, str], *, consume: bool = False) -> pd.DataFrame:
    """The columns of ``schema`` in order, typed as recorded; a missing column is an error.

    With ``consume``, each column leaves ``data.table`` once converted and its Arrow memory goes
    back to the system, so the file as read and the typed frame are never both whole in memory.
    """
    missing = [c for c in schema if c not in data.table.column_names]
    if missing:
        raise InvalidData(f"The {data.label} lacks column{'s' if len(missing) > 1 else ''} the model needs: "
                          + ", ".join(repr(c) for c in missing))
    columns = {}
    for name, kind in schema.items():
        columns[name] = typed_column(data.table.column(name), kind, name, data)
        if consume:
            data.table = data.table.drop_columns([name])
            pa.default_memory_pool().release_unused()
    return frame_of(columns)


def plain_frame(data: DataFile, columns: list[str] | None = None) -> pd.DataFrame:
    """Columns as read (text cleaned like categories, numbers and dates as they are), for the
    sensitive columns and for scoring with another version's schema."""
    out = {}
    for name in columns if columns is not None else data.table.column_names:
        column = _decoded(data.table.column(name))
        if _is_text_type(column.type):
            out[name] = _Text(column, data).objects()
        else:
            out[name] = column.to_pandas()
    return frame_of(out)
