"""The model registry: models, their versions, deployment aliases and stage runs.

Every public method is one transaction and returns domain objects. Every write is appended to
the audit log in the same transaction, so the history can never disagree with the registry.

A version's policy, lineage and metrics are written once, by the stage that owns them, and
frozen after it: the policy and the code's lineage at registration (computed here from the
organisation's floor), the data lineage by the build stage, the metrics by test validation.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from backend.db import Database
from backend.db.tables import AliasRow, ArtifactRow, ModelRow, VersionRow
from backend.db.types import utcnow
from backend.domain import (
    ArtifactRef,
    AuditEntry,
    LiveTrafficVerdict,
    Model,
    ModelInfo,
    ModelSummary,
    User,
    Version,
    VersionPage,
)
from backend.errors import Conflict, InvalidTransition, NotFound
from backend.governance import audit
from backend.governance.actors import acting
from backend.governance.permissions import require
from backend.registry.artifacts import ArtifactStore
from backend.registry.facts import claim_empty, get_fact, set_fact
from backend.registry.live_traffic import live_traffic_verdict
from backend.registry.policy_floor import check_risk_tier, frozen_policy
from backend.registry.rows import model_row as _model_row
from backend.registry.rows import version_row as _version_row
from backend.registry.slots import Slots
from backend.registry.stage_runs import StageRuns
from backend.registry.states import State
from backend.registry.transitions import apply_transition

__all__ = ["Registry", "apply_transition"]

#: Lineage of the code, fixed when the version is registered.
_REGISTRATION_FIELDS = {"git_commit", "spec_path", "spec_hash", "factory"}
#: Lineage of the data and the fitted estimator, written once by the build stage.
_BUILD_FIELDS = {"data_fingerprint", "estimator", "params", "input_schema"}


class Registry(Slots, StageRuns):
    """Models, versions, aliases and stage runs.

    Parameters
    ----------
    db : Database
        Each method opens its own managed session on it.
    artifacts : ArtifactStore
        Where the deployment guard re-hashes the evidence files.
    """

    def __init__(self, db: Database, artifacts: ArtifactStore):
        self.db = db
        self.artifacts = artifacts

    # -- models --------------------------------------------------------------------------

    def upsert_model(self, info: ModelInfo, *, actor: User) -> Model:
        """Create the model, or update its description fields when the spec changed them.

        Only an account allowed to run the pipeline may; lowering the recorded risk tier needs an
        admin's exception (:class:`InvalidSpec` otherwise).
        """
        with self.db.write() as session:
            user = acting(session, actor)
            require(user, "run_pipeline")
            row, _ = _upsert_model(session, info, actor=user.username)
            return row.to_domain()

    def get_model(self, name: str) -> Model:
        with self.db.read() as session:
            return _model_row(session, name).to_domain()

    def list_models(self) -> list[ModelSummary]:
        """Every model with its latest, production and canary versions, in one query."""
        latest = aliased(VersionRow)
        prod_alias, canary_alias = aliased(AliasRow), aliased(AliasRow)
        prod, canary = aliased(VersionRow), aliased(VersionRow)
        query = (
            select(ModelRow.name, ModelRow.title, ModelRow.description, ModelRow.owner, ModelRow.risk_tier,
                   ModelRow.task, ModelRow.latest_version, latest.state, latest.updated_at,
                   latest.failure_reason, prod.number, canary.number)
            .outerjoin(latest, (latest.model_id == ModelRow.id) & (latest.number == ModelRow.latest_version))
            .outerjoin(prod_alias, (prod_alias.model_id == ModelRow.id) & (prod_alias.alias == "production"))
            .outerjoin(prod, prod.id == prod_alias.version_id)
            .outerjoin(canary_alias, (canary_alias.model_id == ModelRow.id) & (canary_alias.alias == "canary"))
            .outerjoin(canary, canary.id == canary_alias.version_id)
            .order_by(ModelRow.name)
        )
        with self.db.read() as session:
            return [
                ModelSummary(name=r[0], title=r[1], description=r[2], owner=r[3], risk_tier=r[4], task=r[5],
                             latest_version=r[6] or None, latest_state=r[7], latest_updated_at=r[8],
                             latest_failure_reason=r[9], production_version=r[10], canary_version=r[11])
                for r in session.execute(query)
            ]

    # -- versions ------------------------------------------------------------------------

    def register_version(self, info: ModelInfo, *, author: User, declared_policy: dict[str, Any] | None = None,
                         **lineage: Any) -> Version:
        """Create or update the model from its spec and register its next version, in one transaction.

        Parameters
        ----------
        info : ModelInfo
            What the spec says about the model.
        author : User
            The signed-in account that runs the pipeline; it must hold the ``data_scientist`` role.
            It becomes the version's author, whom four-eyes keeps from signing it off.
        declared_policy : dict, optional
            What the spec's ``[gates]``, ``[signoff]`` and ``[canary]`` declare. The organisation's
            floor and this model's active exceptions are applied here, and the result is frozen.
        **lineage
            ``git_commit``, ``spec_path``, ``spec_hash``, ``factory``.

        Raises
        ------
        PermissionDenied
            The author may not run the pipeline.
        InvalidSpec
            The spec goes below the organisation's floor without an exception.
        """
        with self.db.write() as session:
            user = acting(session, author)
            require(user, "run_pipeline")
            model, tier_exception = _upsert_model(session, info, actor=user.username)
            return _create_version(session, model, author=user, declared_policy=declared_policy,
                                   tier_exception=tier_exception, lineage=lineage)

    def create_version(self, name: str, *, author: User, declared_policy: dict[str, Any] | None = None,
                       **lineage: Any) -> Version:
        """Register the next version of an existing model (see :meth:`register_version`)."""
        with self.db.write() as session:
            user = acting(session, author)
            require(user, "run_pipeline")
            return _create_version(session, _model_row(session, name), author=user, declared_policy=declared_policy,
                                   tier_exception=None, lineage=lineage)

    def record_build(self, name: str, number: int, *, actor: str, **fields: Any) -> Version:
        """The build stage's lineage: data fingerprint, estimator, its parameters, the input schema.

        Written once, while the version is ``registered``; frozen from then on.
        """
        unknown = set(fields) - _BUILD_FIELDS
        if unknown or not fields:
            raise TypeError(f"record_build takes {sorted(_BUILD_FIELDS)}; got {sorted(fields)}")
        with self.db.write() as session:
            _, row = _version_row(session, name, number, lock=True)
            _check_once(row, fields, State.REGISTERED, "build lineage", name)
            for key, value in fields.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            audit.append(session=session, actor=actor, action="version.recorded", model=name, version=number,
                         detail={"stage": "build", "fields": {k: _digest(v) for k, v in sorted(fields.items())}})
            return row.to_domain(name)

    def record_metrics(self, name: str, number: int, *, actor: str, metrics: dict[str, float]) -> Version:
        """Test validation's measurements; written once, while the version is ``reported``."""
        with self.db.write() as session:
            _, row = _version_row(session, name, number, lock=True)
            _check_once(row, {"metrics": metrics}, State.REPORTED, "metrics", name)
            row.metrics = dict(metrics)
            row.updated_at = utcnow()
            audit.append(session=session, actor=actor, action="version.recorded", model=name, version=number,
                         detail={"stage": "test_validation", "metrics": dict(metrics)})
            return row.to_domain(name)

    def transition(self, name: str, number: int, target: str, *, actor: User | str, reason: str | None = None,
                   override_reason: str | None = None) -> Version:
        """Move a version along the state machine, or raise ``InvalidTransition``.

        Moves that change live traffic (``canary``, ``production``, ``rolled_back``, ``retired``)
        need a signed-in ``actor`` allowed to deploy, and the deployment guard's yes for
        ``canary`` and ``production``. Straight to production (no canary verdict) needs an admin's
        ``override_reason``.
        """
        with self.db.write() as session:
            _, row = _version_row(session, name, number, lock=True)
            apply_transition(session, name, row, target, actor=actor, reason=reason, store=self.artifacts,
                             override_reason=override_reason)
            return row.to_domain(name)

    def live_traffic(self, name: str, number: int) -> LiveTrafficVerdict:
        """Whether the version may take live traffic now, and every reason it may not."""
        with self.db.read() as session:
            model, row = _version_row(session, name, number)
            return live_traffic_verdict(session, model, row, self.artifacts)

    def get_version(self, name: str, number: int) -> Version:
        with self.db.read() as session:
            model, row = _version_row(session, name, number)
            aliases = session.execute(
                select(AliasRow.alias).where(AliasRow.model_id == model.id, AliasRow.version_id == row.id)
            ).scalars().all()
            version = row.to_domain(name)
        return _with_aliases(version, tuple(sorted(aliases)))

    def list_versions(self, name: str, *, limit: int = 50, before: int | None = None) -> VersionPage:
        """One page of the history, newest first; pass ``next_before`` for the next page.

        Keyset paging on (model, number): the cost depends on the page size, not on how many
        versions the model has.
        """
        with self.db.read() as session:
            model = _model_row(session, name)
            query = (select(VersionRow).where(VersionRow.model_id == model.id)
                     .order_by(VersionRow.number.desc()).limit(limit))
            if before is not None:
                query = query.where(VersionRow.number < before)
            rows = session.execute(query).scalars().all()
            alias_rows = session.execute(
                select(AliasRow.alias, AliasRow.version_id).where(AliasRow.model_id == model.id)).all()
            by_version: dict[int, list[str]] = {}
            for alias, version_id in alias_rows:
                by_version.setdefault(version_id, []).append(alias)
            versions = [_with_aliases(r.to_domain(name), tuple(sorted(by_version.get(r.id, ())))) for r in rows]
            total = model.latest_version
        next_before = versions[-1].number if versions and versions[-1].number > 1 and len(versions) == limit else None
        return VersionPage(versions=versions, total=total, next_before=next_before)

    # -- artifacts -----------------------------------------------------------------------

    def add_artifact(self, name: str, number: int, *, kind: str, uri: str, sha256: str, size_bytes: int,
                     meta: dict[str, Any] | None = None, actor: str) -> ArtifactRef:
        with self.db.write() as session:
            _, version = _version_row(session, name, number)
            row = ArtifactRow(version_id=version.id, kind=kind, uri=uri, sha256=sha256, size_bytes=size_bytes,
                              meta=meta or {}, created_at=utcnow())
            session.add(row)
            session.flush()
            audit.append(session=session, actor=actor, action="artifact.stored", model=name, version=number,
                         detail={"kind": kind, "sha256": sha256, "size_bytes": size_bytes})
            return row.to_domain(name, number)

    def replace_artifact(self, name: str, number: int, *, kind: str, uri: str, sha256: str, size_bytes: int,
                         meta: dict[str, Any] | None = None, actor: str, reason: str) -> ArtifactRef:
        """Point a version's ``kind`` artifact at new bytes (a regenerated report, say).

        Sign-offs bound to the old SHA-256 no longer count; the audit log keeps both hashes.
        """
        with self.db.write() as session:
            _, version = _version_row(session, name, number)
            row = session.execute(select(ArtifactRow).where(ArtifactRow.version_id == version.id,
                                                            ArtifactRow.kind == kind)).scalar_one_or_none()
            if row is None:
                raise NotFound(f"Version {number} of '{name}' has no '{kind}' artifact to replace.")
            before = row.sha256
            row.uri, row.sha256, row.size_bytes, row.created_at = uri, sha256, size_bytes, utcnow()
            if meta is not None:
                row.meta = meta
            audit.append(session=session, actor=actor, action="artifact.replaced", model=name, version=number,
                         detail={"kind": kind, "from_sha256": before, "sha256": sha256, "reason": reason})
            return row.to_domain(name, number)

    def get_artifact(self, name: str, number: int, kind: str) -> ArtifactRef:
        with self.db.read() as session:
            _, version = _version_row(session, name, number)
            row = session.execute(select(ArtifactRow).where(ArtifactRow.version_id == version.id,
                                                            ArtifactRow.kind == kind)).scalar_one_or_none()
            if row is None:
                raise NotFound(f"Version {number} of '{name}' has no '{kind}' artifact.")
            return row.to_domain(name, number)

    def list_artifacts(self, name: str, number: int) -> list[ArtifactRef]:
        with self.db.read() as session:
            _, version = _version_row(session, name, number)
            rows = session.execute(select(ArtifactRow).where(ArtifactRow.version_id == version.id)
                                   .order_by(ArtifactRow.id)).scalars()
            return [r.to_domain(name, number) for r in rows]

    # -- history -------------------------------------------------------------------------

    def history(self, name: str, *, limit: int = 500) -> list[AuditEntry]:
        """Every state change, alias move and artifact of a model, newest first."""
        with self.db.read() as session:
            _model_row(session, name)
            return audit.list_entries(session=session, model=name, limit=limit)

    def audit_log(self, *, model: str | None = None, action_prefix: str | None = None, actor: str | None = None,
                  limit: int = 500, before_seq: int | None = None) -> list[AuditEntry]:
        """Audit entries across every model (or one), newest first; ``before_seq`` pages back."""
        with self.db.read() as session:
            return audit.list_entries(session=session, model=model, action_prefix=action_prefix, actor=actor,
                                      limit=limit, before_seq=before_seq)

    def verify_audit(self) -> audit.ChainReport:
        """Check the audit log's chain and signatures, its checkpoints outside the database, and
        the tables against the replayed log: intact, or the first problem."""
        with self.db.read() as session:
            return audit.verify(session=session)

    def record(self, *, actor: str, action: str, model: str | None = None, version: int | None = None,
               detail: dict[str, Any] | None = None) -> AuditEntry:
        """Write an entry that is not a registry change (a refused command, for example)."""
        with self.db.write() as session:
            return audit.append(session=session, actor=actor, action=action, model=model, version=version,
                                detail=detail)

    def fact(self, key: str) -> dict[str, Any] | None:
        """A fact about this database (for example ``demo``), or None."""
        with self.db.read() as session:
            return get_fact(session, key)

    def set_fact(self, key: str, value: dict[str, Any], *, actor: str) -> None:
        with self.db.write() as session:
            set_fact(session, key, value, actor=actor)

    def claim_empty(self, key: str, value: dict[str, Any], *, actor: str) -> None:
        """Record ``key`` only in a database with no models, no accounts and no ``key`` (else Conflict)."""
        try:
            with self.db.write() as session:
                claim_empty(session, key, value, actor=actor)
        except Conflict as exc:
            if exc.code != "conflict":
                raise
            # Two claims at the same instant: the database's key kept one, and this is the other.
            raise Conflict(f"This database already has '{key}' recorded.", code="already_claimed") from None

    def count_versions(self) -> int:
        with self.db.read() as session:
            return session.execute(select(func.count()).select_from(VersionRow)).scalar_one()


