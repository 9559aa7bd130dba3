"""Long-term storage: content-addressed, verified on every read, skops with recorded types."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from backend.domain import ArtifactRef
from backend.errors import ArtifactIntegrityError
from backend.registry.artifacts import ArtifactStore
from backend.registry.model_io import dump_estimator, load_estimator


def _ref(blob, kind="model"):
    return ArtifactRef(model="credit-risk", version=4, kind=kind, uri=blob.uri, sha256=blob.sha256,
                       size_bytes=blob.size_bytes, created_at=datetime.now(UTC))


def test_store_and_read_back(tmp_path):
    store = ArtifactStore(tmp_path)
    blob = store.put_bytes(b"hello")
    assert blob.uri == f"cas://sha256/{blob.sha256}" and blob.size_bytes == 5
    assert store.read_bytes(_ref(blob)) == b"hello"
    assert store.put_bytes(b"hello") == blob  # same bytes, stored once


def test_changed_file_is_refused_naming_the_artifact(tmp_path):
    store = ArtifactStore(tmp_path)
    blob = store.put_bytes(b"model bytes")
    path = store.path_of(_ref(blob))
    path.chmod(0o644)
    path.write_bytes(b"model bytez")
    with pytest.raises(ArtifactIntegrityError) as caught:
        store.read_bytes(_ref(blob))
    assert caught.value.code == "artifact_tampered"
    assert "model artifact of credit-risk version 4" in caught.value.message
    assert "changed after it was stored" in caught.value.message


def test_missing_file_is_refused(tmp_path):
    store = ArtifactStore(tmp_path)
    blob = store.put_bytes(b"x")
    store.path_of(_ref(blob)).unlink()
    with pytest.raises(ArtifactIntegrityError, match="is missing from long-term storage"):
        store.read_bytes(_ref(blob))


def test_stored_blobs_are_read_only(tmp_path):
    store = ArtifactStore(tmp_path)
    blob = store.put_bytes(b"x")
    assert store.path_of(_ref(blob)).stat().st_mode & 0o222 == 0


def test_estimator_round_trip_with_recorded_types():
    X, y = np.random.default_rng(0).normal(size=(50, 3)), np.arange(50) % 2
    model = LogisticRegression().fit(X, y)
    data, trusted = dump_estimator(model)
    loaded = load_estimator(data, trusted, name="the test model")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_types_not_recorded_at_save_time_are_refused():
    from sklearn.compose import ColumnTransformer, make_column_selector

    model = ColumnTransformer([("n", "passthrough", make_column_selector(dtype_include="number"))])
    data, trusted = dump_estimator(model)
    assert any("make_column_selector" in t for t in trusted)
    with pytest.raises(ArtifactIntegrityError, match="needs types that were not recorded"):
        load_estimator(data, [], name="the test model")
