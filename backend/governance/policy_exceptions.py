"""Policy exceptions: an admin's written permission for one model's spec to go below the
organisation's floor on one setting (a looser gate, a lower risk tier).

Granted and revoked by admins only, each with a reason, each in the audit log. The registry
reads the active ones when it registers a version and freezes the ones it used into that
version's policy, so the sign-off packet and the model card show them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from backend.db import Database
from backend.db.tables import PolicyExceptionRow
from backend.db.types import utcnow
from backend.domain import PolicyException, User
from backend.errors import InvalidData, NotFound
from backend.governance import audit
from backend.governance.actors import acting
from backend.governance.permissions import require
from backend.governance.policy import RISK_TIERS, describe_setting, setting_direction
from backend.metrics import METRICS

__all__ = ["PolicyExceptions", "MIN_REASON_LENGTH", "parse_setting_value"]

MIN_REASON_LENGTH = 20


def parse_setting_value(setting: str, raw: Any) -> Any:
    """The value an exception allows, checked and typed for ``setting``; raise naming the problem."""
    direction = setting_direction(setting)
    if direction is None:
        raise InvalidData(f"'{setting}' is not a policy setting an exception can lower. Use gates.min.METRIC, "
                          "gates.max.METRIC, gates.not_worse_than_production, gates.fairness_blocks, "
                          "gates.min_group_size, signoff.expires_days, canary.min_requests or model.risk_tier.",
                          code="invalid_setting")
    if setting.startswith(("gates.min.", "gates.max.")):
        metric = setting.split(".", 2)[2]
        if metric not in METRICS:
            raise InvalidData(f"'{metric}' is not a metric Greenlight measures.", code="invalid_setting")
    text = str(raw).strip().lower() if not isinstance(raw, bool | int | float) else raw
    if direction == "tier":
        if text not in RISK_TIERS:
            raise InvalidData(f"A risk tier is one of: {', '.join(RISK_TIERS)}.")
        return text
    if direction == "true":
        if isinstance(text, bool):
            return text
        if text in ("true", "false"):
            return text == "true"
        raise InvalidData(f"{describe_setting(setting)} is true or false.")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidData(f"{describe_setting(setting)} needs a number, not '{raw}'.") from None
    if setting in ("gates.min_group_size", "signoff.expires_days", "canary.min_requests"):
        if value != int(value) or value < 1:
            raise InvalidData(f"{describe_setting(setting)} is a whole number, at least 1.")
        return int(value)
    return value


class PolicyExceptions:
    """Grant, revoke and list policy exceptions.

    Parameters
    ----------
    db : Database
    """

    def __init__(self, db: Database):
        self.db = db

    def grant(self, model: str, setting: str, value: Any, *, reason: str, actor: User,
              expires_days: int | None = None) -> PolicyException:
        """Allow ``model``'s spec to set ``setting`` as low as ``value``; an admin's act, with a reason."""
        reason = (reason or "").strip()
        if len(reason) < MIN_REASON_LENGTH:
            raise InvalidData(f"An exception needs a written reason of at least {MIN_REASON_LENGTH} characters: "
                              "why is the organisation's policy not right for this model?", code="reason_required")
        value = parse_setting_value(setting, value)
        if expires_days is not None and not 1 <= expires_days <= 3650:
            raise InvalidData("--expires-days must be between 1 and 3650.")
        with self.db.write() as session:
            admin = acting(session, actor)
            require(admin, "manage_policy")
            now = utcnow()
            row = PolicyExceptionRow(model=model, setting=setting, value={"value": value}, reason=reason,
                                     granted_by=admin.username, created_at=now,
                                     expires_at=now + timedelta(days=expires_days) if expires_days else None)
            session.add(row)
            session.flush()
            audit.append(session=session, actor=admin.username, action="policy.exception.granted", model=model,
                         detail={"exception": row.id, "setting": setting, "value": value, "reason": reason,
                                 "expires_at": row.expires_at})
            return row.to_domain()

    def revoke(self, exception_id: int, *, reason: str, actor: User) -> PolicyException:
        """Withdraw an exception: versions registered from now on are held to the floor again."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidData("Say why the exception is withdrawn.", code="reason_required")
        with self.db.write() as session:
            admin = acting(session, actor)
            require(admin, "manage_policy")
            row = session.get(PolicyExceptionRow, exception_id)
            if row is None:
                raise NotFound(f"There is no policy exception {exception_id}.")
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = utcnow(), admin.username
                audit.append(session=session, actor=admin.username, action="policy.exception.revoked",
                             model=row.model, detail={"exception": row.id, "setting": row.setting, "reason": reason})
            return row.to_domain()

    def list(self, model: str | None = None, *, include_inactive: bool = False) -> list[PolicyException]:
        with self.db.read() as session:
            query = select(PolicyExceptionRow).order_by(PolicyExceptionRow.id)
            if model is not None:
                query = query.where(PolicyExceptionRow.model == model)
            found = [r.to_domain() for r in session.execute(query).scalars()]
        return found if include_inactive else [e for e in found if e.active]
