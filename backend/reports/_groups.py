"""Sensitive features as groups of people.

A column with a few values gives one group per value. A numeric column with many values (age,
say) is cut into a handful of readable bands with round edges ("25–29"), merging bands too
small to judge. Missing values form a group of their own, with a warning, rather than being
dropped: the people whose data is incomplete are often the ones a model serves worst.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backend.errors import InvalidData

__all__ = ["Band", "SensitiveGroups", "sensitive_groups", "intersect_groups", "MISSING_GROUP", "band_edges",
           "assign_bands", "format_number"]

MISSING_GROUP = "(missing)"
#: A numeric column with at most this many distinct values keeps one group per value.
MAX_VALUES_AS_CATEGORIES = 12
#: Bands aimed for before small ones are merged.
TARGET_BANDS = 5
INTERSECTION_SEPARATOR = " · "


@dataclass(frozen=True)
class Band:
    """A band of a numeric feature: ``low <= value < high`` (None: open-ended)."""

    label: str
    low: float | None
    high: float | None


@dataclass
class SensitiveGroups:
    """Each row's group (``codes`` indexes ``names``) for one sensitive feature or intersection."""

    feature: str
    kind: str  # category | banded | intersection
    codes: np.ndarray
    names: list[str]
    bands: list[Band] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: tuple[str, ...] = ()

    @property
    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.names))

    def labels(self) -> np.ndarray:
        """The group name of every row (object array)."""
        return np.asarray(self.names, dtype=object)[self.codes]


def format_number(value: float) -> str:
    """12 → '12', 12.5 → '12.5', 12345 → '12,345'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}"


def _nice_step(span: float) -> float:
    """A round rounding step (1, 2, 5 × a power of ten) near ``span``."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(span))
    return min((m * magnitude for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / span)))


def assign_bands(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Band index of each value: below ``edges[0]`` is 0, ``edges[0] <= v < edges[1]`` is 1, …"""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")


def band_edges(values: np.ndarray, *, min_group_size: int = 30, bands: int = TARGET_BANDS) -> list[float]:
    """Round cut points near the quantiles, with bands smaller than ``min_group_size`` merged."""
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    step = _nice_step((high - low) / (3 * bands))
    quantiles = np.quantile(values, np.linspace(0, 1, bands + 1)[1:-1])
    edges = sorted({round(q / step) * step for q in quantiles})
    edges = [float(e) for e in edges if low < e <= high]
    while edges:
        counts = np.bincount(assign_bands(values, edges), minlength=len(edges) + 1)
        smallest = int(np.argmin(counts))
        if counts[smallest] >= min_group_size:
            break
        # Merge the smallest band into its smaller neighbour by removing the edge between them.
        if smallest == 0:
            edges.pop(0)
        elif smallest == len(edges):
            edges.pop()
        else:
            left, right = counts[smallest - 1], counts[smallest + 1]
            edges.pop(smallest - 1 if left <= right else smallest)
    return edges


def _band_labels(edges: list[float], integers: bool) -> list[Band]:
    if not edges:
        return [Band("all values", None, None)]
    out = [Band(f"under {format_number(edges[0])}", None, edges[0])]
    for lo, hi in zip(edges, edges[1:], strict=False):
        if integers and float(lo).is_integer() and float(hi).is_integer():
            label = f"{format_number(lo)}–{format_number(hi - 1)}" if hi - lo > 1 else format_number(lo)
        else:
            label = f"{format_number(lo)} to under {format_number(hi)}"
        out.append(Band(label, lo, hi))
    out.append(Band(f"{format_number(edges[-1])} and over", edges[-1], None))
    return out


def _value_name(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return format_number(float(value))
    return str(value)


def sensitive_groups(values: pd.Series, feature: str, *, min_group_size: int = 30) -> SensitiveGroups:
    """Group the rows by one sensitive feature.

    Parameters
    ----------
    values : pandas.Series
        The feature's raw values, one per test row.
    feature : str
        Its name, for messages.
    min_group_size : int
        Bands of a numeric feature are merged until each holds at least this many rows.

    Returns
    -------
    SensitiveGroups

    Raises
    ------
    InvalidData
        When the feature has no values, or a single one: there is nothing to compare.
    """
    series = pd.Series(values).reset_index(drop=True)
    missing = series.isna().to_numpy()
    present = series[~missing]
    warnings = []
    if present.empty:
        raise InvalidData(f"The sensitive feature '{feature}' has no values in the test data, so there are no "
                          "groups to compare.")
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    bands: list[Band] = []
    if numeric and present.nunique() > MAX_VALUES_AS_CATEGORIES:
        numbers = present.to_numpy(np.float64)
        edges = band_edges(numbers, min_group_size=min_group_size)
        bands = _band_labels(edges, integers=bool(np.all(np.mod(numbers, 1) == 0)))
        codes = np.zeros(len(series), dtype=np.int64)
        codes[~missing] = assign_bands(numbers, edges)
        names = [b.label for b in bands]
        kind = "banded"
    else:
        raw_codes, uniques = pd.factorize(present, sort=True)
        names = [_value_name(u) for u in uniques]
        codes = np.zeros(len(series), dtype=np.int64)
        codes[~missing] = raw_codes
        kind = "category"
    if missing.any():
        codes[missing] = len(names)
        names.append(MISSING_GROUP)
        warnings.append(f"{int(missing.sum()):,} test rows have no value for '{feature}'; they form their own "
                        f"group, '{MISSING_GROUP}'.")
    if len(names) < 2:
        raise InvalidData(f"The sensitive feature '{feature}' has a single value ({names[0]!r}) in the test "
                          "data, so there are no groups to compare.")
    return SensitiveGroups(feature=feature, kind=kind, codes=codes, names=names, bands=bands, warnings=warnings)


def intersect_groups(first: SensitiveGroups, second: SensitiveGroups) -> SensitiveGroups:
    """Groups of people defined by both features at once ('Female · Black'), as observed."""
    combined = first.codes * len(second.names) + second.codes
    # Keep only the combinations that occur, in order (a linear pass, not a sort).
    observed = np.flatnonzero(np.bincount(combined, minlength=len(first.names) * len(second.names)))
    position = np.full(len(first.names) * len(second.names), -1, dtype=np.int64)
    position[observed] = np.arange(len(observed))
    codes = position[combined]
    names = [f"{first.names[c // len(second.names)]}{INTERSECTION_SEPARATOR}{second.names[c % len(second.names)]}"
             for c in observed]
    return SensitiveGroups(feature=f"{first.feature} × {second.feature}", kind="intersection",
                           codes=codes.astype(np.int64), names=names, parts=(first.feature, second.feature))
