"""A gateway whose artifact store is S3: it loads the verified model from the bucket and writes
the prediction log there, so gateways on several machines share one store."""

from __future__ import annotations

import shutil

import fsspec
from fastapi.testclient import TestClient

from backend.app import App
from backend.config import Settings
from backend.deployment.gateway import Gateway
from backend.deployment.http_api import create_api
from tests.factories import put_in_production, trained_version


def test_a_gateway_serves_from_s3_and_logs_there(tmp_path, sqlite_template, s3_root):
    shutil.copy(sqlite_template, tmp_path / "greenlight.db")
    app = App.open(Settings(home=tmp_path / "home", db_url=f"sqlite:///{tmp_path / 'greenlight.db'}",
                            artifacts_dir=s3_root))
    try:
        number = trained_version(app, "loan-model")
        put_in_production(app, "loan-model", number)
        gateway = Gateway(app, refresh_seconds=60, flush_seconds=60)
        with TestClient(create_api(gateway)) as http:
            answer = http.post("/v1/models/loan-model/predict",
                               json={"rows": [{"income": 40, "tenure": 5, "region": "east"}]})
            assert answer.status_code == 200 and answer.json()["version"] == number
        # Stopping the gateway wrote the batch, to the bucket.
        files = fsspec.filesystem("s3", skip_instance_cache=True).find(f"{s3_root}/prediction-log/predictions")
        assert len(files) == 1 and "model=loan-model" in files[0]
        assert gateway.writer.log.read("predictions", "loan-model").column("request_id").to_pylist() == \
            [answer.json()["request_id"]]
    finally:
        app.close()
