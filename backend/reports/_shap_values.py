"""SHAP values for the final estimator, by the fastest exact method its family allows.

- Tree ensembles (HistGradientBoosting included): ``shap.TreeExplainer(model)`` with *no*
  background set. Its path-dependent mode is exact and fast; the interventional mode (with a
  background) gave values off by up to 2 log-odds for HistGradientBoosting.
- Linear models: ``shap.LinearExplainer`` with the training mean as the reference point.
- Anything else: a permutation explainer against a small background sample.

The rows explained are a fixed, seeded sample chosen by the caller: how many never depends on
the machine's speed, so the same model always gets the same report.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ShapResult", "compute_shap", "model_family", "UnsupportedModel", "tree_work_per_row", "TREE_WORK"]

TREE_MODELS = {
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor", "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor",
    "CatBoostClassifier", "CatBoostRegressor",
}
PERMUTATION_BACKGROUND_ROWS = 50
#: Rows the permutation explainer explains (each costs a few thousand model calls).
PERMUTATION_ROWS = 200
#: Tree models: rows × Σ over trees of nodes × depth² stays under this, so a forest of deep trees
#: explains fewer rows than a small boosted model. It depends on the model alone, never on the clock.
TREE_WORK = 6e9
MIN_TREE_ROWS = 100


class UnsupportedModel(Exception):
    """No explainer could explain the model; the message says why."""


@dataclass
class ShapResult:
    values: np.ndarray  # rows × transformed columns
    base_value: float
    explainer: str
    reason: str
    rows: int
    seconds: float
    notes: list[str]


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


def tree_work_per_row(explainer: Any) -> float:
    """TreeSHAP's cost of one row, in units of nodes × depth² summed over the trees."""
    trees = getattr(explainer.model, "trees", None) or []
    return float(sum(len(t.children_left) * max(int(t.max_depth), 1) ** 2 for t in trees)) or 1.0


Builder = tuple[Callable[[np.ndarray], tuple], str, Callable[[int], tuple[int, str | None]]]


def _tree(final: Any, background: np.ndarray, task: str) -> Builder:
    import shap

    explainer = shap.TreeExplainer(final)
    work = tree_work_per_row(explainer)

    def explain(rows: np.ndarray):
        return _positive_output(explainer.shap_values(rows, check_additivity=False), explainer.expected_value)

    def rows_for(cap: int) -> tuple[int, str | None]:
        affordable = max(MIN_TREE_ROWS, int(TREE_WORK // work))
        if affordable >= cap:
            return cap, None
        trees = getattr(explainer.model, "trees", None) or []
        return affordable, (f"This model has {len(trees):,} trees with {sum(len(t.children_left) for t in trees):,} "
                            f"nodes, up to {max((int(t.max_depth) for t in trees), default=0)} deep: explaining one row "
                            f"costs {work / 1e6:,.0f} million node visits, so a fixed sample of {affordable:,} rows is "
                            "explained (set by the model's size, never by the clock, so the report is the same on "
                            "every machine).")

    return explain, (f"{type(final).__name__} is a tree model: exact TreeSHAP on its own tree paths, with no "
                     "background set"), rows_for


def _linear(final: Any, background: np.ndarray, task: str) -> Builder:
    import shap

    # Only the mean matters for a linear model's SHAP values; the full training mean is exact.
    explainer = shap.LinearExplainer(final, (background.mean(axis=0), None))

    def explain(rows: np.ndarray):
        return _positive_output(explainer.shap_values(rows), explainer.expected_value)

    return explain, (f"{type(final).__name__} is a linear model: exact linear SHAP values, measured from the "
                     "training data's average"), lambda cap: (cap, None)


def _permutation(final: Any, background: np.ndarray, task: str) -> Builder:
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

    def rows_for(cap: int) -> tuple[int, str | None]:
        if cap <= PERMUTATION_ROWS:
            return cap, None
        return PERMUTATION_ROWS, (f"The permutation explainer calls the model thousands of times a row, so a fixed "
                                  f"sample of {PERMUTATION_ROWS} rows is explained.")

    return explain, (f"no fast exact method exists for {type(final).__name__}: a permutation explainer against "
                     f"{len(chosen)} background rows from the training data"), rows_for


_EXPLAINERS = {"tree": ("TreeExplainer", _tree), "linear": ("LinearExplainer", _linear),
               "other": ("PermutationExplainer", _permutation)}


def compute_shap(final: Any, matrix: np.ndarray, background: np.ndarray, *, task: str, must: int = 0) -> ShapResult:
    """SHAP values of ``final`` on the first rows of ``matrix``: the first ``must`` (the single
    cases) and then as many of the rest as the explainer's fixed sample size allows. The rows
    are in a seeded random order, so the first ``k`` are a seeded random sample.

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
                started = time.perf_counter()
                explain, reason, rows_for = build(final, background, task)
                sample, note = rows_for(len(matrix) - must)
                values, base = explain(matrix[:must + sample])
                seconds = time.perf_counter() - started
        except Exception as exc:  # SHAP raises many types for a model it cannot handle
            failures.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            continue
        if failures:
            notes.append("The fast explainer failed (" + "; ".join(failures) + "), so a permutation explainer "
                         "was used instead.")
        if note:
            notes.append(note)
        return ShapResult(values=values, base_value=base, explainer=name, reason=reason, rows=len(values),
                          seconds=seconds, notes=notes)
    raise UnsupportedModel(f"No explainer supports {type(final).__name__}: " + "; ".join(failures))
