"""A KServe ``InferenceService`` (``serving.kserve.io/v1beta1``) for teams that serve on Kubernetes.

KServe's canary rollout works on revisions: applying a new predictor with
``canaryTrafficPercent: N`` sends N% of the traffic to the new revision and the rest to the
last one rolled out. So the manifest describes what Greenlight serves now:

* no canary: the production version's model, without ``canaryTrafficPercent``;
* a canary: the canary's model with ``canaryTrafficPercent`` at its share (applied over the
  production manifest, KServe keeps production as the previous revision for the rest).

After a promotion, export again and apply: without ``canaryTrafficPercent`` KServe moves all
traffic to the latest revision. The model file is a skops file (never a pickle); the
annotations carry its SHA-256 and trusted-type format, for the serving runtime to check.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from backend.domain import ArtifactRef, Model, ServingState
from backend.errors import InvalidData, InvalidTransition

__all__ = ["inference_service", "to_yaml", "API_VERSION", "KIND"]

API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"
_PREFIX = "greenlight"
#: KServe names an InferenceService like a Kubernetes service: an RFC 1035 label.
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def _service_name(model: str, name: str | None) -> str:
    chosen = name or model
    if len(chosen) <= 63 and _DNS_1035.match(chosen):
        return chosen
    raise InvalidData(f"'{chosen}' cannot name a KServe InferenceService: it needs a lowercase letter first, then at "
                      "most 62 lowercase letters, digits or hyphens, not ending with a hyphen. Choose one with --name.",
                      code="invalid_service_name")


def _storage_uri(template: str | None, model: str, version: int, ref: ArtifactRef, store_location: str) -> str:
    if template:
        return template.format(model=model, version=version, sha256=ref.sha256)
    if "://" in store_location:
        return store_location
    raise InvalidData(
        f"Greenlight's artifact store is a folder on this machine, which a Kubernetes cluster cannot read. Copy the "
        f"model file of {model} version {version} (SHA-256 {ref.sha256}) where the cluster reads models, and pass "
        "its address with --storage-uri (it may use {model}, {version} and {sha256}).", code="storage_uri_required")


def inference_service(model: Model, serving: ServingState, models: dict[int, ArtifactRef],
                      locations: dict[int, str], *, name: str | None = None, namespace: str | None = None,
                      storage_uri: str | None = None, runtime: str | None = None) -> dict[str, Any]:
    """The manifest as a dict.

    Parameters
    ----------
    model : Model
    serving : ServingState
        What serves now: production, and the canary with its share.
    models, locations : dict
        The model artifact of each serving version, and where the store keeps its bytes.
    storage_uri : str, optional
        Where the cluster reads the model (``{model}``, ``{version}``, ``{sha256}`` are filled in).
    runtime : str, optional
        The KServe ``ServingRuntime`` that loads skops files.
    name : str, optional
        The InferenceService's name (default: the model's, when Kubernetes accepts it).
    """
    service = _service_name(model.name, name)
    if serving.production is None:
        raise InvalidTransition(f"{model.name} has nothing in production, so there is nothing to serve on "
                                "Kubernetes yet.", code="no_production")
    serves = serving.canary if serving.canary is not None else serving.production
    ref = models[serves]
    predictor_model: dict[str, Any] = {
        "modelFormat": {"name": "sklearn"},
        "storageUri": _storage_uri(storage_uri, model.name, serves, ref, locations[serves]),
    }
    if runtime:
        predictor_model["runtime"] = runtime
    predictor: dict[str, Any] = {"model": predictor_model}
    annotations = {
        f"{_PREFIX}/model": model.name,
        f"{_PREFIX}/version": str(serves),
        f"{_PREFIX}/model-sha256": ref.sha256,
        f"{_PREFIX}/model-format": "skops",
        f"{_PREFIX}/production-version": str(serving.production),
    }
    if serving.canary is not None:
        # KServe takes a whole percent; a share under 1% still sends the canary some traffic.
        predictor["canaryTrafficPercent"] = max(1, min(100, math.floor(serving.canary_percent + 0.5)))
        annotations[f"{_PREFIX}/canary-version"] = str(serving.canary)
        annotations[f"{_PREFIX}/canary-traffic-percent"] = f"{serving.canary_percent:g}"
    metadata: dict[str, Any] = {"name": service, "labels": {"app.kubernetes.io/managed-by": "greenlight"},
                                "annotations": annotations}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": {"predictor": predictor}}


def to_yaml(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False)
