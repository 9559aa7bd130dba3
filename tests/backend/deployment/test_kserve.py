"""The KServe export, checked against the InferenceService schema vendored from KServe's CRD
(see the header of ``kserve/inferenceservice_v1beta1.yaml`` for its source and licence)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from backend.errors import InvalidData, InvalidTransition
from tests.factories import approve_all, put_in_production, validated_version
from tests.serving_factories import canary_in_flight

CRD = yaml.safe_load((Path(__file__).parent / "kserve" / "inferenceservice_v1beta1.yaml").read_text())
VERSION = next(v for v in CRD["spec"]["versions"] if v["name"] == "v1beta1")
SCHEMA = VERSION["schema"]["openAPIV3Schema"]
#: ObjectMeta is validated by the API server itself; these are the fields an export may set.
OBJECT_META = {"name", "namespace", "labels", "annotations"}
URI = "s3://models/{model}/v{version}"


def undeclared(value, schema, path="") -> list[str]:
    """Every key of ``value`` the schema does not declare: what strict field validation refuses."""
    found = []
    if isinstance(value, dict):
        if path == ".metadata":
            return [f"{path}.{k}" for k in value if k not in OBJECT_META]
        if schema.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in schema:
            inner = schema.get("additionalProperties")
            return [p for k, v in value.items() for p in undeclared(v, inner, f"{path}.{k}")] if isinstance(
                inner, dict) else []
        declared = schema.get("properties", {})
        for key, item in value.items():
            if key not in declared:
                found.append(f"{path}.{key}")
            else:
                found += undeclared(item, declared[key], f"{path}.{key}")
    return found


def valid(manifest) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(manifest)
    assert not undeclared(manifest, SCHEMA), undeclared(manifest, SCHEMA)
    group, version = manifest["apiVersion"].split("/")
    assert (group, version, manifest["kind"]) == (CRD["spec"]["group"], VERSION["name"], CRD["spec"]["names"]["kind"])


def test_the_vendored_schema_catches_what_kubernetes_refuses():
    good = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "m"},
            "spec": {"predictor": {"canaryTrafficPercent": 10, "model": {"modelFormat": {"name": "sklearn"},
                                                                         "storageUri": "s3://m"}}}}
    valid(good)
    with pytest.raises(jsonschema.ValidationError):
        valid({**good, "spec": {"predictor": {"canaryTrafficPercent": "10%"}}})
    with pytest.raises(jsonschema.ValidationError):
        valid({**good, "spec": {}})  # the predictor is required
    assert undeclared({**good, "spec": {"predictor": {"canaryPercent": 10}}}, SCHEMA) == [".spec.predictor.canaryPercent"]


def test_a_canary_exports_with_its_share_of_traffic(sqlite_app):
    app = sqlite_app
    first, second = canary_in_flight(app, traffic_percent=12.5)
    manifest = app.deployments.kserve_manifest("loan-model", namespace="risk-models", storage_uri=URI,
                                               runtime="greenlight-skops")
    valid(manifest)
    predictor = manifest["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 13  # KServe takes whole percents
    assert predictor["model"] == {"modelFormat": {"name": "sklearn"}, "storageUri": f"s3://models/loan-model/v{second}",
                                  "runtime": "greenlight-skops"}
    annotations = manifest["metadata"]["annotations"]
    assert annotations["greenlight/canary-traffic-percent"] == "12.5"
    assert annotations["greenlight/production-version"] == str(first)
    assert annotations["greenlight/model-sha256"] == app.registry.get_artifact("loan-model", second, "model").sha256
    assert manifest["metadata"]["namespace"] == "risk-models"


def test_production_alone_exports_without_a_canary_share(sqlite_app):
    app = sqlite_app
    number = validated_version(app, "loan-model")
    approve_all(app, "loan-model", number)
    put_in_production(app, "loan-model", number)
    manifest = app.deployments.kserve_manifest("loan-model", storage_uri=URI)
    valid(manifest)
    assert "canaryTrafficPercent" not in manifest["spec"]["predictor"]
    assert manifest["metadata"]["name"] == "loan-model"


def test_what_cannot_be_exported_is_refused_with_the_reason(sqlite_app):
    app = sqlite_app
    number = validated_version(app, "loan-model")
    with pytest.raises(InvalidTransition, match="nothing in production"):
        app.deployments.kserve_manifest("loan-model", storage_uri=URI)
    put_in_production(app, "loan-model", number)
    with pytest.raises(InvalidData, match="cluster cannot read") as caught:
        app.deployments.kserve_manifest("loan-model")
    assert caught.value.code == "storage_uri_required"
    with pytest.raises(InvalidData, match="cannot name a KServe InferenceService"):
        app.deployments.kserve_manifest("loan-model", storage_uri=URI, name="2-Loan")
    assert app.deployments.kserve_manifest("loan-model", storage_uri=URI, name="loans")["metadata"]["name"] == "loans"
