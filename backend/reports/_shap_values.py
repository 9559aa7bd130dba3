"""SHAP values for the final estimator, by the fastest exact method its family allows.

- Tree ensembles (HistGradientBoosting included): ``shap.TreeExplainer(model)`` with *no*
  background set. Its path-dependent mode is exact and fast; the interventional mode (with a
  background) gave values off by up to 2 log-odds for HistGradientBoosting.
- Linear models: ``shap.LinearExplainer`` with the training mean as the reference point.
- Anything else: a permutation explainer against a small background sample.

Explaining stops growing past a time budget: a forest of deep trees can take 50 ms a row,
and the report states how many rows were explained and why.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ShapResult", "compute_shap", "model_family", "UnsupportedModel"]

TREE_MODELS = {
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor", "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor",
    "CatBoostClassifier", "CatBoostRegressor",
}
PERMUTATION_BACKGROUND_ROWS = 50
PILOT_ROWS = 20
#: Explain at least this many rows even when the budget is spent, or the importance is noise.
MIN_ROWS = 100


class UnsupportedModel(Exception):
    """No explainer could explain the model; the message says why."""


@dataclass
class ShapResult:
    values: np.ndarray  # rows × transformed columns
    base_value: float
    explainer: str
    reason: str
    rows: int  # how many of the given rows were explained (the first ``rows``)
    seconds: float
    notes: list[str]
    per_row_s: float | None = None  # set when the time budget cut the explaining short


def model_family(final: Any) -> str:
    """'tree', 'linear' or 'other', from the fitted final estimator."""
    if type(final).__name__ in TREE_MODELS:
        return "tree"
    coef = getattr(final, "coef_", None)
    if coef is not None and hasattr(final, "intercept_") and (np.ndim(coef) == 1 or np.shape(coef)[0] == 1):
        return "linear"
    return "other"


def _positive_output(values: Any, base: Any) -> tuple[np.ndarray, float]:
    """SHAP's per-class outputs reduced to the positive class (or the single output)."""
    if isinstance(values, list):
        values = values[-1]
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 3:
        values = values[..., -1]
    base = np.ravel(np.asarray(base, dtype=np.float64))
    return values, float(base[-1] if len(base) > 1 else base[0])


def _tree(final: Any, background: np.ndarray, task: str) -> tuple[Callable[[np.ndarray], tuple], str]:
    import shap

    explainer = shap.TreeExplainer(final)

    def explain(rows: np.ndarray):
        return _positive_output(explainer.shap_values(rows, check_additivity=False), explainer.expected_value)

    return explain, (f"{type(final).__name__} is a tree model: exact TreeSHAP on its own tree paths, with no "
                     "background set")


def _linear(final: Any, background: np.ndarray, task: str) -> tuple[Callable[[np.ndarray], tuple], str]:
    import shap

    # Only the mean matters for a linear model's SHAP values; the full training mean is exact.
    explainer = shap.LinearExplainer(final, (background.mean(axis=0), None))

    def explain(rows: np.ndarray):
        return _positive_output(explainer.shap_values(rows), explainer.expected_value)

    return explain, (f"{type(final).__name__} is a linear model: exact linear SHAP values, measured from the "
                     "training data's average")


def _permutation(final: Any, background: np.ndarray, task: str) -> tuple[Callable[[np.ndarray], tuple], str]:
    import shap

    if task == "classification":
        def predict(rows: np.ndarray) -> np.ndarray:
            return final.predict_proba(rows)[:, 1]
    else:
        predict = final.predict
    rng = np.random.default_rng(0)
    chosen = background[np.sort(rng.choice(len(background), min(PERMUTATION_BACKGROUND_ROWS, len(background)),
                                           replace=False))]
    explainer = shap.PermutationExplainer(predict, shap.maskers.Independent(chosen, max_samples=len(chosen)),
                                          seed=0)
    evaluations = 2 * background.shape[1] + 1  # one forward-and-back permutation per row

    def explain(rows: np.ndarray):
        result = explainer(rows, max_evals=max(evaluations, 2 * rows.shape[1] + 1), silent=True)
        return _positive_output(result.values, np.ravel(result.base_values)[:1])

    return explain, (f"no fast exact method exists for {type(final).__name__}: a permutation explainer against "
                     f"{len(chosen)} background rows from the training data")


_EXPLAINERS = {"tree": ("TreeExplainer", _tree), "linear": ("LinearExplainer", _linear),
               "other": ("PermutationExplainer", _permutation)}


def _budgeted(explain: Callable, rows: np.ndarray, must: int, budget_s: float) -> tuple:
    """Explain the first ``must`` rows and a pilot, then as many more as the budget allows.

    Returns the values, the base value, the seconds spent and, when the budget cut the work
    short, the measured seconds per row (else None).
    """
    started = time.perf_counter()
    first = min(len(rows), max(must + PILOT_ROWS, 1))
    values, base = explain(rows[:first])
    spent = time.perf_counter() - started
    rest, cut = len(rows) - first, None
    if rest > 0:
        per_row = spent / first
        affordable = int(max(budget_s - spent, 0) / per_row) if per_row > 0 else rest
        more = min(rest, max(affordable, MIN_ROWS - first))
        if more < rest:
            cut = per_row
        if more > 0:
            extra, _ = explain(rows[first:first + more])
            values = np.vstack([values, extra])
    return values, base, time.perf_counter() - started, cut


def compute_shap(final: Any, matrix: np.ndarray, background: np.ndarray, *, task: str, must: int,
                 budget_s: float) -> ShapResult:
    """SHAP values of ``final`` on ``matrix`` (the first ``must`` rows always explained).

    Falls back to the permutation explainer when the family's own explainer fails; raises
    :class:`UnsupportedModel` when that fails too.
    """
    family = model_family(final)
    notes: list[str] = []
    order = [family] if family == "other" else [family, "other"]
    failures = []
    for attempt in order:
        name, build = _EXPLAINERS[attempt]
        try:
            with warnings.catch_warnings():
                # Unknown categories at transform time and SHAP's own chatter are not news here.
                warnings.simplefilter("ignore")
                explain, reason = build(final, background, task)
                values, base, seconds, per_row = _budgeted(explain, matrix, must, budget_s)
        except Exception as exc:  # SHAP raises many types for a model it cannot handle
            failures.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            continue
        if failures:
            notes.append("The fast explainer failed (" + "; ".join(failures) + "), so a permutation explainer "
                         "was used instead.")
        return ShapResult(values=values, base_value=base, explainer=name, reason=reason, rows=len(values),
                          seconds=seconds, notes=notes, per_row_s=per_row)
    raise UnsupportedModel(f"No explainer supports {type(final).__name__}: " + "; ".join(failures))
