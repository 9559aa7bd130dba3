"""A request's rows, checked against the version's input schema and typed as in training.

Numbers become float64 (JSON numbers, true/false, or text that reads as a number; null or ""
is a missing value); categories become trimmed text (null is missing). Anything else is a
problem that names the row and the feature, answered with 422 before any model runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backend.errors import InvalidData

__all__ = ["InputProblem", "InvalidInput", "TypedRows", "check_rows"]

#: At most this many problems are listed in one answer.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class InputProblem:
    row: int
    feature: str
    message: str
    kind: str  # missing | type


class InvalidInput(InvalidData):
    """Rows that do not fit the version's input schema; ``problems`` names each field."""

    def __init__(self, problems: list[InputProblem]):
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        super().__init__(f"Row {first.row}, feature '{first.feature}': {first.message}{more}.", code="invalid_input")
        self.problems = problems


def _json_kind(value: Any) -> str:
    return {dict: "a JSON object", list: "a JSON array"}.get(type(value), type(value).__name__)


def _number(value: Any) -> float | str:
    """The value as a float (NaN for missing), or why it is not a number."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return math.nan
        try:
            number = float(text)
        except ValueError:
            return f"expects a number, got the text {value[:40]!r}"
    else:
        return f"expects a number, got {_json_kind(value)}"
    if math.isinf(number):
        return "expects a finite number"
    return number


def _category(value: Any) -> str | float | None:
    if value is None:
        return math.nan
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    return None  # a JSON object or array


@dataclass
class TypedRows:
    """Rows typed by the schema: columns for the model, inputs for the prediction log."""

    schema: dict[str, str]
    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def frame(self) -> pd.DataFrame:
        """Exactly what :func:`backend.registry.schema.apply_schema` gives for the same values."""
        data = {name: (np.asarray(values, dtype=np.float64) if self.schema[name] == "number"
                       else pd.Series(values, dtype=object))
                for name, values in self.columns.items()}
        return pd.DataFrame(data)

    def matrix(self) -> np.ndarray:
        """All-number rows as one float64 array, columns in schema order."""
        return np.array([self.columns[name] for name in self.schema], dtype=np.float64).T

    def log_inputs(self, index: int) -> dict[str, Any]:
        """Row ``index`` as the prediction log stores it (``input:<feature>``, nulls for missing)."""
        out = {}
        for name, values in self.columns.items():
            value = values[index]
            out[f"input:{name}"] = None if isinstance(value, float) and math.isnan(value) else value
        return out


def check_rows(rows: list[dict[str, Any]], schema: dict[str, str]) -> TypedRows:
    """Type ``rows`` by ``schema`` ({feature: "number" | "category"}); raise :class:`InvalidInput`.

    Features the schema does not name are ignored, as in training.
    """
    problems: list[InputProblem] = []
    columns: dict[str, list[Any]] = {name: [] for name in schema}
    for index, row in enumerate(rows):
        for name, kind in schema.items():
            if name not in row:
                problems.append(InputProblem(index, name, "is missing; the model needs it (send null for an unknown "
                                                          "value)", "missing"))
                continue
            if kind == "number":
                value = _number(row[name])
                if isinstance(value, str):
                    problems.append(InputProblem(index, name, value, "type"))
                    continue
            else:
                value = _category(row[name])
                if value is None:
                    problems.append(InputProblem(index, name, f"expects a category (text), got {_json_kind(row[name])}",
                                                 "type"))
                    continue
            columns[name].append(value)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])
    return TypedRows(schema=schema, columns=columns)
