"""A version as the gateway serves it: the verified model, its schema and its decision.

Loaded once per (model, version, SHA-256) and kept while any slot serves it. A faster scorer
skips scikit-learn's per-call checks where it can: a linear pipeline's own arithmetic
(:mod:`backend.deployment.linear`, also behind one-hot encoders), else, for a model whose
inputs are all numbers, a copy of the estimator without pandas' feature-name bookkeeping. One
is used only after it gave the stored model's scores on every one of the version's sample rows,
alone and together; rows with a missing value always go to the stored model.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backend.deployment.inputs import TypedRows, check_rows
from backend.deployment.linear import compile_linear, compile_tabular
from backend.errors import GreenlightError, NotFound
from backend.registry.artifacts import ArtifactStore
from backend.registry.loaded_model import LoadedModel, load_model
from backend.registry.schema import apply_schema

if TYPE_CHECKING:
    from backend.registry.store import Registry

__all__ = ["ServedVersion", "load_served_version", "negative_label"]

#: The fast path must give the stored model's scores to this absolute tolerance.
FAST_PATH_TOLERANCE = 1e-12
_COMPLEMENTS = {"1": "0", "0": "1", "True": "False", "False": "True", "true": "false", "false": "true",
                "yes": "no", "no": "yes", "Yes": "No", "No": "Yes", "1.0": "0.0", "0.0": "1.0"}


def negative_label(positive: str | None) -> str:
    """The other outcome's text (only the positive one is recorded with a version)."""
    if positive is None:
        return "negative"
    return _COMPLEMENTS.get(positive, f"not {positive}")


@dataclass
class ServedVersion:
    model: str
    version: int
    sha256: str
    task: str
    schema: dict[str, str]
    loaded: LoadedModel
    positive_label: str | None = None
    fast_scorer: Callable[[TypedRows], np.ndarray | None] | None = None
    load_seconds: float = 0.0
    input_types: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.input_types = dict(self.schema)

    @property
    def threshold(self) -> float:
        return self.loaded.threshold

    def _predict(self, estimator: Any, X: Any) -> np.ndarray:
        if self.task == "classification":
            return estimator.predict_proba(X)[:, 1]
        return np.asarray(estimator.predict(X), dtype=np.float64)

    def score(self, rows: TypedRows) -> np.ndarray:
        """Scores of typed rows (raises whatever the estimator raises)."""
        if self.fast_scorer is not None:
            scores = self.fast_scorer(rows)
            if scores is not None:  # else a missing value: the stored model decides what it means
                return scores
        return np.asarray(self.loaded.score_prepared(rows.frame()), dtype=np.float64)

    def score_each(self, rows: TypedRows) -> tuple[list[float | None], list[str | None]]:
        """Scores, or for each row that cannot be scored, why (the other rows still are)."""
        try:
            scores = self.score(rows)
            if np.all(np.isfinite(scores)):
                return [float(s) for s in scores], [None] * len(scores)
        except Exception:  # noqa: BLE001  (a row the model cannot score; find which, below)
            pass
        out: list[float | None] = []
        errors: list[str | None] = []
        for i in range(len(rows)):
            single = TypedRows(schema=rows.schema, columns={k: [v[i]] for k, v in rows.columns.items()})
            try:
                value = float(self.score(single)[0])
                if not np.isfinite(value):
                    raise ValueError(f"the model returned {value}")
                out.append(value)
                errors.append(None)
            except Exception as exc:  # noqa: BLE001
                out.append(None)
                errors.append(f"{type(exc).__name__}: {exc}"[:500])
        return out, errors

    def decision(self, score: float | None) -> str | None:
        if score is None or self.task != "classification":
            return None
        return self.positive_label if score >= self.threshold else negative_label(self.positive_label)


