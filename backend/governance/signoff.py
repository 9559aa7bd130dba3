"""Manual validation: evidence-bound sign-offs by the roles a version's policy requires.

Rules, all enforced here whoever calls: the author cannot sign their own version; a person
signs only in a role they hold and the policy asks for, once per version and review round;
a sign-off is bound to the SHA-256 of the model and of each report the reviewer was shown,
and a changed artifact or report voids it; a rejection ends the version; when every
required role has approved, the version becomes ``approved`` by itself; an approval expires
after the policy's days and the version needs review again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.db.tables import (
    ArtifactRow,
    ConditionRow,
    ModelRow,
    SignOffRow,
    StageRunRow,
    UserRow,
    VersionRow,
)
from backend.db.types import utcnow
from backend.domain import Condition, InboxItem, RoleStatus, SignOff, SignOffStatus, User
from backend.errors import Conflict, InvalidData, InvalidTransition, NotFound, PermissionDenied
from backend.governance import audit
from backend.governance.audit import canonical_json
from backend.governance.permissions import require
from backend.governance.signoff_rules import (
    APPROVING,
    current_evidence,
    judged_signoffs,
    missing_roles,
    required_roles,
    version_row,
)
from backend.registry.artifacts import ArtifactStore
from backend.registry.stages import MANUAL_STAGE
from backend.registry.states import State

__all__ = ["SignOffs", "SignOffStatus", "RoleStatus", "InboxItem", "DECISIONS", "STAGE", "fairness_check_key",
           "failed_fairness_checks"]

DECISIONS = ("approve", "conditions", "reject")
STAGE = MANUAL_STAGE
MAX_TEXT = 5000


def fairness_check_key(feature: str, metric: str) -> str:
    """How a failed fairness check is named in an acknowledgement: ``"sex:demographic_parity_ratio"``."""
    return f"{feature}:{metric}"


def failed_fairness_checks(report: dict[str, Any] | None) -> list[dict[str, str]]:
    """The failed checks of a stored fairness report: ``{"key", "feature", "metric", "label", "reason"}``."""
    return [{"key": fairness_check_key(f["feature"], c["metric"]), "feature": f["feature"], "metric": c["metric"],
             "label": c.get("label", c["metric"]), "reason": c.get("reason", "")}
            for f in (report or {}).get("features", []) or [] for c in f.get("checks", []) or []
            if c.get("verdict") == "fail"]


def _locate(session: Session, model: str, number: int, *, lock: bool = False) -> tuple[ModelRow, VersionRow]:
    m = session.execute(select(ModelRow).where(ModelRow.name == model)).scalar_one_or_none()
    if m is None:
        raise NotFound(f"There is no model named '{model}'.")
    vid = session.execute(select(VersionRow.id).where(VersionRow.model_id == m.id, VersionRow.number == number)
                          ).scalar_one_or_none()
    if vid is None:
        raise NotFound(f"Model '{model}' has no version {number}.")
    return m, version_row(session, vid, lock=lock)


def _current_user(session: Session, user: User) -> User:
    """The account as stored now: roles or a disabled flag changed since sign-in count."""
    row = session.execute(select(UserRow).where(UserRow.username == user.username)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no account named '{user.username}'.")
    return row.to_domain()


def _status(session: Session, model: ModelRow, version: VersionRow) -> SignOffStatus:
    judged = judged_signoffs(session, version)
    roles = []
    for role in required_roles(version):
        decided = [j.row for j in judged if j.valid and j.row.role == role]
        rejection = next((r for r in decided if r.decision == "reject"), None)
        approval = next((r for r in decided if r.decision in APPROVING), None)
        if rejection:
            roles.append(RoleStatus(role, "rejected", rejection.username, rejection.created_at))
        elif approval:
            status = "approved_with_conditions" if approval.decision == "conditions" else "approved"
            roles.append(RoleStatus(role, status, approval.username, approval.created_at))
        else:
            roles.append(RoleStatus(role, "waiting"))
    conditions = session.execute(select(ConditionRow).where(ConditionRow.version_id == version.id)
                                 .order_by(ConditionRow.id)).scalars().all()
    roles_by_signoff = {j.row.id: j.row.role for j in judged}
    return SignOffStatus(
        model=model.name, title=model.title, risk_tier=model.risk_tier, version=version.number, state=version.state, author=version.author,
        round=version.review_round, required_roles=required_roles(version), roles=roles,
        signoffs=[SignOff(model=model.name, version=version.number, round=j.row.round, username=j.row.username,
                          role=j.row.role, decision=j.row.decision, comment=j.row.comment,
                          evidence=dict(j.row.evidence or {}), created_at=j.row.created_at, valid=j.valid,
                          void_reason=j.void_reason, acknowledgements=dict(j.row.acknowledgements or {}))
                  for j in judged],
        conditions=[_condition(model.name, version.number, c, roles_by_signoff.get(c.signoff_id, "")) for c in conditions],
        evidence=current_evidence(session, version.id),
        requested_at=version.review_requested_at,
    )


def _check_acknowledgements(model: str, number: int, failed: list[dict[str, str]],
                             acknowledgements: dict[str, str]) -> None:
    """An approval must acknowledge, in writing, every fairness check that failed, and only those."""
    keys = {f["key"] for f in failed}
    unknown = sorted(set(acknowledgements) - keys)
    if unknown:
        raise InvalidData(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a failed fairness check "
                          f"of {model} version {number}"
                          + (f" (its failed checks: {', '.join(sorted(keys))})." if keys else "; none failed."),
                          code="acknowledgement_unknown")
    missing = [f for f in failed if f["key"] not in acknowledgements]
    if missing:
        listed = "; ".join(f"{f['label'].lower()} for {f['feature']} ({f['key']})" for f in missing)
        raise InvalidData(f"Approving {model} version {number} needs a written acknowledgement of each failed "
                          f"fairness check; still missing: {listed}.", code="acknowledgement_required")


def _condition(model: str, number: int, row: ConditionRow, role: str) -> Condition:
    return Condition(id=row.id, model=model, version=number, text=row.text, role=role, created_by=row.created_by,
                     created_at=row.created_at, closed_by=row.closed_by, closed_at=row.closed_at,
                     close_note=row.close_note)


def _set_state(session: Session, model: str, version: VersionRow, target: State, *, actor: str,
               reason: str | None) -> None:
    from backend.registry import apply_transition

    apply_transition(session, model, version, target, actor=actor, reason=reason)


def _open_stage(session: Session, version: VersionRow) -> StageRunRow | None:
    return session.execute(select(StageRunRow).where(StageRunRow.version_id == version.id, StageRunRow.stage == STAGE,
                                                     StageRunRow.finished_at.is_(None))
                           .order_by(StageRunRow.id.desc())).scalars().first()


def _finish_stage(session: Session, version: VersionRow, status: str, message: str) -> None:
    run = _open_stage(session, version)
    if run is not None:
        run.status, run.finished_at = status, utcnow()
        run.messages = [*run.messages, message]


def _start_review(session: Session, model: str, version: VersionRow, *, actor: str, reason: str | None) -> None:
    now = utcnow()
    version.review_requested_at = now
    roles = required_roles(version)
    session.add(StageRunRow(version_id=version.id, stage=STAGE, status="waiting", started_at=now,
                            messages=[f"Waiting for sign-off by: {', '.join(roles)}."] + ([reason] if reason else []),
                            evidence={"required_roles": list(roles), "round": version.review_round}))
    _set_state(session, model, version, State.AWAITING_SIGNOFF, actor=actor, reason=reason)


class SignOffs:
    """Sign-off requests, decisions, conditions and the reviewer's inbox.

    Parameters
    ----------
    db : Database
    """

    def __init__(self, db: Database, artifacts: ArtifactStore | None = None,
                 after_decision: Callable[[str, int, str], None] | None = None):
        self.db = db
        self.artifacts = artifacts
        #: called with (model, version, reviewer) once a decision is committed (the app rewrites the model card)
        self.after_decision = after_decision

    def _failed_checks(self, session: Session, model: str, version: VersionRow) -> list[dict[str, str]]:
        """The failed checks of the fairness report the decision is bound to (read and verified)."""
        row = session.execute(select(ArtifactRow).where(ArtifactRow.version_id == version.id,
                                                        ArtifactRow.kind == "fairness_report")).scalar_one_or_none()
        if row is None or self.artifacts is None:
            return []
        try:
            report = json.loads(self.artifacts.read_bytes(row.to_domain(model, version.number)))
        except ValueError:  # not a report of checks (its SHA-256 still binds the decision)
            return []
        return failed_fairness_checks(report if isinstance(report, dict) else None)

    def failed_checks(self, model: str, number: int) -> list[dict[str, str]]:
        """The failed fairness checks an approval of this version must acknowledge, each with its
        ``key`` (``"feature:metric"``), label and the report's reason."""
        with self.db.read() as session:
            _, version = _locate(session, model, number)
            return self._failed_checks(session, model, version)

    def request(self, model: str, number: int, *, actor: str) -> SignOffStatus:
        """Put a validated version in ``awaiting_signoff`` with the roles its policy requires."""
        with self.db.write() as session:
            m, version = _locate(session, model, number, lock=True)
            if not required_roles(version):
                raise InvalidData(f"The policy of {model} version {number} names no sign-off roles.")
            _start_review(session, model, version, actor=actor, reason=None)
            return _status(session, m, version)

    def status(self, model: str, number: int) -> SignOffStatus:
        with self.db.read() as session:
            m, version = _locate(session, model, number)
            return _status(session, m, version)

    def decide(self, model: str, number: int, *, reviewer: User, role: str, decision: str, comment: str,
               evidence: dict[str, str], conditions: list[str] | tuple[str, ...] = (),
               acknowledgements: dict[str, str] | None = None) -> SignOffStatus:
        """Record one reviewer's decision, bound to the evidence they were shown.

        An approval (with or without conditions) of a version whose fairness report has failed
        checks needs ``acknowledgements``: for each failed check (``"feature:metric"``, see
        :meth:`failed_checks`) a written justification, stored with the decision.
        """
        comment = (comment or "").strip()
        conditions = [c.strip() for c in conditions if c and c.strip()]
        acknowledgements = {str(k): (v or "").strip() for k, v in (acknowledgements or {}).items()}
        acknowledgements = {k: v for k, v in acknowledgements.items() if v}
        if acknowledgements and decision not in APPROVING:
            raise InvalidData("Acknowledging failed fairness checks goes with an approval, not a rejection.",
                              code="acknowledgement_not_allowed")
        if decision not in DECISIONS:
            raise InvalidData(f"'{decision}' is not a decision; choose one of: {', '.join(DECISIONS)}.")
        if decision == "reject" and not comment:
            raise InvalidData("A rejection needs a reason in the comment.", code="reason_required")
        if decision == "conditions" and not conditions:
            raise InvalidData("An approval with conditions needs at least one condition.", code="conditions_required")
        if decision != "conditions" and conditions:
            raise InvalidData(f"Conditions go with the decision 'conditions' (approve with conditions), not "
                              f"'{decision}'.", code="conditions_not_allowed")
        if len(comment) > MAX_TEXT or any(len(c) > MAX_TEXT for c in [*conditions, *acknowledgements.values()]):
            raise InvalidData(f"Comments and conditions are limited to {MAX_TEXT} characters.")
        with self.db.write() as session:
            # Locking the version serialises decisions on it: two last approvals at the same
            # instant both land, and exactly one of them moves the version to approved.
            m, version = _locate(session, model, number, lock=True)
            user = _current_user(session, reviewer)
            require(user, "signoff", role=role, author=version.author, required_roles=required_roles(version))
            if version.state != State.AWAITING_SIGNOFF:
                raise InvalidTransition(f"{model} version {number} is '{version.state}'; only a version awaiting "
                                        "sign-off can be signed.")
            current = current_evidence(session, version.id)
            if dict(evidence) != current:
                changed = sorted(k for k in set(current) | set(evidence) if current.get(k) != evidence.get(k))
                raise Conflict("The evidence changed since the packet was opened ("
                               + ", ".join(k.replace("_", " ") for k in changed) + "); reload it and review again.",
                               code="evidence_changed")
            if decision in APPROVING:
                _check_acknowledgements(model, number, self._failed_checks(session, model, version),
                                        acknowledgements)
            evidence_hash = hashlib.sha256(canonical_json(current).encode()).hexdigest()
            earlier = session.execute(select(SignOffRow).where(
                SignOffRow.version_id == version.id, SignOffRow.round == version.review_round,
                SignOffRow.username == user.username, SignOffRow.evidence_hash == evidence_hash)).scalar_one_or_none()
            if earlier is not None:
                if (earlier.decision, earlier.role, earlier.comment, dict(earlier.acknowledgements or {})) == \
                        (decision, role, comment, acknowledgements):
                    return _status(session, m, version)  # the same request sent twice: recorded once
                raise Conflict(f"{user.username} already decided on {model} version {number} "
                               f"({earlier.decision} as {earlier.role}); decisions cannot be changed.",
                               code="already_decided")
            row = SignOffRow(version_id=version.id, round=version.review_round, username=user.username, role=role,
                             decision=decision, comment=comment, evidence=current, evidence_hash=evidence_hash,
                             created_at=utcnow(), acknowledgements=acknowledgements)
            session.add(row)
            session.flush()
            opened = [ConditionRow(version_id=version.id, signoff_id=row.id, text=text, created_by=user.username,
                                   created_at=utcnow()) for text in conditions]
            session.add_all(opened)
            session.flush()
            # The ids let `audit verify` tell each condition's row from the log's record of it.
            audit.append(session=session, actor=user.username, action="signoff.decided", model=model, version=number,
                         detail={"role": role, "decision": decision, "comment": comment, "conditions": conditions,
                                 "condition_ids": [c.id for c in opened], "evidence": current,
                                 "round": version.review_round, "acknowledgements": acknowledgements})
            if decision == "reject":
                _finish_stage(session, version, "failed", f"Rejected by {user.username} ({role}): {comment}")
                _set_state(session, model, version, State.REJECTED, actor=user.username,
                           reason=f"rejected by {user.username} ({role}): {comment}")
            elif not missing_roles(session, version):
                _finish_stage(session, version, "passed", "Every required role approved.")
                _set_state(session, model, version, State.APPROVED, actor=user.username,
                           reason="every required role approved")
            result = _status(session, m, version)
        if self.after_decision is not None:
            self.after_decision(model, number, user.username)
        return result

    def refresh(self, model: str, number: int, *, actor: str = "greenlight") -> SignOffStatus:
        """Send an approved version back for review when an approval expired or was voided."""
        with self.db.write() as session:
            m, version = _locate(session, model, number, lock=True)
            if version.state == State.APPROVED:
                missing = missing_roles(session, version)
                if missing:
                    void = [j for j in judged_signoffs(session, version) if not j.valid and j.row.role in missing]
                    why = void[0].void_reason if void else "an approval no longer counts"
                    version.review_round += 1
                    _start_review(session, model, version, actor=actor,
                                  reason=f"needs review again: the {missing[0]} approval is {why}")
            return _status(session, m, version)

    def refresh_all(self, *, actor: str = "greenlight") -> int:
        """Refresh every approved version; returns how many went back for review."""
        with self.db.read() as session:
            approved = session.execute(select(ModelRow.name, VersionRow.number).join(
                VersionRow, VersionRow.model_id == ModelRow.id).where(VersionRow.state == State.APPROVED)).all()
        return sum(self.refresh(name, number, actor=actor).state == State.AWAITING_SIGNOFF for name, number in approved)

    def awaiting(self) -> list[SignOffStatus]:
        """Every version awaiting sign-off, longest-waiting first."""
        with self.db.read() as session:
            rows = session.execute(select(ModelRow, VersionRow).join(VersionRow, VersionRow.model_id == ModelRow.id)
                                   .where(VersionRow.state == State.AWAITING_SIGNOFF)
                                   .order_by(VersionRow.review_requested_at, VersionRow.id)).all()
            return [_status(session, m, v) for m, v in rows]

    def inbox(self, user: User) -> list[InboxItem]:
        """Versions waiting for a role ``user`` holds, which they may sign and have not yet."""
        items = []
        for status in self.awaiting():
            if status.author == user.username or any(s.username == user.username and s.valid for s in status.signoffs):
                continue
            roles = tuple(r for r in status.missing_roles if user.has_role(r))
            if roles and not user.disabled:
                items.append(InboxItem(model=status.model, title=status.title, version=status.version,
                                       author=status.author, risk_tier=status.risk_tier, roles=roles,
                                       waiting_since=status.requested_at))
        return items

    def close_condition(self, condition_id: int, *, user: User, note: str) -> Condition:
        """Close an open condition: by someone holding the role that set it, or an admin."""
        note = (note or "").strip()
        if not note:
            raise InvalidData("Say how the condition was met: the note is required.", code="note_required")
        with self.db.write() as session:
            row = session.get(ConditionRow, condition_id)
            if row is None:
                raise NotFound(f"There is no condition {condition_id}.")
            signoff = session.get(SignOffRow, row.signoff_id)
            version = session.get(VersionRow, row.version_id)
            model = session.get(ModelRow, version.model_id)
            actor = _current_user(session, user)
            if actor.disabled or not (actor.has_role(signoff.role) or actor.has_role("admin")):
                raise PermissionDenied(f"Only someone holding the role '{signoff.role}' or an admin can close "
                                       "this condition.")
            if actor.username == version.author:
                raise PermissionDenied("The author of a version cannot close its conditions (four-eyes rule).")
            if row.closed_at is not None:
                raise Conflict(f"Condition {condition_id} was already closed by {row.closed_by}.")
            row.closed_by, row.closed_at, row.close_note = actor.username, utcnow(), note
            audit.append(session=session, actor=actor.username, action="condition.closed", model=model.name,
                         version=version.number, detail={"condition": condition_id, "text": row.text, "note": note})
            return _condition(model.name, version.number, row, signoff.role)
