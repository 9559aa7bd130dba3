"""Accounts, sign-off, conditions, API tokens and policy exceptions, as services return them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "User",
    "SignOff",
    "Condition",
    "RoleStatus",
    "SignOffStatus",
    "InboxItem",
    "ApiToken",
    "PolicyException",
]


@dataclass(frozen=True)
class User:
    """A person with a Greenlight account; ``roles`` decide what they may do."""

    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    disabled: bool
    created_at: datetime | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class SignOff:
    model: str
    version: int
    round: int
    username: str
    role: str
    decision: str  # approve | conditions | reject
    comment: str
    evidence: dict[str, str]
    created_at: datetime
    valid: bool = True
    void_reason: str | None = None
    #: failed fairness check ("feature:metric") → the written justification for approving anyway
    acknowledgements: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    id: int
    model: str
    version: int
    text: str
    role: str  # the role of the approval that set it; someone in that role (or an admin) closes it
    created_by: str
    created_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class RoleStatus:
    role: str
    status: str  # approved | approved_with_conditions | rejected | waiting
    by: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class SignOffStatus:
    model: str
    title: str
    risk_tier: str
    version: int
    state: str
    author: str
    round: int
    required_roles: tuple[str, ...]
    roles: list[RoleStatus]
    signoffs: list[SignOff]
    conditions: list[Condition]
    evidence: dict[str, str]
    requested_at: datetime | None

    @property
    def missing_roles(self) -> tuple[str, ...]:
        return tuple(r.role for r in self.roles if r.status == "waiting")

    @property
    def open_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.is_open]


@dataclass(frozen=True)
class InboxItem:
    model: str
    title: str
    version: int
    author: str
    risk_tier: str
    roles: tuple[str, ...]
    waiting_since: datetime | None

    @property
    def waiting_days(self) -> float:
        if self.waiting_since is None:
            return 0.0
        return (datetime.now(UTC) - self.waiting_since).total_seconds() / 86400


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed: never the secret, which is shown once at creation."""

    id: int
    prefix: str
    username: str | None
    client: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > datetime.now(UTC))


@dataclass(frozen=True)
class PolicyException:
    """An admin's written, audited permission for one model to go below the organisation's floor."""

    id: int
    model: str
    setting: str
    value: Any
    reason: str
    granted_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > datetime.now(UTC))

