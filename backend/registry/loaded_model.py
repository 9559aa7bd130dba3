"""The serving path: a verified, loaded model that scores records.

The pipeline measures latency through this same code, and the scoring gateway uses it, so
the numbers a reviewer sees are the numbers production gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backend.domain import ArtifactRef
from backend.registry.artifacts import ArtifactStore
from backend.registry.model_io import load_estimator
from backend.registry.schema import apply_schema

__all__ = ["LoadedModel", "load_model"]


@dataclass
class LoadedModel:
    """An estimator with the input schema it was trained on.

    ``score`` returns the probability of the positive outcome for a classifier, the
    prediction for a regressor.
    """

    estimator: Any
    schema: dict[str, str]
    task: str
    positive_label: str | None = None
    threshold: float = 0.5

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        X = apply_schema(frame, self.schema, "request")
        if self.task == "classification":
            return self.estimator.predict_proba(X)[:, 1]
        return np.asarray(self.estimator.predict(X), dtype=np.float64)

    def score_prepared(self, X: pd.DataFrame) -> np.ndarray:
        """Score a frame already typed with :func:`apply_schema` (the pipeline's own data)."""
        if self.task == "classification":
            return self.estimator.predict_proba(X)[:, 1]
        return np.asarray(self.estimator.predict(X), dtype=np.float64)

    def predict_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Score JSON-like records: what a client sends and gets back."""
        scores = self.score(pd.DataFrame.from_records(records))
        if self.task == "classification":
            return [{"score": float(s), "positive": bool(s >= self.threshold)} for s in scores]
        return [{"prediction": float(s)} for s in scores]


def load_model(store: ArtifactStore, ref: ArtifactRef, *, schema: dict[str, str], task: str,
               positive_label: str | None = None) -> LoadedModel:
    """Verify the artifact's SHA-256, then load it trusting only the types recorded with it.

    The team's own classes are imported from the spec's folder recorded with the artifact
    (``meta["code_folder"]``), in whatever process loads the model.
    """
    data = store.read_bytes(ref)
    name = f"the model of {ref.model} version {ref.version}"
    estimator = load_estimator(data, ref.meta.get("trusted_types", []), name=name,
                               code_folder=ref.meta.get("code_folder"))
    return LoadedModel(estimator=estimator, schema=schema, task=task, positive_label=positive_label)
