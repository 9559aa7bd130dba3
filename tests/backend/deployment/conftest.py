"""Fixtures for the gateway tests: a served model and the gateway around it, in this process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.deployment.gateway import Gateway
from backend.deployment.http_api import create_api
from tests.factories import put_in_production, trained_version


@pytest.fixture
def loan_in_production(app) -> int:
    """``loan-model`` version 1 (a real logistic regression) in production."""
    number = trained_version(app, "loan-model")
    put_in_production(app, "loan-model", number)
    return number


@pytest.fixture
def gateway(app) -> Gateway:
    return Gateway(app, refresh_seconds=0.2, flush_seconds=0.2)


@pytest.fixture
def http(gateway) -> TestClient:
    """The gateway's HTTP API in this process (started and stopped with the client)."""
    with TestClient(create_api(gateway)) as client:
        yield client
