"""The one place a version's state or a deployment alias changes, with the rules that guard them.

* Nothing becomes ``approved`` without every required, valid sign-off.
* Nothing takes live traffic (``canary``, ``production``, and the aliases of the same names)
  unless :func:`~backend.registry.live_traffic.live_traffic_verdict` says yes, and only by an
  account allowed to ``deploy``.
* ``production`` also needs a passing canary verdict, or an admin's override with a written
  reason, which the audit log keeps.
* An alias points only at a version in the matching state (``production`` at a version in
  production, ``canary`` at a canary, ``previous`` at a retired version kept for rollback).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import AliasRow, ModelRow, VersionRow
from backend.db.types import utcnow
from backend.domain import User
from backend.errors import InvalidData, InvalidTransition, PermissionDenied
from backend.governance import audit
from backend.governance.actors import acting
from backend.governance.permissions import require
from backend.governance.signoff_rules import missing_roles
from backend.registry.artifacts import ArtifactStore
from backend.registry.live_traffic import live_traffic_verdict
from backend.registry.states import ALIASES, State, check_transition

__all__ = ["apply_transition", "apply_alias", "clear_alias", "apply_test_slot", "DEPLOYMENT_STATES",
           "MIN_REASON_LENGTH"]

#: Moves that change what serves live traffic: only an account allowed to deploy makes them.
DEPLOYMENT_STATES = frozenset({State.CANARY, State.PRODUCTION, State.ROLLED_BACK, State.RETIRED})
#: The state a version must be in for each alias to point at it.
_ALIAS_STATE = {"production": State.PRODUCTION, "canary": State.CANARY, "previous": State.RETIRED}
#: The test environment serves a version under validation or later, never live traffic.
_TEST_SLOT_STATES = frozenset({State.REPORTED, State.VALIDATED, State.AWAITING_SIGNOFF, State.APPROVED,
                               State.CANARY, State.PRODUCTION})
MIN_REASON_LENGTH = 10


def _actor_name(actor: User | str) -> str:
    return actor.username if isinstance(actor, User) else actor


def _deployer(session: Session, actor: User | str, what: str) -> User:
    if not isinstance(actor, User):
        raise PermissionDenied(f"{what} needs a signed-in account allowed to deploy, not the name '{actor}'.",
                               code="not_authenticated")
    user = acting(session, actor)
    require(user, "deploy")
    return user


def _require_live_traffic(session: Session, model: ModelRow, row: VersionRow, store: ArtifactStore | None,
                          what: str) -> None:
    if store is None:
        raise InvalidTransition(f"{what} needs the artifact store to re-check the evidence files.")
    verdict = live_traffic_verdict(session, model, row, store)
    if not verdict.allowed:
        raise InvalidTransition(f"{model.name} version {row.number} may not take live traffic: "
                                + "; ".join(verdict.reasons) + ".", code="not_cleared_for_traffic")


def _check_override(user: User, override_reason: str | None, name: str, number: int) -> str:
    reason = (override_reason or "").strip()
    if not reason:
        raise InvalidTransition(
            f"{name} version {number} has no passing canary verdict; it goes to production only through a canary, "
            "or with an admin's override and a written reason.", code="canary_verdict_missing")
    require(user, "override_deployment")
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidData(f"An override needs a written reason of at least {MIN_REASON_LENGTH} characters.",
                          code="reason_required")
    return reason


def apply_transition(session: Session, name: str, row: VersionRow, target: str, *, actor: User | str,
                     reason: str | None, store: ArtifactStore | None = None, canary_passed: bool = False,
                     override_reason: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Move ``row`` to ``target`` inside the caller's transaction, or raise.

    ``canary_passed`` is set only by the deployment service, from the canary judge's stored
    verdict; anyone else reaches production with ``override_reason``, as an admin.
    """
    check_transition(row.state, target)
    if target == State.FAILED and not reason:
        raise InvalidTransition("A version can only be marked failed with a reason.")
    extra: dict[str, Any] = dict(detail or {})
    if target == State.APPROVED:
        missing = missing_roles(session, row)
        if missing:
            raise InvalidTransition(f"{name} version {row.number} cannot be approved: it still needs a valid "
                                    f"sign-off by {', '.join(missing)}.", code="signoff_missing")
    if target in DEPLOYMENT_STATES:
        user = _deployer(session, actor, f"Moving {name} version {row.number} to '{target}'")
        if target in (State.CANARY, State.PRODUCTION):
            model = session.get(ModelRow, row.model_id)
            _require_live_traffic(session, model, row, store, f"Moving to '{target}'")
        if target == State.PRODUCTION and not canary_passed:
            extra["override"] = _check_override(user, override_reason, name, row.number)
    before = row.state
    row.state = target
    row.updated_at = utcnow()
    if target in (State.FAILED, State.REJECTED, State.ROLLED_BACK):
        row.failure_reason = reason  # why it stopped, shown wherever the version is listed
    audit.append(session=session, actor=_actor_name(actor), action="version.state", model=name, version=row.number,
                 detail={"from": before, "to": target, "reason": reason, **extra})


