"""Two gateway processes on one PostgreSQL database: a promotion made through one registry
call is served by both, without a restart and without a failed request."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import httpx
import pytest

from backend.deployment.server import local_gateway
from tests.factories import put_in_production, trained_version
from tests.serving_factories import promote_canary, start_canary

ROW = {"income": 55.0, "tenure": 4, "region": "west"}


@pytest.mark.gateway
@pytest.mark.timeout(600)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_promotion_reaches_both_gateways(app):
    champion = trained_version(app, "loan-model")
    put_in_production(app, "loan-model", champion)
    challenger = trained_version(app, "loan-model", seed=6, shift=-0.4)
    start_canary(app, "loan-model", challenger, percent=10)

    with ExitStack() as stack:
        urls = [stack.enter_context(local_gateway(app.settings, refresh_seconds=0.5)) for _ in range(2)]
        for url in urls:
            assert httpx.get(f"{url}/v1/models/loan-model").json()["production"] == champion

        statuses: list[int] = []
        stop = threading.Event()

        def keep_asking(url: str) -> None:
            with httpx.Client(base_url=url, timeout=30) as client:
                i = 0
                while not stop.is_set() and i < 20_000:
                    i += 1
                    answer = client.post("/v1/models/loan-model/predict",
                                         json={"rows": [ROW], "routing_key": f"k{i}"})
                    statuses.append(answer.status_code)

        askers = [threading.Thread(target=keep_asking, args=(url,), daemon=True) for url in urls]
        for asker in askers:
            asker.start()
        time.sleep(1)
        promote_canary(app, "loan-model")

        deadline = time.monotonic() + 60
        following = set()
        while len(following) < 2:
            assert time.monotonic() < deadline, "a gateway did not follow the promotion"
            for url in urls:
                state = httpx.get(f"{url}/v1/models/loan-model").json()
                answer = httpx.post(f"{url}/v1/models/loan-model/predict", json={"rows": [ROW]}).json()
                if (state["production"], state["canary"], answer["version"]) == (challenger, None, challenger):
                    following.add(url)
            time.sleep(0.2)
        stop.set()
        for asker in askers:
            asker.join(timeout=60)
    assert statuses and set(statuses) == {200}