def _without_feature_names(estimator: Any) -> Any:
    """A copy that takes a plain array in schema order (same coefficients, no name check)."""
    clone = copy.deepcopy(estimator)
    parts = [step for _, step in getattr(clone, "steps", [])] or [clone]
    for part in parts:
        if "feature_names_in_" in vars(part):
            del part.feature_names_in_
    return clone


def _on_matrix(scorer: Callable[[np.ndarray], np.ndarray]) -> Callable[[TypedRows], np.ndarray | None]:
    def score(rows: TypedRows) -> np.ndarray | None:
        X = rows.matrix()
        return scorer(X) if np.isfinite(X).all() else None

    return score


def _candidates(served: ServedVersion) -> list[Callable[[TypedRows], np.ndarray | None]]:
    estimator = served.loaded.estimator
    if all(kind == "number" for kind in served.schema.values()):
        names = getattr(estimator, "feature_names_in_", None)
        if names is None or list(names) != list(served.schema):
            return []
        found = []
        linear = compile_linear(estimator, served.task)
        if linear is not None:
            found.append(_on_matrix(linear))
        stripped = _without_feature_names(estimator)
        found.append(_on_matrix(lambda X: served._predict(stripped, X)))
        return found
    tabular = compile_tabular(estimator, served.task, served.schema)
    return [lambda rows: tabular(rows.columns)] if tabular is not None else []


def _fast_path(served: ServedVersion, sample: pd.DataFrame | None) -> Callable[[TypedRows], np.ndarray | None] | None:
    """The first faster scorer that gives the stored model's scores on the sample, or None."""
    if not served.schema or sample is None or sample.empty:
        return None
    try:
        candidates = _candidates(served)
    except Exception:  # noqa: BLE001  (an estimator this cannot read: serve it as stored)
        return None
    X = apply_schema(sample, served.schema, "sample")
    complete = X.dropna()  # rows with a missing value go to the stored model anyway
    if complete.empty:
        return None
    expected = np.asarray(served._predict(served.loaded.estimator, complete), dtype=np.float64)
    records = complete.to_dict(orient="records")
    every = check_rows(records, served.schema)
    singles = [check_rows([r], served.schema) for r in records]
    for scorer in candidates:
        try:
            got = scorer(every)
            one_by_one = [scorer(single) for single in singles]
            if got is None or any(s is None for s in one_by_one):
                continue
            single = np.concatenate([np.asarray(s, dtype=np.float64) for s in one_by_one])
        except Exception:  # noqa: BLE001  (it cannot take these rows: try the next, else serve as stored)
            continue
        got = np.asarray(got, dtype=np.float64)
        if got.shape == expected.shape == single.shape and \
                np.allclose(got, expected, rtol=0, atol=FAST_PATH_TOLERANCE) and \
                np.allclose(single, expected, rtol=0, atol=FAST_PATH_TOLERANCE):
            return scorer
    return None


def load_served_version(registry: Registry, store: ArtifactStore, model: str, number: int, *, task: str) -> ServedVersion:
    """Verify and load ``model`` version ``number`` for serving (raises if it cannot be)."""
    started = time.perf_counter()
    version = registry.get_version(model, number)
    schema = (version.input_schema or {}).get("columns")
    if not schema:
        raise NotFound(f"{model} version {number} has no recorded input schema, so it cannot serve.")
    ref = registry.get_artifact(model, number, "model")
    positive = (version.input_schema or {}).get("positive_label")
    loaded = load_model(store, ref, schema=schema, task=task, positive_label=positive)
    served = ServedVersion(model=model, version=number, sha256=ref.sha256, task=task, schema=schema, loaded=loaded,
                           positive_label=positive)
    try:
        sample_ref = registry.get_artifact(model, number, "sample")
        sample = pd.read_parquet(io.BytesIO(store.read_bytes(sample_ref)))
    except GreenlightError:
        sample = None
    served.fast_scorer = _fast_path(served, sample)
    served.load_seconds = time.perf_counter() - started
    return served
