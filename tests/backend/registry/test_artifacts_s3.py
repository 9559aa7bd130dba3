"""The artifact store on S3: the same content addressing and SHA-256 checks as on disk.

Against the local S3-compatible server (moto) that ``make test`` starts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import fsspec
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from backend.app import App
from backend.config import Settings
from backend.domain import ArtifactRef
from backend.errors import ArtifactIntegrityError
from backend.registry.artifacts import ArtifactStore
from backend.registry.loaded_model import load_model
from backend.registry.model_io import dump_estimator
from backend.registry.prediction_log import PredictionLog


def _ref(blob, kind="model", meta=None):
    return ArtifactRef(model="credit-risk", version=4, kind=kind, uri=blob.uri, sha256=blob.sha256,
                       size_bytes=blob.size_bytes, created_at=datetime.now(UTC), meta=meta or {})


def _object_store() -> fsspec.AbstractFileSystem:
    return fsspec.filesystem("s3", skip_instance_cache=True)


def test_round_trip_on_s3(s3_root):
    store = ArtifactStore(s3_root)
    blob = store.put_bytes(b"hello s3")
    assert blob.uri == f"cas://sha256/{blob.sha256}"
    assert store.read_bytes(_ref(blob)) == b"hello s3"
    assert store.put_bytes(b"hello s3") == blob
    url = store.path_of(_ref(blob))
    assert url == f"{s3_root}/sha256/{blob.sha256[:2]}/{blob.sha256}"
    # Another process (or machine) opening the same URL reads the same blob.
    assert ArtifactStore(s3_root).read_bytes(_ref(blob)) == b"hello s3"
    assert _object_store().cat_file(url) == b"hello s3"


def test_changed_object_is_refused_naming_the_artifact(s3_root):
    store = ArtifactStore(s3_root)
    blob = store.put_bytes(b"model bytes")
    _object_store().pipe_file(store.path_of(_ref(blob)), b"model bytez")
    with pytest.raises(ArtifactIntegrityError) as caught:
        store.read_bytes(_ref(blob))
    assert caught.value.code == "artifact_tampered"
    assert "model artifact of credit-risk version 4" in caught.value.message
    assert "changed after it was stored" in caught.value.message
    with pytest.raises(ArtifactIntegrityError):
        store.verify(_ref(blob))


def test_a_tampered_object_is_stored_again_whole(s3_root):
    store = ArtifactStore(s3_root)
    blob = store.put_bytes(b"original")
    _object_store().pipe_file(store.path_of(_ref(blob)), b"tampered")
    assert store.put_bytes(b"original") == blob
    assert store.read_bytes(_ref(blob)) == b"original"


def test_missing_object_is_refused(s3_root):
    store = ArtifactStore(s3_root)
    blob = store.put_bytes(b"x")
    _object_store().rm(store.path_of(_ref(blob)))
    with pytest.raises(ArtifactIntegrityError, match="is missing from long-term storage"):
        store.read_bytes(_ref(blob))


def test_a_model_loads_from_s3_only_after_its_check(s3_root):
    X, y = np.random.default_rng(0).normal(size=(60, 3)), np.arange(60) % 2
    estimator = LogisticRegression().fit(X, y)
    data, trusted = dump_estimator(estimator)
    store = ArtifactStore(s3_root)
    ref = _ref(store.put_bytes(data), meta={"trusted_types": trusted})
    loaded = load_model(store, ref, schema={"a": "number", "b": "number", "c": "number"}, task="classification")
    np.testing.assert_array_equal(loaded.estimator.predict_proba(X), estimator.predict_proba(X))
    _object_store().pipe_file(store.path_of(ref), data[:-10] + b"0123456789")
    with pytest.raises(ArtifactIntegrityError, match="changed after it was stored"):
        load_model(store, ref, schema={"a": "number", "b": "number", "c": "number"}, task="classification")


def test_the_setting_and_the_fresh_process_root_keep_the_url(s3_root, tmp_path):
    settings = Settings.from_env({"GREENLIGHT_HOME": str(tmp_path), "GREENLIGHT_ARTIFACTS": s3_root + "/"})
    assert settings.artifacts_dir == s3_root
    app = App.open(settings)
    try:
        assert app.artifacts.root == s3_root and not app.artifacts.is_local
        blob = app.artifacts.put_bytes(b"shared")
        # Fresh-process workers get str(root); a Path around a URL (as some callers build) still works.
        for root in (str(app.artifacts.root), Path(str(app.artifacts.root))):
            assert ArtifactStore(root).read_bytes(_ref(blob)) == b"shared"
    finally:
        app.close()


def test_the_prediction_log_writes_to_the_same_store(s3_root):
    log = PredictionLog(ArtifactStore(s3_root).root)
    row = {"request_id": "r1", "version": 1, "slot": "production", "ts": datetime(2026, 5, 1, tzinfo=UTC),
           "latency_ms": 1.0, "routing_key": "k", "client": None, "simulated": False, "score": 0.3,
           "decision": "no", "error": None, "input:x": 1.5}
    log.write_predictions("m", [row], {"x": "number"})
    table = log.read("predictions", "m")
    assert table.column("request_id").to_pylist() == ["r1"]
    assert table.column("input:x").to_pylist() == [1.5]


def test_local_stores_are_unchanged(tmp_path):
    store = ArtifactStore(tmp_path)
    assert store.is_local and store.root == tmp_path
    blob = store.put_bytes(b"local")
    assert store.path_of(_ref(blob)) == tmp_path / "sha256" / blob.sha256[:2] / blob.sha256
