"""Reports as artifacts: stored once by the pipeline, read by the portal.

The JSON is canonical (sorted keys, no NaN), so the SHA-256 a sign-off binds to identifies
exactly what the reviewer saw.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backend.domain import ArtifactRef
from backend.errors import InvalidData, NotFound

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["VersionReports", "ModelCardFile", "store_json", "store_bytes", "load_reports", "load_test_scores",
           "load_model_card", "jsonable", "REPORT_KINDS"]

FAIRNESS_KIND, EXPLAINABILITY_KIND = "fairness_report", "explainability_report"
CARD_KINDS = {"markdown": "model_card_md", "html": "model_card_html"}
REPORT_KINDS = (FAIRNESS_KIND, EXPLAINABILITY_KIND, *CARD_KINDS.values(), "test_scores")


def jsonable(value: Any) -> Any:
    """Numpy numbers as Python numbers, NaN and infinity as None, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def store_bytes(app: App, model: str, version: int, *, kind: str, data: bytes, meta: dict[str, Any],
                actor: str) -> ArtifactRef:
    blob = app.artifacts.put_bytes(data)
    return app.registry.add_artifact(model, version, kind=kind, uri=blob.uri, sha256=blob.sha256,
                                     size_bytes=blob.size_bytes, meta=meta, actor=actor)


def store_json(app: App, model: str, version: int, *, kind: str, payload: dict[str, Any], actor: str) -> ArtifactRef:
    """Store ``payload`` as canonical JSON under ``kind``; return its reference (with SHA-256)."""
    data = json.dumps(jsonable(payload), sort_keys=True, allow_nan=False, ensure_ascii=False).encode("utf-8")
    return store_bytes(app, model, version, kind=kind, data=data,
                       meta={"format": "json", "schema_version": payload.get("schema_version", 1)}, actor=actor)


@dataclass(frozen=True)
class VersionReports:
    """What the pipeline wrote about a version's fairness and explainability.

    ``fairness`` and ``explainability`` are the stored reports (None when the pipeline stopped
    before writing them); the ``*_sha256`` fields are what a sign-off is bound to.
    """

    model: str
    version: int
    fairness: dict[str, Any] | None
    explainability: dict[str, Any] | None
    fairness_sha256: str | None
    explainability_sha256: str | None
    model_card_sha256: dict[str, str]  # format ("markdown", "html") → SHA-256
    has_test_scores: bool

    @property
    def complete(self) -> bool:
        return self.fairness is not None and self.explainability is not None


@dataclass(frozen=True)
class ModelCardFile:
    """A model card ready to download."""

    content: bytes
    sha256: str
    filename: str
    mime: str


def _read_json(app: App, ref: ArtifactRef | None) -> dict[str, Any] | None:
    return None if ref is None else json.loads(app.artifacts.read_bytes(ref))


def load_reports(app: App, model: str, version: int) -> VersionReports:
    """The stored reports of ``model`` version ``version``, checked against their SHA-256.

    Raises :class:`~backend.errors.NotFound` when the model or version does not exist, and
    :class:`~backend.errors.ArtifactIntegrityError` when a stored report was changed.
    """
    refs = {ref.kind: ref for ref in app.registry.list_artifacts(model, version)}
    fairness, explainability = refs.get(FAIRNESS_KIND), refs.get(EXPLAINABILITY_KIND)
    return VersionReports(
        model=model, version=version,
        fairness=_read_json(app, fairness), explainability=_read_json(app, explainability),
        fairness_sha256=fairness.sha256 if fairness else None,
        explainability_sha256=explainability.sha256 if explainability else None,
        model_card_sha256={fmt: refs[kind].sha256 for fmt, kind in CARD_KINDS.items() if kind in refs},
        has_test_scores="test_scores" in refs,
    )


def load_test_scores(app: App, model: str, version: int) -> pd.DataFrame:
    """The stored test-set scores: ``y_true``, ``score``, ``sensitive:<column>`` and ``group:<feature>``."""
    ref = app.registry.get_artifact(model, version, "test_scores")
    return pd.read_parquet(io.BytesIO(app.artifacts.read_bytes(ref)))


def load_model_card(app: App, model: str, version: int, fmt: str = "html") -> ModelCardFile:
    """The stored model card of a version as ``"html"`` (one self-contained file) or ``"markdown"``."""
    if fmt not in CARD_KINDS:
        raise InvalidData(f"A model card comes as 'html' or 'markdown', not {fmt!r}.")
    try:
        ref = app.registry.get_artifact(model, version, CARD_KINDS[fmt])
    except NotFound:
        raise NotFound(f"Version {version} of '{model}' has no model card yet.") from None
    suffix, mime = (".html", "text/html") if fmt == "html" else (".md", "text/markdown")
    return ModelCardFile(content=app.artifacts.read_bytes(ref), sha256=ref.sha256,
                         filename=f"{model}-v{version}-model-card{suffix}", mime=mime)
