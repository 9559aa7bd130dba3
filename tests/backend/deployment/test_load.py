"""Under load, while a promotion happens: no 5xx, every request logged exactly once, the
canary's share as configured. Gateway processes on 127.0.0.1; bounded in count and time."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter

import httpx
import pytest

from backend.deployment.routing import choose_slot
from backend.deployment.server import local_gateway
from backend.registry.prediction_log import PredictionLog
from tests.factories import put_in_production, trained_version
from tests.serving_factories import promote_canary, start_canary

MODEL = "loan-model"
ROW = {"income": 48.0, "tenure": 7}


class Client(threading.Thread):
    """Sends its share of single-row requests over one keep-alive connection; records answers."""

    def __init__(self, url: str, keys: list[str], answers: list, deadline: float):
        super().__init__(daemon=True)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.address = (host, int(port))
        self.keys, self.answers, self.deadline = keys, answers, deadline

    def run(self) -> None:
        conn = http.client.HTTPConnection(*self.address, timeout=30)
        for key in self.keys:
            if time.monotonic() > self.deadline:
                break
            body = json.dumps({"rows": [ROW], "routing_key": key})
            conn.request("POST", f"/v1/models/{MODEL}/predict", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            self.answers.append((key, response.status, json.loads(payload) if response.status == 200 else payload))
        conn.close()


@pytest.mark.gateway
@pytest.mark.timeout(900)
def test_20000_requests_while_the_canary_is_promoted(sqlite_app):
    app = sqlite_app
    # Logistic regressions on numbers: the gateway's own arithmetic serves them (checked against
    # scikit-learn when loaded), so 20,000 requests fit in a test run on a busy 2-core machine.
    champion = trained_version(app, MODEL, numbers_only=True)
    put_in_production(app, MODEL, champion)
    challenger = trained_version(app, MODEL, seed=2, shift=0.3, numbers_only=True)
    start_canary(app, MODEL, challenger, percent=20)

    total, clients, promote_after = 20_000, 4, 8_000
    keys = [f"customer-{i}" for i in range(total)]
    answers: list = []
    with local_gateway(app.settings, refresh_seconds=0.5) as url:
        deadline = time.monotonic() + 600  # the loop stops by itself, whatever happens
        threads = [Client(url, keys[i::clients], answers, deadline) for i in range(clients)]
        for thread in threads:
            thread.start()
        while len(answers) < promote_after and any(t.is_alive() for t in threads):
            time.sleep(0.01)
        promote_canary(app, MODEL)  # the registry's guarded moves, while the clients keep sending
        for thread in threads:
            thread.join()
        assert httpx.get(f"{url}/v1/models/{MODEL}").json()["production"] == challenger
    # The gateway has stopped gracefully: its waiting log rows are written.

    assert len(answers) == total, "the clients stopped at their deadline"
    statuses = Counter(status for _, status, _ in answers)
    assert statuses == {200: total}, statuses

    served = {a["request_id"]: (key, a["slot"], a["version"]) for key, _, a in answers}
    assert len(served) == total
    log = PredictionLog(app.artifacts.root).read("predictions", MODEL,
                                                 columns=["request_id", "slot", "version", "routing_key"])
    logged = log.column("request_id").to_pylist()
    assert len(logged) == total and set(logged) == set(served), "every request logged exactly once"
    for rid, slot, version, key in zip(*(log.column(c).to_pylist() for c in ("request_id", "slot", "version",
                                                                           "routing_key")), strict=True):
        assert served[rid] == (key, slot, version)

    # Before the promotion every key went where its hash sends it, and the canary had its share.
    before = [(key, slot) for key, slot, version in served.values() if slot == "canary" or version == champion]
    assert len(before) >= promote_after
    assert all(slot == choose_slot(MODEL, key, 20, has_canary=True) for key, slot in before)
    share = sum(slot == "canary" for _, slot in before) / len(before)
    assert abs(share - 0.20) <= 0.02, share
    # After it, everything is served by the new production version.
    last = [answers[i][2] for i in range(total - 500, total)]
    assert all((a["slot"], a["version"]) == ("production", challenger) for a in last)
