"""A gradual shift for simulated traffic: the population and its outcomes move, as in life.

Production rarely changes overnight. A :class:`GradualShift` grows evenly over the ``days``
that end now, from nothing (the held-back rows as they are) to its full size today:

- ``grow``: numeric inputs grow by a factor (1.5: half as large again by the end), each row by a
  random amount around it, so the distribution widens as it moves (loans get longer and larger);
- ``share``: one value of a categorical input takes a growing share of the rows (more loans for
  new cars); rows are drawn with weights, so the other inputs of those rows come along unchanged;
- ``outcome``: among rows with one value of one input, a growing share of the other outcomes turn
  into one outcome — a change in how the inputs relate to the outcome (concept drift), which the
  model cannot see in its inputs, so its realised performance falls.

All of it is drawn from the generator it is given: the same seed gives the same traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from backend.errors import InvalidData

__all__ = ["GradualShift", "OutcomeShift", "PROGRESS_STEPS"]

#: Rows are drawn for the shift's progress rounded to 1/PROGRESS_STEPS (a hundred draws at most,
#: whatever the number of rows).
PROGRESS_STEPS = 100


@dataclass(frozen=True)
class OutcomeShift:
    """By the end of the shift, ``share`` of the rows with ``feature == value`` whose outcome was
    another one have ``outcome`` instead."""

    feature: str
    value: str
    outcome: str
    share: float


@dataclass(frozen=True)
class GradualShift:
    """A change that grows evenly over the ``days`` ending now (see the module's docstring).

    Parameters
    ----------
    days : float
        How long the shift takes; rows older than that are unchanged, rows stamped now fully shifted.
    grow : dict
        Numeric input -> the factor its values reach by the end.
    share : dict
        Categorical input -> (value, the share of rows with that value by the end).
    outcome : OutcomeShift, optional
        The change in the relation between the inputs and the outcome.
    """

    days: float
    grow: dict[str, float] = field(default_factory=dict)
    share: dict[str, tuple[str, float]] = field(default_factory=dict)
    outcome: OutcomeShift | None = None

    def progress(self, stamp: datetime | None, now: datetime) -> float:
        """How far the shift has gone at ``stamp``: 0 at its start, 1 now (and for unstamped rows)."""
        if stamp is None or self.days <= 0:
            return 1.0
        return float(min(max(1.0 - (now - stamp) / timedelta(days=self.days), 0.0), 1.0))

    def check(self, features: pd.DataFrame, outcomes: pd.Series) -> None:
        """Refuse a shift that names an input the rows do not have, or a value none of them takes."""
        for name in [*self.grow, *self.share, *([self.outcome.feature] if self.outcome else [])]:
            if name not in features.columns:
                raise InvalidData(f"The shift names the input '{name}', which the model's held-back rows do not have.")
        for name in self.grow:
            if not pd.api.types.is_numeric_dtype(features[name]):
                raise InvalidData(f"The shift grows '{name}', which is not a numeric input.")
        for name, (value, target) in self.share.items():
            if not (features[name].astype(str) == value).any():
                raise InvalidData(f"The shift moves the share of {name} = '{value}', which no held-back row has.")
            if not 0.0 < target < 1.0:
                raise InvalidData(f"The share of {name} = '{value}' must end between 0 and 1, not {target}.")
        if self.outcome and not 0.0 <= self.outcome.share <= 1.0:
            raise InvalidData(f"The outcome shift's share must lie between 0 and 1, not {self.outcome.share}.")

    def _weights(self, features: pd.DataFrame, t: float) -> np.ndarray:
        weights = np.ones(len(features))
        for name, (value, target) in self.share.items():
            inside = (features[name].astype(str) == value).to_numpy()
            start = inside.mean()
            now = start + (target - start) * t
            weights *= np.where(inside, now / start, (1.0 - now) / (1.0 - start)) if 0 < start < 1 else 1.0
        return weights / weights.sum()

    def draw(self, features: pd.DataFrame, progress: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Which held-back row each simulated row copies, given each row's progress."""
        steps = np.rint(np.asarray(progress) * PROGRESS_STEPS).astype(int)
        picks = np.empty(len(steps), dtype=np.int64)
        for step in np.unique(steps):
            where = np.flatnonzero(steps == step)
            picks[where] = rng.choice(len(features), size=len(where), p=self._weights(features, step / PROGRESS_STEPS))
        return picks

    def apply(self, rows: pd.DataFrame, progress: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """``rows`` (one per simulated row) with the numeric inputs grown as far as each row's progress."""
        rows = rows.reset_index(drop=True).copy()
        progress = np.asarray(progress, dtype=np.float64)
        for name, factor in self.grow.items():
            values = rows[name].to_numpy(dtype=np.float64)
            grown = values * (1.0 + (factor - 1.0) * progress * rng.uniform(0.5, 1.5, len(values)))
            present = values[~np.isnan(values)]
            if len(present) and np.all(present == np.round(present)):
                grown = np.round(grown)  # months and whole amounts stay whole
            rows[name] = grown
        return rows

    def outcomes(self, rows: pd.DataFrame, outcomes: pd.Series, progress: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
        """Each simulated row's true outcome: the held-back row's, turned as far as the row's progress."""
        result = outcomes.astype(str).to_numpy(dtype=object).copy()
        if self.outcome is None:
            return result
        change = self.outcome
        segment = (rows[change.feature].astype(str) == change.value).to_numpy() & (result != change.outcome)
        turned = segment & (rng.random(len(result)) < change.share * np.asarray(progress, dtype=np.float64))
        result[turned] = change.outcome
        return result
