"""The organisation's limits on what one pipeline run may read and spend.

A careless or hostile spec can point at a file that expands to gigabytes, has thousands of
columns, or a factory that trains for hours. These limits stop such a run with a message that
names the limit and how an admin raises it, before the machine runs out. They live in the
organisation's policy (:mod:`backend.governance.org_policy`); a spec cannot change them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Limits", "LIMIT_INFO", "DEFAULT_LIMITS", "validate_limits", "how_to_raise"]


@dataclass(frozen=True)
class LimitInfo:
    """One limit: its key in the policy, its default, the largest value allowed, and its words."""

    key: str
    default: int
    maximum: int
    unit: str
    meaning: str

    @property
    def flag(self) -> str:
        """The ``greenlight policy set`` option that changes it."""
        return "--" + self.key.replace("_", "-")


LIMIT_INFO: dict[str, LimitInfo] = {info.key: info for info in (
    LimitInfo("max_data_mb", 1_000, 1_000_000, "MB", "size of each data file once decompressed, in MB"),
    LimitInfo("max_rows", 5_000_000, 2_000_000_000, "rows", "rows in each data file"),
    LimitInfo("max_columns", 1_000, 1_000_000, "columns", "columns in each data file"),
    LimitInfo("max_train_seconds", 3_600, 7 * 24 * 3_600, "s", "seconds the estimator's fit may take"),
    LimitInfo("max_train_memory_mb", 8_192, 4_194_304, "MB", "memory the training process may use, in MB"),
)}


@dataclass(frozen=True)
class Limits:
    """The limits in force for one run (see :data:`LIMIT_INFO` for what each means)."""

    max_data_mb: int = LIMIT_INFO["max_data_mb"].default
    max_rows: int = LIMIT_INFO["max_rows"].default
    max_columns: int = LIMIT_INFO["max_columns"].default
    max_train_seconds: int = LIMIT_INFO["max_train_seconds"].default
    max_train_memory_mb: int = LIMIT_INFO["max_train_memory_mb"].default

    @classmethod
    def from_policy(cls, policy: dict[str, Any]) -> Limits:
        """The limits of an organisation policy document (defaults where it has none)."""
        return cls(**validate_limits(policy.get("limits") or {}))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def max_data_bytes(self) -> int:
        return self.max_data_mb * 1_000_000


DEFAULT_LIMITS: dict[str, int] = Limits().as_dict()


def validate_limits(doc: dict[str, Any]) -> dict[str, int]:
    """A complete, clean limits document: defaults filled in, each value a whole number in range.

    Raises ``ValueError`` naming the limit; the policy service turns it into ``InvalidData``.
    """
    unknown = sorted(set(doc) - set(LIMIT_INFO))
    if unknown:
        raise ValueError(f"limits.{unknown[0]} is not a limit Greenlight knows (known: {', '.join(LIMIT_INFO)}).")
    clean = {}
    for key, info in LIMIT_INFO.items():
        value = doc.get(key, info.default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= info.maximum:
            raise ValueError(f"limits.{key} ({info.meaning}) must be a whole number between 1 and {info.maximum:,}.")
        clean[key] = value
    return clean


def how_to_raise(key: str, value: int) -> str:
    """The sentence a refusal ends with: which limit stopped the run and how an admin raises it."""
    info = LIMIT_INFO[key]
    return (f"This is the organisation's limit limits.{key} = {value:,} ({info.meaning}); an admin can raise it "
            f"with `greenlight policy set {info.flag} N`.")
