"""The deployment service: start a canary, judge it, promote it or roll it back.

Each change is one transaction built from the registry's own primitives
(:func:`~backend.registry.transitions.apply_transition`, ``apply_alias``, ``clear_alias``), so
the live-traffic guard and the ``deploy`` permission are checked inside it, whichever door
asks (portal, command line, Python), and every step lands in the audit log with the change.

* A canary starts only beside a production version, from an approved version the guard clears.
* Promotion swaps ``production`` to the canary and keeps the old champion as ``previous``
  (retired), all at once. It passes ``canary_passed=True`` to the registry only when the
  judge's latest stored verdict on *this* canary is a pass; otherwise only an admin's written
  override gets it through. An open sign-off condition stays a hard block for everyone.
* Rollback sends all traffic back to production at once: the canary becomes ``rolled_back``
  and its alias is cleared. A critical failure found by the judge does this by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from backend.db import Database
from backend.db.tables import AliasRow, CanaryRow, ModelRow, VersionRow
from backend.db.types import utcnow
from backend.deployment import canary_store as store
from backend.deployment.deployment_reads import DeploymentReads
from backend.deployment.judge import DEFAULT_SETTINGS, JudgeSettings, judge
from backend.deployment.window import read_sides
from backend.domain import (
    CanaryRun,
    CanaryVerdict,
    User,
)
from backend.errors import Conflict, InvalidData, InvalidTransition
from backend.governance import audit
from backend.governance.actors import acting
from backend.governance.permissions import require
from backend.governance.policy import DEFAULT_POLICY
from backend.registry import Registry
from backend.registry.artifacts import ArtifactStore
from backend.registry.prediction_log import PredictionLog
from backend.registry.states import State
from backend.registry.transitions import (
    MIN_REASON_LENGTH,
    apply_alias,
    apply_transition,
    clear_alias,
)

__all__ = ["Deployments"]

_CONDITION_HINT = (" An open condition blocks everyone, admins included: someone in the role that set it, or an "
                   "admin, closes it with a note on how it was met (on the Sign-off packet page, or "
                   "`greenlight conditions close ID --note TEXT`), and then it can be deployed.")

#: Called after a change that moved versions, outside its transaction: (model, versions, actor, why).
ChangeHook = Callable[[str, list[int], str, str], None]


def _user(session: Session, actor: User) -> User:
    user = acting(session, actor)
    require(user, "deploy")
    return user


def _alias_version(session: Session, model: ModelRow, alias: str, *, lock: bool = False) -> VersionRow | None:
    current = session.get(AliasRow, (model.id, alias))
    return store.version_by_id(session, current.version_id, lock=lock) if current else None


def _canary_settings(version: VersionRow) -> dict[str, Any]:
    return {**DEFAULT_POLICY["canary"], **((version.policy or {}).get("canary") or {})}


def _with_condition_hint(exc: InvalidTransition) -> InvalidTransition:
    if exc.code == "not_cleared_for_traffic" and "set at approval is still open" in exc.message:
        return InvalidTransition(exc.message + _CONDITION_HINT, code=exc.code)
    return exc


class Deployments(DeploymentReads):
    """Canaries, their verdicts, promotion and rollback.

    Parameters
    ----------
    db : Database
    registry : Registry
        For the serving state it already reads.
    artifacts : ArtifactStore
        Where the live-traffic guard re-hashes the evidence files.
    log : PredictionLog
        Where the gateways write every prediction; the judge reads it.
    settings : JudgeSettings, optional
        The judge's significance levels and tolerances.
    """

    def __init__(self, db: Database, registry: Registry, artifacts: ArtifactStore, log: PredictionLog, *,
                 settings: JudgeSettings = DEFAULT_SETTINGS):
        self.db, self.registry, self.artifacts, self.log, self.settings = db, registry, artifacts, log, settings
        #: Set by the application: refreshes the model cards of the versions a change moved.
        self.on_change: ChangeHook | None = None

    # -- changes -------------------------------------------------------------------------------

    def start_canary(self, model: str, number: int, traffic_percent: float | None = None, *,
                     actor: User) -> CanaryRun:
        """Send ``traffic_percent`` of ``model``'s live traffic (default: the version's policy) to
        version ``number``, beside production.

        Raises
        ------
        InvalidTransition
            Nothing in production to compare with (``no_production``), the version is not
            approved, or the live-traffic guard refuses it (``not_cleared_for_traffic``).
        Conflict
            A canary is already running (``canary_running``).
        PermissionDenied
            The account may not deploy.
        """
        with self.db.write() as session:
            user = _user(session, actor)
            model_row = store.model_row(session, model, lock=True)
            running = store.running_canary(session, model_row)
            if running is not None:
                current = store.canary_run(session, running, model)
                raise Conflict(f"Version {current.version} of {model} is already in canary (since "
                               f"{current.started_at:%Y-%m-%d %H:%M} UTC); promote it or roll it back before "
                               "starting another.", code="canary_running")
            row = store.version_row(session, model_row, number, lock=True)
            champion = _alias_version(session, model_row, "production")
            if champion is None:
                raise InvalidTransition(
                    f"{model} has nothing in production for a canary to be compared with. Its first version goes "
                    f"to production without a canary: an admin sends it with a written reason (`greenlight canary "
                    f"promote {model} --version {number} --override-reason TEXT`, or on the Deployments page).",
                    code="no_production")
            if row.state != State.APPROVED:
                raise InvalidTransition(f"{model} version {number} is '{row.state}'; only an approved version can "
                                        "start a canary.", code="not_approved")
            canary = _canary_settings(row)
            share = float(canary["traffic_percent"] if traffic_percent is None else traffic_percent)
            reason = f"canary at {share:g}% of live traffic beside production version {champion.number}"
            try:
                apply_transition(session, model, row, State.CANARY, actor=user, reason=reason, store=self.artifacts)
            except InvalidTransition as exc:
                raise _with_condition_hint(exc) from None
            apply_alias(session, model_row, "canary", row, actor=user, reason=reason, store=self.artifacts,
                        traffic_percent=share)
            created = store.add_canary(session, model_row, row, champion, traffic_percent=share,
                                       min_requests=int(canary["min_requests"]), started_by=user.username)
            audit.append(session=session, actor=user.username, action="deployment.canary_started", model=model,
                         version=number, detail={"canary": created.id, "traffic_percent": share,
                                                 "production_version": champion.number,
                                                 "min_requests": created.min_requests})
            result = store.canary_run(session, created, model)
        self._changed(model, [number], user.username, reason)
        return result

    def promote(self, model: str, *, actor: User, override_reason: str | None = None,
                version: int | None = None) -> CanaryRun | None:
        """Make the running canary the production version, in one swap; the old one becomes
        ``previous`` (retired).

        Without a pass from the judge on this canary, only an admin's ``override_reason`` gets it
        through (audited, and shown in the sign-off packet and the model card). With no canary
        running, ``version`` sends an approved version straight to production: that needs the
        same override (a model's first deployment, which has nothing to be compared with).

        Returns the canary as it ended (None for a straight deployment).
        """
        with self.db.write() as session:
            user = _user(session, actor)
            model_row = store.model_row(session, model, lock=True)
            canary = store.running_canary(session, model_row)
            verdict = None
            if canary is None:
                if version is None:
                    raise InvalidTransition(
                        f"{model} has no canary to promote. Start one (`greenlight canary start {model} N`), or, "
                        f"for a first deployment, an admin sends an approved version straight to production "
                        f"(`greenlight canary promote {model} --version N --override-reason TEXT`).",
                        code="no_canary")
                row = store.version_row(session, model_row, version, lock=True)
            else:
                row = store.version_by_id(session, canary.version_id, lock=True)
                if version is not None and version != row.number:
                    raise InvalidTransition(f"Version {version} is not {model}'s canary; the canary is version "
                                            f"{row.number}.", code="not_the_canary")
                verdict = store.latest_verdict(session, canary)
            passed = verdict is not None and verdict.verdict == "pass"
            champion = _alias_version(session, model_row, "production", lock=True)
            why = (f"the canary judge passed it (verdict {verdict.id})" if passed else
                   f"override by {user.username}: {(override_reason or '').strip()}")
            try:
                apply_transition(session, model, row, State.PRODUCTION, actor=user, reason=f"promoted: {why}",
                                 store=self.artifacts, canary_passed=passed,
                                 override_reason=None if passed else override_reason,
                                 detail={"canary": canary.id if canary else None,
                                         "verdict": verdict.id if verdict else None})
            except InvalidTransition as exc:
                if exc.code == "canary_verdict_missing":
                    raise self._no_pass(model, row.number, verdict) from None
                raise _with_condition_hint(exc) from None
            apply_alias(session, model_row, "production", row, actor=user, reason=f"promoted: {why}",
                        store=self.artifacts)
            moved = [row.number]
            if champion is not None and champion.id != row.id:
                replaced = f"replaced by version {row.number}"
                apply_transition(session, model, champion, State.RETIRED, actor=user, reason=replaced)
                apply_alias(session, model_row, "previous", champion, actor=user, reason=replaced, store=self.artifacts)
                moved.append(champion.number)
            override = None if passed else (override_reason or "").strip()
            if canary is not None:
                clear_alias(session, model_row, "canary", actor=user, reason=f"promoted to production: {why}")
                store.close_canary(canary, outcome="promoted", ended_by=user.username, reason=why,
                                   override_reason=override)
            audit.append(session=session, actor=user.username, action="deployment.promoted", model=model,
                         version=row.number, detail={
                             "canary": canary.id if canary else None, "verdict": verdict.id if verdict else None,
                             "verdict_result": verdict.verdict if verdict else None, "override": override,
                             "previous_version": champion.number if champion else None})
            result = store.canary_run(session, canary, model) if canary is not None else None
        self._changed(model, moved, user.username, f"promoted version {moved[0]} to production")
        return result

    def rollback(self, model: str, *, actor: User, reason: str) -> CanaryRun:
        """Send all of ``model``'s traffic back to production at once: the canary is rolled back."""
        text = (reason or "").strip()
        if len(text) < MIN_REASON_LENGTH:
            raise InvalidData(f"A rollback needs a written reason of at least {MIN_REASON_LENGTH} characters.",
                              code="reason_required")
        with self.db.write() as session:
            user = _user(session, actor)
            model_row = store.model_row(session, model, lock=True)
            canary = store.running_canary(session, model_row)
            if canary is None:
                raise InvalidTransition(f"{model} has no canary to roll back: all its traffic already goes to "
                                        "production.", code="no_canary")
            number = self._roll_back(session, model_row, canary, user=user, reason=text, automatic=False)
            result = store.canary_run(session, canary, model)
        self._changed(model, [number], user.username, f"rolled back: {text}")
        return result

    def judge(self, model: str, *, actor: User) -> CanaryVerdict:
        """Run the canary judge on the running canary now and store its verdict.

        A critical failure (error rate or latency) rolls the canary back in the same
        transaction as the verdict, in ``actor``'s name and marked automatic everywhere.
        """
        with self.db.read() as session:
            _user(session, actor)
            model_row = store.model_row(session, model)
            canary = store.running_canary(session, model_row)
            if canary is None:
                raise InvalidTransition(f"{model} has no canary running, so there is nothing to judge.",
                                        code="no_canary")
            canary_id, min_requests, started = canary.id, canary.min_requests, canary.started_at
            row = store.version_by_id(session, canary.version_id)
            champion = _alias_version(session, model_row, "production")
            number, production, task = row.number, champion.number if champion else None, model_row.task
            positive = (row.input_schema or {}).get("positive_label")
            extra_ms = _validated_extra_latency(row, champion)
        now = utcnow()
        canary_side, production_side = read_sides(self.log, model, start=started, end=now, canary_version=number,
                                                  production_version=production, task=task, positive_label=positive)
        judgement = judge(canary_side, production_side, min_requests=min_requests, task=task,
                          expected_extra_latency_ms=extra_ms, settings=self.settings)
        with self.db.write() as session:
            user = _user(session, actor)
            model_row = store.model_row(session, model, lock=True)
            canary = store.running_canary(session, model_row)
            if canary is None or canary.id != canary_id:
                raise Conflict(f"The canary of {model} ended while it was being judged; nothing was stored.",
                               code="canary_ended")
            saved = store.add_verdict(session, canary, judgement, production_version=production,
                                      canary_requests=canary_side.requests,
                                      production_requests=production_side.requests, window_start=started,
                                      window_end=now, judged_by=user.username)
            if judgement.critical_failure:
                failed = "; ".join(c.summary for c in judgement.checks if c.critical and c.status == "fail")
                reason = f"Automatic rollback by the canary judge (verdict {saved.id}): {failed}"
                self._roll_back(session, model_row, canary, user=user, reason=reason, automatic=True)
                saved.rolled_back = True
                saved.headline += (f" The judge rolled it back automatically: all traffic is back on production "
                                   f"version {production}.")
            audit.append(session=session, actor=user.username, action="canary.judged", model=model, version=number,
                         detail={"canary": canary_id, "verdict_id": saved.id, "verdict": judgement.verdict,
                                 "canary_requests": canary_side.requests,
                                 "production_requests": production_side.requests,
                                 "rolled_back": saved.rolled_back})
            result = store.verdict_of(session, saved, model)
        if result.rolled_back:
            self._changed(model, [number], result.judged_by or "", "rolled back automatically by the canary judge")
        return result

    # -- inside ----------------------------------------------------------------------------------

    def _roll_back(self, session: Session, model_row: ModelRow, canary: CanaryRow, *, user: User, reason: str,
                   automatic: bool) -> int:
        row = store.version_by_id(session, canary.version_id, lock=True)
        apply_transition(session, model_row.name, row, State.ROLLED_BACK, actor=user, reason=reason,
                         detail={"canary": canary.id, "automatic": automatic})
        clear_alias(session, model_row, "canary", actor=user, reason=reason)
        store.close_canary(canary, outcome="rolled_back", ended_by=user.username, reason=reason, automatic=automatic)
        audit.append(session=session, actor=user.username, action="deployment.rolled_back", model=model_row.name,
                     version=row.number, detail={"canary": canary.id, "reason": reason, "automatic": automatic})
        return row.number

    def _no_pass(self, model: str, number: int, verdict) -> InvalidTransition:
        if verdict is None:
            state = "the judge has not given a verdict on this canary yet"
        else:
            word = {"wait": "keep waiting", "fail": "fail"}.get(verdict.verdict, verdict.verdict)
            state = f"the judge's latest verdict is “{word}”: {verdict.headline}"
        return InvalidTransition(f"{model} version {number} cannot be promoted: {state} Promotion needs a pass; "
                                 "otherwise an admin can promote it with a written reason (--override-reason), "
                                 "which the audit log, the sign-off packet and the model card keep.",
                                 code="canary_verdict_missing")

    def _changed(self, model: str, versions: list[int], actor: str, why: str) -> None:
        if self.on_change is not None:
            self.on_change(model, versions, actor, why)


def _validated_extra_latency(canary: VersionRow, champion: VersionRow | None) -> float:
    """How much slower test validation measured the canary's version than production's (median,
    one row), or 0 when either was not measured."""
    if champion is None:
        return 0.0
    mine, theirs = (canary.metrics or {}).get("latency_p50_ms"), (champion.metrics or {}).get("latency_p50_ms")
    if mine is None or theirs is None:
        return 0.0
    return max(0.0, float(mine) - float(theirs))
