"""Shared data for the monitoring tests: a loan-like population whose scores are the true
chances (a calibrated model), and ways to shift it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from backend.registry.prediction_log import PredictionLog

SCHEMA = {"income": "number", "tenure": "number", "region": "category", "sex": "category"}
IMPORTANCE = ["income", "region", "tenure", "sex"]


def population(n: int, seed: int, *, income_shift: float = 0.0, north_share: float = 0.25,
               concept: float = 0.0, missing_income: float = 0.0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``n`` applicants, their outcomes and a calibrated score (the true chance).

    ``income_shift`` moves income by that many standard deviations; ``north_share`` changes the
    region mix; ``concept`` changes how outcomes depend on income without the score knowing.
    """
    rng = np.random.default_rng(seed)
    income = rng.normal(50 + 15 * income_shift, 15, n)
    if missing_income:
        income[rng.random(n) < missing_income] = np.nan
    tenure = rng.integers(0, 30, n).astype(float)
    others = (1 - north_share) / 3
    region = rng.choice(["north", "south", "east", "west"], n, p=[north_share, others, others, others])
    sex = rng.choice(["female", "male"], n)
    logit = 0.08 * (np.nan_to_num(income, nan=50) - 50) + 0.05 * (tenure - 15) + np.where(region == "north", 0.7, 0.0)
    score = 1 / (1 + np.exp(-logit))
    truth = 1 / (1 + np.exp(-(logit - concept * 0.08 * (np.nan_to_num(income, nan=50) - 50))))
    y = (rng.random(n) < truth).astype(np.int64)
    return pd.DataFrame({"income": income, "tenure": tenure, "region": region, "sex": sex}), y, score


@pytest.fixture
def log(app) -> PredictionLog:
    return PredictionLog(str(app.settings.artifacts_dir))


def day(n: int) -> date:
    """Day ``n`` of the monitored stretch (November 2026; the 2nd is a Monday)."""
    return date(2026, 11, 1 + n)