def _upsert_model(session: Session, info: ModelInfo, *, actor: str) -> tuple[ModelRow, dict[str, Any] | None]:
    row = session.execute(select(ModelRow).where(ModelRow.name == info.name)).scalar_one_or_none()
    fields = {k: getattr(info, k) for k in ("title", "description", "owner", "risk_tier", "task")}
    tier_exception = None
    if row is None:
        row = ModelRow(name=info.name, latest_version=0, **fields)
        session.add(row)
        session.flush()
        audit.append(session=session, actor=actor, action="model.created", model=info.name, detail=fields)
        return row, None
    if row.task != info.task:
        raise InvalidTransition(f"{info.name} is a {row.task} model; a spec cannot turn it into a {info.task} model. "
                                "Give the new model another name.", code="task_changed")
    tier_exception = check_risk_tier(session, info.name, row.risk_tier, info.risk_tier)
    changes = {k: [getattr(row, k), v] for k, v in fields.items() if getattr(row, k) != v}
    if changes:
        for k, (_old, new) in changes.items():
            setattr(row, k, new)
        row.updated_at = utcnow()
        detail: dict[str, Any] = {"changes": changes}
        if tier_exception:
            detail["exception"] = tier_exception["id"]
        audit.append(session=session, actor=actor, action="model.updated", model=info.name, detail=detail)
    return row, tier_exception


