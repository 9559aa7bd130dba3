"""Sticky routing: which slot serves a request.

A client's ``routing_key`` (a customer id, say; else the request id) is hashed into one of
10,000 buckets; the canary serves the buckets below its share. So one key always reaches one
slot while the share stays put, raising the share only adds keys to the canary, and over many
keys the canary's share is the configured one (a test checks 10,000 keys fall within 2 points).
The model's name is part of the hash, so two models' canaries see different customers.
"""

from __future__ import annotations

import hashlib

__all__ = ["BUCKETS", "bucket_of", "choose_slot"]

BUCKETS = 10_000


def bucket_of(model: str, key: str) -> int:
    """The key's bucket in ``[0, BUCKETS)``: the same on every gateway, in every process."""
    digest = hashlib.blake2b(f"{model}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def choose_slot(model: str, key: str, canary_percent: float, *, has_canary: bool) -> str:
    """``"canary"`` for the keys inside the canary's share, else ``"production"``."""
    if has_canary and bucket_of(model, key) < round(canary_percent * BUCKETS / 100):
        return "canary"
    return "production"
