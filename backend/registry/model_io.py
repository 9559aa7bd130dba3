"""Saving and loading estimators with skops, never pickle.

``skops`` reports some ordinary scikit-learn types as untrusted. The exact list is recorded
at save time inside the evidence the SHA-256 protects, and exactly that list is trusted when
loading; a file that needs any other type is refused.
"""

from __future__ import annotations

from typing import Any

import skops.io as sio

from backend.errors import ArtifactIntegrityError

__all__ = ["dump_estimator", "load_estimator"]


def dump_estimator(estimator: Any) -> tuple[bytes, list[str]]:
    """Serialise ``estimator``; return the bytes and the types they need trusted."""
    data = sio.dumps(estimator, compression=8)
    return data, sorted(sio.get_untrusted_types(data=data))


def load_estimator(data: bytes, trusted_types: list[str], *, name: str) -> Any:
    """Load bytes already checked against their SHA-256, trusting only ``trusted_types``."""
    needed = set(sio.get_untrusted_types(data=data))
    unexpected = sorted(needed - set(trusted_types))
    if unexpected:
        raise ArtifactIntegrityError(
            f"Refusing to load {name}: it needs types that were not recorded when it was stored: "
            + ", ".join(unexpected)
        )
    try:
        return sio.loads(data, trusted=sorted(needed))
    except Exception as exc:  # skops raises many types for a file it cannot read
        raise ArtifactIntegrityError(f"{name} could not be loaded: {type(exc).__name__}: {exc}") from exc