def _create_version(session: Session, model: ModelRow, *, author: User, declared_policy: dict[str, Any] | None,
                    tier_exception: dict[str, Any] | None, lineage: dict[str, Any]) -> Version:
    unknown = set(lineage) - _REGISTRATION_FIELDS
    if unknown:
        raise TypeError(f"unknown lineage fields: {sorted(unknown)}")
    policy = frozen_policy(session, model.name, risk_tier=model.risk_tier, declared=declared_policy or {},
                           tier_exception=tier_exception)
    # The increment is a single UPDATE, so two pipelines never get the same number.
    session.execute(update(ModelRow).where(ModelRow.id == model.id).values(latest_version=ModelRow.latest_version + 1))
    number = session.execute(select(ModelRow.latest_version).where(ModelRow.id == model.id)).scalar_one()
    row = VersionRow(model_id=model.id, number=number, state=State.REGISTERED.value, author=author.username,
                     policy=policy, **lineage)
    session.add(row)
    session.flush()
    audit.append(session=session, actor=author.username, action="version.registered", model=model.name,
                 version=number, detail={**{k: lineage.get(k) for k in sorted(_REGISTRATION_FIELDS)},
                                         "policy": _digest(policy),
                                         "exceptions": [e["id"] for e in policy["exceptions"]]})
    return row.to_domain(model.name)


def _digest(value: Any) -> str:
    """The SHA-256 of a value's canonical JSON: the audit entry pins what was written."""
    return "sha256:" + hashlib.sha256(audit.canonical_json(value).encode()).hexdigest()


def _check_once(row: VersionRow, fields: dict[str, Any], state: State, what: str, name: str) -> None:
    if row.state != state:
        raise InvalidTransition(f"The {what} of {name} version {row.number} is written while it is '{state}'; "
                                f"it is '{row.state}', so it is frozen.", code="frozen")
    written = [k for k in fields if getattr(row, k) not in (None, {}, [])]
    if written:
        raise InvalidTransition(f"The {what} of {name} version {row.number} ({', '.join(written)}) was already "
                                "recorded and cannot be rewritten.", code="frozen")


def _with_aliases(version: Version, aliases: tuple[str, ...]) -> Version:
    from dataclasses import replace

    return replace(version, aliases=aliases)