def _point(session: Session, model: ModelRow, alias: str, row: VersionRow,
           traffic_percent: float | None) -> int | None:
    current = session.get(AliasRow, (model.id, alias))
    previous = None
    if current is None:
        session.add(AliasRow(model_id=model.id, alias=alias, version_id=row.id, updated_at=utcnow(),
                             traffic_percent=traffic_percent))
    else:
        previous = session.execute(select(VersionRow.number).where(VersionRow.id == current.version_id)).scalar_one()
        current.version_id, current.updated_at, current.traffic_percent = row.id, utcnow(), traffic_percent
    return previous


def apply_test_slot(session: Session, model: ModelRow, row: VersionRow, *, actor: str) -> int | None:
    """Deploy ``row`` to the test environment (no live traffic, so no deployment guard)."""
    if row.state not in _TEST_SLOT_STATES:
        raise InvalidTransition(f"{model.name} version {row.number} is '{row.state}'; the test environment serves a "
                                "version from test validation on.", code="alias_state_mismatch")
    previous = _point(session, model, "test", row, None)
    audit.append(session=session, actor=actor, action="alias.moved", model=model.name, version=row.number,
                 detail={"alias": "test", "from_version": previous, "reason": "test-environment validation"})
    return previous


def apply_alias(session: Session, model: ModelRow, alias: str, row: VersionRow, *, actor: User,
                reason: str | None, store: ArtifactStore | None, traffic_percent: float | None = None) -> int | None:
    """Point ``alias`` at ``row`` inside the caller's transaction; returns the version it pointed at.

    ``traffic_percent`` is the canary's share of live traffic (required for ``canary`` only).
    """
    if alias not in ALIASES:
        raise InvalidTransition(f"Unknown alias '{alias}'; aliases are: {', '.join(ALIASES)}.")
    if alias == "test":
        raise InvalidTransition("The test slot is set by test validation, not moved by hand.")
    if (alias == "canary") != (traffic_percent is not None):
        raise InvalidData("A canary needs its share of traffic (0 < percent <= 50), and only a canary has one.")
    if traffic_percent is not None and not 0 < traffic_percent <= 50:
        raise InvalidData(f"A canary takes more than 0% and at most 50% of live traffic, not {traffic_percent}%.")
    _deployer(session, actor, f"Moving the '{alias}' alias of {model.name}")
    wanted = _ALIAS_STATE[alias]
    if row.state != wanted:
        raise InvalidTransition(f"The '{alias}' alias points only at a version in state '{wanted}'; {model.name} "
                                f"version {row.number} is '{row.state}'.", code="alias_state_mismatch")
    if alias in ("production", "canary"):
        _require_live_traffic(session, model, row, store, f"Pointing '{alias}' at it")
    previous = _point(session, model, alias, row, traffic_percent)
    detail: dict[str, Any] = {"alias": alias, "from_version": previous, "reason": reason}
    if traffic_percent is not None:
        detail["traffic_percent"] = traffic_percent
    audit.append(session=session, actor=actor.username, action="alias.moved", model=model.name, version=row.number,
                 detail=detail)
    return previous


def clear_alias(session: Session, model: ModelRow, alias: str, *, actor: User, reason: str | None) -> int | None:
    """Remove ``alias`` (nothing serves under it any more); returns the version it pointed at."""
    if alias not in ALIASES:
        raise InvalidTransition(f"Unknown alias '{alias}'; aliases are: {', '.join(ALIASES)}.")
    _deployer(session, actor, f"Clearing the '{alias}' alias of {model.name}")
    current = session.get(AliasRow, (model.id, alias))
    if current is None:
        return None
    number = session.execute(select(VersionRow.number).where(VersionRow.id == current.version_id)).scalar_one()
    session.delete(current)
    audit.append(session=session, actor=actor.username, action="alias.cleared", model=model.name, version=number,
                 detail={"alias": alias, "reason": reason})
    return number
