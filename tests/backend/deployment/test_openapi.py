"""The gateway's own OpenAPI document, driven by schemathesis against a gateway process on
loopback: whatever a client sends, no 5xx and no response that breaks the document."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.deployment.http_api import create_api
from backend.deployment.server import local_gateway
from tests.factories import put_in_production, trained_version

# The document is built by the same code that serves it; the test below checks they are equal.
DOCUMENT = create_api(None, manage_lifecycle=False).openapi()  # type: ignore[arg-type]
schema = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory, sqlite_template):
    """A gateway process serving a database with ``loan-model`` in production."""
    import shutil

    from backend.app import App
    from backend.config import Settings

    folder = tmp_path_factory.mktemp("openapi")
    shutil.copy(sqlite_template, folder / "greenlight.db")
    settings = Settings(home=folder / "home", db_url=f"sqlite:///{folder / 'greenlight.db'}",
                        artifacts_dir=folder / "artifacts")
    app = App.open(settings)
    put_in_production(app, "loan-model", trained_version(app, "loan-model"))
    app.close()
    with local_gateway(settings) as url:
        yield url


def test_the_document_is_the_one_served(gateway_url):
    assert httpx.get(f"{gateway_url}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_answer_fits_the_document(case, gateway_url):
    case.call_and_validate(base_url=gateway_url, checks=CHECKS)
    if "name" in (case.path_parameters or {}):
        case.path_parameters = {**case.path_parameters, "name": "loan-model"}  # reach the model's own checks
        case.call_and_validate(base_url=gateway_url, checks=CHECKS)
