"""Alerts to a webhook, against a local HTTP server: a webhook that is down loses nothing."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from backend.errors import InvalidData
from backend.monitoring import MonitoringStore, check_webhook_url, run_monitoring
from tests.backend.monitoring.conftest import IMPORTANCE, SCHEMA, day, population
from tests.serving_factories import log_predictions, monitored_version

NOW = datetime(2026, 12, 1, tzinfo=UTC)


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802 (the http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"json": json.loads(body), "type": self.headers["Content-Type"]})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *_args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shifted_log(app, log):
    X, y, s = population(3000, 0)
    version = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE)
    Xp, _yp, sp = population(3000, 1, income_shift=1.0)
    log_predictions(log, "watched", version, Xp, sp, day(0), schema=SCHEMA)
    return version


def test_a_webhook_that_is_down_does_not_lose_the_alert(app, shifted_log):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/alerts"
    first = run_monitoring(app, actor="tester", now=NOW, webhook=url)  # nothing listens on the port
    assert first.summary["alerts_raised"] == 1 and first.summary["alerts_delivered"] == 0
    [alert] = MonitoringStore(app.db).alerts()
    assert alert.delivered_at is None and alert.delivery_attempts == 1 and "Connection refused" in alert.last_error

    _Receiver.received, _Receiver.status = [], 503
    server = HTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        second = run_monitoring(app, actor="tester", now=NOW, webhook=url)  # up, but failing
        assert second.summary["alerts_delivered"] == 0
        assert MonitoringStore(app.db).alerts()[0].last_error.startswith("HTTP 503")

        _Receiver.status = 200
        third = run_monitoring(app, actor="tester", now=NOW, webhook=url)
        assert third.summary["alerts_raised"] == 0 and third.summary["alerts_delivered"] == 1
        fourth = run_monitoring(app, actor="tester", now=NOW, webhook=url)
        assert fourth.summary["alerts_delivered"] == 0, "an accepted alert is not sent again"
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Receiver.received) == 2  # the 503 and the accepted one
    payload = _Receiver.received[-1]["json"]
    assert _Receiver.received[-1]["type"] == "application/json"
    assert payload["model"] == "watched" and payload["kind"] == "drift" and payload["severity"] in ("warning", "critical")
    assert payload["text"] == alert.sentence and payload["start"] == day(0).isoformat()
    [delivered] = MonitoringStore(app.db).alerts()
    assert delivered.delivered_at is not None and delivered.delivery_attempts == 3 and delivered.last_error is None
    assert [e.action for e in app.registry.audit_log(action_prefix="monitoring.alert")] == [
        "monitoring.alert_delivered", "monitoring.alert"]


def test_only_web_addresses_are_accepted():
    assert check_webhook_url("https://hooks.example/x") == "https://hooks.example/x"
    with pytest.raises(InvalidData, match="http:// or https://"):
        check_webhook_url("file:///etc/passwd")
