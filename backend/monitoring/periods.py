"""Periods (day, ISO week, calendar month) and the sums of daily aggregates over them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from backend.errors import InvalidData

__all__ = ["PERIODS", "period_start", "period_end", "periods_between", "sum_days", "describe_period"]

PERIODS = ("day", "week", "month")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _check(period: str) -> None:
    if period not in PERIODS:
        raise InvalidData(f"Unknown period '{period}': use one of {', '.join(PERIODS)}.")


def period_start(day: date, period: str) -> date:
    """The first day of the ``period`` holding ``day`` (weeks start on Monday)."""
    _check(period)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(start: date, period: str) -> date:
    """The last day of the period starting on ``start``."""
    _check(period)
    if period == "day":
        return start
    if period == "week":
        return start + timedelta(days=6)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def periods_between(days: Iterable[date], period: str) -> list[tuple[date, date]]:
    """The periods that hold any of ``days``, oldest first."""
    starts = sorted({period_start(d, period) for d in days})
    return [(s, period_end(s, period)) for s in starts]


def describe_period(start: date, period: str) -> str:
    """'3 Nov 2026', 'the week of 2 Nov 2026', 'November 2026'."""
    if period == "day":
        return f"{start.day} {_MONTHS[start.month - 1][:3]} {start.year}"
    if period == "week":
        return f"the week of {start.day} {_MONTHS[start.month - 1][:3]} {start.year}"
    return f"{_MONTHS[start.month - 1]} {start.year}"


def _add_counts(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, list):
            current = total.setdefault(key, [0] * len(value))
            total[key] = [a + b for a, b in zip(current, value, strict=True)]
        else:
            total[key] = total.get(key, 0) + value


def sum_days(inputs: Iterable[dict[str, Any]], outcomes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The aggregates of a period: its days' aggregates (of one version) added up."""
    volume: dict[str, Any] = {}
    features: dict[str, dict[str, Any]] = {}
    score_bins: dict[str, Any] = {}
    score_hist: dict[str, Any] = {}
    days = 0
    for day in inputs:
        days += 1
        _add_counts(volume, day.get("volume") or {})
        for feature, counts in (day.get("features") or {}).items():
            _add_counts(features.setdefault(feature, {}), counts)
        _add_counts(score_bins, day.get("score_bins") or {})
        _add_counts(score_hist, day.get("score_hist") or {})
    labelled: dict[str, Any] = {}
    cells: dict[tuple, int] = {}
    columns: list[str] | None = None
    for day in outcomes:
        _add_counts(labelled, day.get("labelled") or {})
        fairness = day.get("fairness")
        if fairness:
            columns = fairness["columns"]
            for *key, n in fairness["rows"]:
                cells[tuple(key)] = cells.get(tuple(key), 0) + n
    fairness_cells = {"columns": columns, "rows": [[*k, n] for k, n in cells.items()]} if columns else None
    return {"days": days, "volume": volume, "features": features, "score_bins": score_bins, "score_hist": score_hist,
            "labelled": labelled, "fairness": fairness_cells}
