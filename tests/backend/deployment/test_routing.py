"""Sticky routing: one key, one slot; the canary's share as configured."""

from __future__ import annotations

import pytest

from backend.deployment.routing import bucket_of, choose_slot
from tests.factories import put_in_production, trained_version
from tests.serving_factories import start_canary


@pytest.mark.parametrize("percent", [1, 5, 10, 25, 50])
def test_over_10000_keys_the_canary_share_is_within_2_points(percent):
    keys = [f"customer-{i}" for i in range(10_000)]
    share = sum(choose_slot("credit-risk", k, percent, has_canary=True) == "canary" for k in keys) / len(keys)
    assert abs(share * 100 - percent) <= 2, share
    # Request ids (hex, as the gateway makes them) spread the same way.
    ids = [f"{i:032x}" for i in range(10_000)]
    share = sum(choose_slot("credit-risk", k, percent, has_canary=True) == "canary" for k in ids) / len(ids)
    assert abs(share * 100 - percent) <= 2, share


def test_one_key_always_reaches_one_slot_and_a_bigger_share_only_adds_keys():
    keys = [f"account-{i}" for i in range(2_000)]
    at_10 = {k for k in keys if choose_slot("m", k, 10, has_canary=True) == "canary"}
    assert at_10 == {k for k in keys if choose_slot("m", k, 10, has_canary=True) == "canary"}
    at_20 = {k for k in keys if choose_slot("m", k, 20, has_canary=True) == "canary"}
    assert at_10 < at_20
    assert all(choose_slot("m", k, 50, has_canary=False) == "production" for k in keys)
    # The model's name is part of the hash: two models' canaries see different customers.
    assert {k for k in keys if bucket_of("other", k) < 1000} != at_10


def test_the_gateway_routes_each_key_to_its_slot(app, http, gateway):
    champion = trained_version(app, "loan-model")
    put_in_production(app, "loan-model", champion)
    challenger = trained_version(app, "loan-model", seed=4, shift=0.5)
    start_canary(app, "loan-model", challenger, percent=25)
    gateway.table.refresh()
    row = {"income": 40, "tenure": 2, "region": "east"}
    seen: dict[str, tuple[str, int]] = {}
    for i in range(400):
        key = f"customer-{i % 200}"
        body = http.post("/v1/models/loan-model/predict", json={"rows": [row], "routing_key": key}).json()
        served = (body["slot"], body["version"])
        assert seen.setdefault(key, served) == served  # sticky
        expected = choose_slot("loan-model", key, 25, has_canary=True)
        assert served == (expected, challenger if expected == "canary" else champion)
    assert http.get("/v1/models/loan-model").json()["canary_percent"] == 25
