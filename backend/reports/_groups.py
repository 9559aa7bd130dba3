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
from backend.reports._labels import INTERSECTION_SEPARATOR, MISSING_GROUP

__all__ = ["Band", "SensitiveGroups", "sensitive_groups", "intersect_groups", "MISSING_GROUP", "band_edges",
           "assign_bands", "format_number", "band_labels", "whole_numbers"]

#: A numeric column with at most this many distinct values keeps one group per value.
MAX_VALUES_AS_CATEGORIES = 12
#: Bands aimed for before small ones are merged.
TARGET_BANDS = 5
#: An edge may move this far (as a share of people) from its quantile to be a round number.
QUANTILE_WINDOW = 0.05


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


def _roundest(low: float, high: float, near: float, *, whole: bool) -> float:
    """The roundest number in ``[low, high]`` (a multiple of 1, 2 or 5 × a power of ten, the
    coarsest first), the one nearest ``near`` when several are as round."""
    if not high > low:
        return float(low)
    top = max(abs(low), abs(high))
    exponent = math.floor(math.log10(top)) + 1 if top > 0 else 0
    while True:
        for mantissa in (10, 5, 2):
            step = mantissa * 10.0 ** (exponent - 1)
            if whole and step < 1:
                return float(round(near))
            first, last = math.ceil(low / step), math.floor(high / step)
            if first <= last:
                best = min(range(first, last + 1), key=lambda m: abs(m * step - near))
                return float(round(best * step, 12))
        exponent -= 1


def assign_bands(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Band index of each value: below ``edges[0]`` is 0, ``edges[0] <= v < edges[1]`` is 1, …"""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")


def band_edges(values: np.ndarray, *, min_group_size: int = 30, bands: int = TARGET_BANDS) -> list[float]:
    """Round cut points at the quantiles, so each band holds about the same share of people.

    Each edge is the roundest number within five percentiles of its quantile (so a skewed income
    is cut at 20,000, 35,000, 50,000 and 80,000 rather than at one round 100,000), and bands
    smaller than ``min_group_size`` are merged into a neighbour.
    """
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    whole = bool(np.all(np.mod(values, 1) == 0))
    shares = np.linspace(0, 1, bands + 1)[1:-1]
    window = min(QUANTILE_WINDOW, 0.5 / bands)
    cuts = np.quantile(values, np.r_[shares - window, shares, shares + window]).reshape(3, -1)
    edges = sorted({_roundest(lo, hi, q, whole=whole) for lo, q, hi in cuts.T})
    edges = [float(e) for e in edges if low < e <= high]
    if not edges and high > low:
        # Most values equal the smallest (a capital gain of 0, say): cut just above them.
        above = float(values[values > low].min())
        edges = [_roundest(np.nextafter(low, high) if not whole else low + 1, above, above, whole=whole)]
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


def band_labels(edges: list[float], *, whole: bool) -> list[Band]:
    """Readable bands for ``edges``: "under 25", "25–34", "35 and over" for whole numbers, "2.5 to
    under 5" otherwise. The fairness and the explainability reports both name bands this way."""
    if not edges:
        return [Band("all values", None, None)]
    out = [Band(f"under {format_number(edges[0])}", None, edges[0])]
    for lo, hi in zip(edges, edges[1:], strict=False):
        if whole and float(lo).is_integer() and float(hi).is_integer():
            label = f"{format_number(lo)}–{format_number(hi - 1)}" if hi - lo > 1 else format_number(lo)
        else:
            label = f"{format_number(lo)} to under {format_number(hi)}"
        out.append(Band(label, lo, hi))
    out.append(Band(f"{format_number(edges[-1])} and over", edges[-1], None))
    return out


def whole_numbers(values: np.ndarray) -> bool:
    """Whether every finite value is a whole number (ages, counts), for how bands are named."""
    finite = values[np.isfinite(values)]
    return bool(np.all(np.mod(finite, 1) == 0))


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
        bands = band_labels(edges, whole=whole_numbers(numbers))
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
