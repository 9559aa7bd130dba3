"""The explainability report: what drives the model, overall and for representative cases.

The final estimator is explained on the matrix its preprocessing produces
(``pipeline[:-1].transform(X)``), and the columns are folded back to the original features:
the signed values of a feature's columns are summed per row, then averaged in absolute value.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from backend.reports._folding import column_owners, folding_matrix
from backend.reports._groups import (
    assign_bands,
    band_edges,
    band_labels,
    format_number,
    whole_numbers,
)
from backend.reports._labels import Labels
from backend.reports._shap_values import UnsupportedModel, compute_shap
from backend.reports._summaries import explainability_summary

__all__ = ["explain_model", "ROW_CAP"]

#: At most this many test rows are explained: a fixed, seeded sample (fewer for costly models).
ROW_CAP = 2000
CASES_PER_KIND = 2
TOP_EFFECTS = 6
CASE_FEATURES = 8
EFFECT_POINTS = 200
SCHEMA_VERSION = 2


def _split(estimator: Any) -> tuple[Any, Any]:
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        return estimator[:-1], estimator[-1]
    return None, estimator


def _pick_cases(scores: np.ndarray, threshold: float, task: str, X: pd.DataFrame | None = None) -> list[tuple[str, int]]:
    """Rows to explain one by one: the clearest yes, the clearest no, and the closest calls.

    Two rows with identical inputs are one case, not two: the second is skipped.
    """
    order = np.argsort(scores, kind="stable")
    k = min(CASES_PER_KIND, max(len(scores) // 3, 1))
    chosen: list[tuple[str, int]] = []
    taken: set[int] = set()
    seen: set[int] = set()
    fingerprints = (pd.util.hash_pandas_object(X.reset_index(drop=True), index=False).to_numpy()
                    if X is not None and len(X) == len(scores) else None)

    def add(kind: str, rows) -> None:
        for row in rows:
            if sum(1 for c in chosen if c[0] == kind) >= k:
                return
            row = int(row)
            fingerprint = int(fingerprints[row]) if fingerprints is not None else row
            if row in taken or fingerprint in seen:
                continue
            chosen.append((kind, row))
            taken.add(row)
            seen.add(fingerprint)

    middle = threshold if task == "classification" else float(np.median(scores))
    add("clearly_positive", order[::-1])
    add("clearly_negative", order)
    add("borderline", np.argsort(np.abs(scores - middle), kind="stable"))
    return chosen


def _case_title(kind: str, task: str, positive: str | None, score: float, threshold: float = 0.5) -> str:
    if task == "regression":
        return {"clearly_positive": "Highest prediction", "clearly_negative": "Lowest prediction",
                "borderline": "Typical prediction"}[kind]
    label = f"'{positive}'" if positive else "positive"
    if kind == "borderline":
        return "Borderline case"
    flagged = score >= threshold
    # The highest score is not a "clear" case when the model flags nobody (and vice versa).
    if kind == "clearly_positive":
        return f"Clear case predicted {label}" if flagged else f"Highest score, still not predicted {label}"
    return f"Clear case predicted not {label}" if not flagged else f"Lowest score, still predicted {label}"


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, float | np.floating):
        return format_number(float(value))
    return str(value)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _case(kind: str, row: int, folded: np.ndarray, features: list[str], X: pd.DataFrame, score: float,
          base: float, units: str, task: str, positive: str | None) -> dict[str, Any]:
    order = np.argsort(-np.abs(folded), kind="stable")
    shown, rest = order[:CASE_FEATURES], order[CASE_FEATURES:]
    # Contributions in log-odds do not add up in probability; walking from the base rate, largest
    # push first, turns each into the percentage points it moved the score along that walk.
    running, points = base, []
    for j in order:
        before = _sigmoid(running) if units == "log-odds" else running
        running += folded[j]
        after = _sigmoid(running) if units == "log-odds" else running
        points.append(after - before)
    contributions = []
    for position, j in enumerate(shown):
        name = features[j]
        value = X.iloc[row][name] if name in X.columns else None
        contributions.append({"feature": name, "value": _display(value), "effect": float(folded[j]),
                              "effect_points": points[position]})
    other = {"features": len(rest), "effect": float(folded[rest].sum()), "effect_points": float(sum(points[len(shown):]))}
    return {"kind": kind, "title": _case_title(kind, task, positive, float(score)), "row": int(row), "score": float(score),
            "base_value": base, "base_score": _sigmoid(base) if units == "log-odds" else base,
            "output_value": base + float(folded.sum()), "contributions": contributions, "other": other}


def _effect(name: str, effects: np.ndarray, values: pd.Series | None, edges: list[float] | None = None) -> dict[str, Any]:
    if values is None:
        return {"feature": name, "kind": "combined", "by_value": [], "points": [], "correlation": None}
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(effects), min(EFFECT_POINTS, len(effects)), replace=False))
    numeric = pd.api.types.is_numeric_dtype(values)
    raw = values.to_numpy()
    if numeric:
        numbers = raw.astype(np.float64)
        finite = np.isfinite(numbers)
        correlation = None
        if finite.sum() > 2 and np.std(numbers[finite]) > 0 and np.std(effects[finite]) > 0:
            correlation = float(np.corrcoef(numbers[finite], effects[finite])[0, 1])
        by_value = []
        if finite.any():
            # The same bands, named the same way, as the fairness report (its edges when it banded
            # this feature too).
            if edges is None:
                edges = band_edges(numbers[finite], min_group_size=max(10, len(numbers) // 20))
            bands = assign_bands(numbers[finite], edges)
            for b, band in enumerate(band_labels(edges, whole=whole_numbers(numbers[finite]))):
                mask = bands == b
                if mask.any():
                    by_value.append({"value": band.label, "count": int(mask.sum()),
                                     "mean_effect": float(effects[finite][mask].mean())})
        points = [[None if not np.isfinite(numbers[i]) else float(numbers[i]), float(effects[i])] for i in pick]
        return {"feature": name, "kind": "number", "by_value": by_value, "points": points, "correlation": correlation}
    labels = pd.Series([_display(v) for v in raw])
    frame = pd.DataFrame({"value": labels, "effect": effects})
    grouped = frame.groupby("value", sort=False)["effect"].agg(["count", "mean"]).sort_values("count", ascending=False)
    by_value = [{"value": str(v), "count": int(r["count"]), "mean_effect": float(r["mean"])}
                for v, r in grouped.head(10).iterrows()]
    points = [[labels.iloc[i], float(effects[i])] for i in pick]
    return {"feature": name, "kind": "category", "by_value": by_value, "points": points, "correlation": None}


def _output_units(final: Any, matrix: np.ndarray, explained: np.ndarray, task: str) -> tuple[str, np.ndarray]:
    """What the SHAP values add up to (log-odds, probability or prediction), and its errors."""
    candidates = []
    if task == "classification":
        if hasattr(final, "decision_function"):
            candidates.append(("log-odds", np.ravel(final.decision_function(matrix))))
        candidates.append(("probability", final.predict_proba(matrix)[:, 1]))
    else:
        candidates.append(("prediction", np.ravel(final.predict(matrix))))
    units, output = min(candidates, key=lambda c: float(np.max(np.abs(c[1] - explained))))
    return units, np.abs(output - explained)


def _empty(task: str, test_rows: int, row_cap: int, not_computed: list[dict[str, str]], seed: int,
           labels: Labels) -> dict[str, Any]:
    return {"kind": "explainability_report", "schema_version": SCHEMA_VERSION, "task": task, "explainer": None,
            "explainer_reason": None, "units": None, "base_value": None, "base_score": None,
            "test_rows": test_rows, "rows_explained": 0, "row_cap": row_cap, "sampled": False, "notes": [],
            "seed": seed, "labels": labels.to_dict(),
            "additivity": None, "features": [], "folding": {}, "global": [], "effects": [], "cases": [],
            "not_computed": not_computed}


def _matrix(preprocess: Any, final: Any, rows: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown categories encode as zeros, as when serving
        matrix = preprocess.transform(rows) if preprocess is not None else rows
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    try:
        return np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        text = [str(c) for c in rows.columns if not pd.api.types.is_numeric_dtype(rows[c])] if preprocess is None else []
        shown = f" ({', '.join(text[:5])})" if text else ""
        raise UnsupportedModel(
            f"No explainer supports {type(final).__name__} as built: it receives text columns{shown} that SHAP "
            "cannot perturb. Encode them in a Pipeline step before the model so the model can be explained."
        ) from None


def explain_model(estimator: Any, X: pd.DataFrame, scores: np.ndarray, *, task: str = "classification",
                  background: pd.DataFrame | None = None, threshold: float = 0.5, positive_label: str | None = None,
                  row_cap: int = ROW_CAP, seed: int = 0, labels: Labels | None = None,
                  bands: dict[str, list[float]] | None = None) -> dict[str, Any]:
    """The explainability report of a fitted model on its test rows, as a JSON-ready dict.

    Parameters
    ----------
    estimator : fitted scikit-learn estimator
        Usually a Pipeline; its last step is explained on what the steps before produce.
    X : pandas.DataFrame
        The test rows with the original feature columns, typed as the model was trained.
    scores : numpy.ndarray
        The model's score for every row of ``X`` (to pick the representative cases).
    task : {"classification", "regression"}
    background : pandas.DataFrame, optional
        Training rows: the reference for linear and permutation explainers (default: ``X``).
    threshold : float
        The decision threshold, to find the borderline cases.
    positive_label : str, optional
        What a positive outcome is called, for the case titles.
    row_cap : int
        At most this many rows are explained: a fixed sample drawn with ``seed`` (fewer for a
        model whose rows are costly to explain, set by the model's size, never by the clock).
    seed : int
        Seed of the sample: the same model and data always give the same report.
    labels : Labels, optional
        Display names, stored with the report for the pages and the model card.
    bands : dict, optional
        Feature → band edges the fairness report used, so both reports band a number alike.

    Returns
    -------
    dict
        ``explainer``, ``units``, ``base_value``, ``additivity``, ``global`` (importance per
        original feature, largest first, with the spread of its effects), ``effects`` (effect by
        value for the top features), ``cases`` (local explanations), ``folding``, ``notes``,
        ``not_computed`` and ``summary``.
    """
    X = X.reset_index(drop=True)
    scores = np.asarray(scores, dtype=np.float64)
    n = len(X)
    labels = labels or Labels(positive_label=positive_label)
    not_computed: list[dict[str, str]] = []
    report = _empty(task, n, row_cap, not_computed, seed, labels)
    preprocess, final = _split(estimator)
    rng = np.random.default_rng(seed)
    cases = _pick_cases(scores, threshold, task, X)
    case_rows = [row for _, row in cases]
    # A seeded random order of the test rows: its first k are the sample, whatever k the explainer
    # affords. The single cases come first; one of them may be in the sample too (explained twice).
    order = rng.permutation(n)[:row_cap].astype(np.int64)
    rows = np.concatenate([np.asarray(case_rows, dtype=np.int64), order])
    try:
        matrix = _matrix(preprocess, final, X.iloc[rows])
        reference = background if background is not None and len(background) else X
        reference = reference.iloc[np.sort(rng.choice(len(reference), min(len(reference), 5000), replace=False))]
        background_matrix = _matrix(preprocess, final, reference)
        shap = compute_shap(final, matrix, background_matrix, task=task, must=len(case_rows))
    except UnsupportedModel as exc:
        not_computed.append({"item": "explanations", "reason": str(exc)})
        report["summary"] = explainability_summary(report)
        return report
    except Exception as exc:  # the preprocessing itself failed on the test rows
        not_computed.append({"item": "explanations", "reason": f"The model's preprocessing could not be applied to "
                                                               f"the test rows: {type(exc).__name__}: {exc}"})
        report["summary"] = explainability_summary(report)
        return report
    must = len(case_rows)
    explained_rows = rows[:shap.rows]
    matrix = matrix[:shap.rows]
    units, errors = _output_units(final, matrix, shap.base_value + shap.values.sum(axis=1), task)
    try:
        owners = column_owners(preprocess, X.iloc[rows[:5]], matrix.shape[1])
    except Exception as exc:  # an unusual transformer: report per transformed column rather than nothing
        names_out = getattr(preprocess, "get_feature_names_out", lambda: [f"column {i}" for i in range(matrix.shape[1])])
        owners = [(str(name),) for name in names_out()]
        report["notes"].append(f"The columns could not be traced back to the original features ({exc}); "
                               "effects are shown per transformed column.")
    features, fold = folding_matrix(owners)
    folded = shap.values @ fold
    global_values = folded[must:] if shap.rows > must else folded
    sample_rows = explained_rows[must:]
    importance = np.abs(global_values).mean(axis=0)
    total = float(importance.sum()) or 1.0
    ranking = np.argsort(-importance, kind="stable")
    spread = np.percentile(global_values, [5, 25, 50, 75, 95], axis=0)
    report.update({
        "explainer": shap.explainer, "explainer_reason": shap.reason, "units": units,
        "base_value": shap.base_value,
        "base_score": _sigmoid(shap.base_value) if units == "log-odds" else shap.base_value,
        "rows_explained": int(len(sample_rows)), "sampled": bool(n > len(sample_rows)),
        "seconds": round(shap.seconds, 3), "notes": report["notes"] + shap.notes,
        "additivity": {"max_abs_error": float(errors.max()), "mean_abs_error": float(errors.mean()),
                       "units": units, "ok": bool(errors.max() <= 1e-6 * max(1.0, float(np.abs(shap.values).max())))},
        "features": features,
        "folding": {name: [str(i) for i in np.flatnonzero(fold[:, j])] for j, name in enumerate(features)},
        "global": [{"feature": features[j], "importance": float(importance[j]), "share": float(importance[j] / total),
                    "mean_effect": float(global_values[:, j].mean()),
                    "spread": dict(zip(("p5", "p25", "p50", "p75", "p95"), map(float, spread[:, j]), strict=True))}
                   for j in ranking],
    })
    if n > len(sample_rows):
        report["notes"].insert(0, f"The test set has {n:,} rows; a fixed random sample of {len(sample_rows):,} of them "
                                  f"(seed {seed}) was explained, so the same model always gets the same report.")
    names_out = getattr(preprocess, "get_feature_names_out", None)
    if names_out is not None:
        try:
            names = list(map(str, names_out()))
            report["folding"] = {k: [names[int(i)] for i in v] for k, v in report["folding"].items()}
        except Exception:  # names are a courtesy; the folding itself does not depend on them
            pass
    sample_X = X.iloc[sample_rows].reset_index(drop=True)
    report["effects"] = [
        _effect(features[j], global_values[:, j], sample_X[features[j]] if features[j] in X.columns else None,
                (bands or {}).get(features[j]))
        for j in ranking[:TOP_EFFECTS]]
    report["cases"] = [_case(kind, row, folded[i], features, X, scores[row], shap.base_value, units, task,
                             positive_label)
                       for i, (kind, row) in enumerate(cases)]
    report["summary"] = explainability_summary(report)
    return report
