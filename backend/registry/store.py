"""The model registry: models, their versions, deployment aliases and stage runs.

Every public method is one transaction and returns domain objects. Every state change and
alias move is written to the audit log in the same transaction, so the history can never
disagree with the registry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from backend.db import Database
from backend.db.tables import AliasRow, ArtifactRow, ModelRow, StageRunRow, VersionRow
from backend.db.types import utcnow
from backend.domain import (
    ArtifactRef,
    AuditEntry,
    Model,
    ModelInfo,
    ModelSummary,
    StageRun,
    Version,
    VersionPage,
)
from backend.errors import InvalidTransition, NotFound
from backend.governance import audit
from backend.registry.states import ALIASES, State, check_transition

__all__ = ["Registry", "apply_transition"]

_VERSION_FIELDS = {"git_commit", "spec_path", "spec_hash", "data_fingerprint", "estimator", "params",
                   "metrics", "policy", "input_schema"}


def _model_row(session: Session, name: str) -> ModelRow:
    row = session.execute(select(ModelRow).where(ModelRow.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no model named '{name}'.")
    return row


def _version_row(session: Session, name: str, number: int) -> tuple[ModelRow, VersionRow]:
    model = _model_row(session, name)
    row = session.execute(
        select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.number == number)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Model '{name}' has no version {number}.")
    return model, row


class Registry:
    """Models, versions, aliases and stage runs.

    Parameters
    ----------
    db : Database
        Each method opens its own managed session on it.
    """

    def __init__(self, db: Database):
        self.db = db

    # -- models --------------------------------------------------------------------------

    def upsert_model(self, info: ModelInfo, *, actor: str) -> Model:
        """Create the model, or update its description fields when the spec changed them."""
        with self.db.write() as session:
            row = session.execute(select(ModelRow).where(ModelRow.name == info.name)).scalar_one_or_none()
            fields = {k: getattr(info, k) for k in ("title", "description", "owner", "risk_tier", "task")}
            if row is None:
                row = ModelRow(name=info.name, latest_version=0, **fields)
                session.add(row)
                session.flush()
                audit.append(session=session, actor=actor, action="model.created", model=info.name, detail=fields)
            else:
                changes = {k: [getattr(row, k), v] for k, v in fields.items() if getattr(row, k) != v}
                if changes:
                    for k, (_old, new) in changes.items():
                        setattr(row, k, new)
                    row.updated_at = utcnow()
                    audit.append(session=session, actor=actor, action="model.updated", model=info.name,
                                 detail={"changes": changes})
            return row.to_domain()

    def get_model(self, name: str) -> Model:
        with self.db.read() as session:
            return _model_row(session, name).to_domain()

    def list_models(self) -> list[ModelSummary]:
        """Every model with its latest and production versions, in one query."""
        latest = aliased(VersionRow)
        prod_alias = aliased(AliasRow)
        prod = aliased(VersionRow)
        query = (
            select(ModelRow.name, ModelRow.title, ModelRow.description, ModelRow.owner, ModelRow.risk_tier,
                   ModelRow.task, ModelRow.latest_version, latest.state, latest.updated_at,
                   latest.failure_reason, prod.number)
            .outerjoin(latest, (latest.model_id == ModelRow.id) & (latest.number == ModelRow.latest_version))
            .outerjoin(prod_alias, (prod_alias.model_id == ModelRow.id) & (prod_alias.alias == "production"))
            .outerjoin(prod, prod.id == prod_alias.version_id)
            .order_by(ModelRow.name)
        )
        with self.db.read() as session:
            return [
                ModelSummary(name=r[0], title=r[1], description=r[2], owner=r[3], risk_tier=r[4], task=r[5],
                             latest_version=r[6] or None, latest_state=r[7], latest_updated_at=r[8],
                             latest_failure_reason=r[9], production_version=r[10])
                for r in session.execute(query)
            ]

    # -- versions ------------------------------------------------------------------------

    def create_version(self, name: str, *, author: str, **fields: Any) -> Version:
        """Register the next version number of ``name`` in state ``registered``."""
        unknown = set(fields) - _VERSION_FIELDS
        if unknown:
            raise TypeError(f"unknown version fields: {sorted(unknown)}")
        with self.db.write() as session:
            model = _model_row(session, name)
            # The increment is a single UPDATE, so two pipelines never get the same number.
            session.execute(update(ModelRow).where(ModelRow.id == model.id)
                            .values(latest_version=ModelRow.latest_version + 1))
            number = session.execute(select(ModelRow.latest_version).where(ModelRow.id == model.id)).scalar_one()
            row = VersionRow(model_id=model.id, number=number, state=State.REGISTERED.value, author=author, **fields)
            session.add(row)
            session.flush()
            audit.append(session=session, actor=author, action="version.registered", model=name, version=number,
                         detail={"git_commit": fields.get("git_commit"), "spec_hash": fields.get("spec_hash")})
            return row.to_domain(name)

    def update_version(self, name: str, number: int, **fields: Any) -> Version:
        """Record lineage and results found by a stage (never the state: see ``transition``)."""
        unknown = set(fields) - _VERSION_FIELDS
        if unknown:
            raise TypeError(f"unknown version fields: {sorted(unknown)}")
        with self.db.write() as session:
            _, row = _version_row(session, name, number)
            for key, value in fields.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            return row.to_domain(name)

    def transition(self, name: str, number: int, target: str, *, actor: str, reason: str | None = None) -> Version:
        """Move a version along the state machine, or raise ``InvalidTransition``."""
        with self.db.write() as session:
            _, row = _version_row(session, name, number)
            apply_transition(session, name, row, target, actor=actor, reason=reason)
            return row.to_domain(name)

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

    # -- aliases -------------------------------------------------------------------------

    def move_alias(self, name: str, alias: str, number: int, *, actor: str, reason: str | None = None) -> None:
        """Point ``alias`` at version ``number`` (one row updated, whatever the history size)."""
        if alias not in ALIASES:
            raise InvalidTransition(f"Unknown alias '{alias}'; aliases are: {', '.join(ALIASES)}.")
        with self.db.write() as session:
            model, version = _version_row(session, name, number)
            row = session.get(AliasRow, (model.id, alias))
            previous = None
            if row is None:
                session.add(AliasRow(model_id=model.id, alias=alias, version_id=version.id, updated_at=utcnow()))
            else:
                previous = session.execute(select(VersionRow.number).where(VersionRow.id == row.version_id)).scalar_one()
                row.version_id, row.updated_at = version.id, utcnow()
            audit.append(session=session, actor=actor, action="alias.moved", model=name, version=number,
                         detail={"alias": alias, "from_version": previous, "reason": reason})

    def get_alias(self, name: str, alias: str) -> int | None:
        """The version number ``alias`` points at, or None."""
        with self.db.read() as session:
            return session.execute(
                select(VersionRow.number).join(AliasRow, AliasRow.version_id == VersionRow.id)
                .join(ModelRow, ModelRow.id == AliasRow.model_id)
                .where(ModelRow.name == name, AliasRow.alias == alias)
            ).scalar_one_or_none()

    # -- stage runs ----------------------------------------------------------------------

    def start_stage(self, name: str, number: int, stage: str, *, status: str = "running") -> int:
        with self.db.write() as session:
            _, version = _version_row(session, name, number)
            row = StageRunRow(version_id=version.id, stage=stage, status=status, started_at=utcnow())
            session.add(row)
            session.flush()
            return row.id

    def finish_stage(self, stage_run_id: int, *, status: str, messages: list[str], evidence: dict[str, Any]) -> StageRun:
        with self.db.write() as session:
            row = session.get(StageRunRow, stage_run_id)
            if row is None:
                raise NotFound(f"Stage run {stage_run_id} does not exist.")
            row.status, row.messages, row.evidence, row.finished_at = status, messages, evidence, utcnow()
            return row.to_domain()

    def list_stage_runs(self, name: str, number: int) -> list[StageRun]:
        with self.db.read() as session:
            _, version = _version_row(session, name, number)
            rows = session.execute(select(StageRunRow).where(StageRunRow.version_id == version.id)
                                   .order_by(StageRunRow.id)).scalars()
            return [r.to_domain() for r in rows]

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

    def count_versions(self) -> int:
        with self.db.read() as session:
            return session.execute(select(func.count()).select_from(VersionRow)).scalar_one()


def apply_transition(session: Session, name: str, row: VersionRow, target: str, *, actor: str,
                     reason: str | None) -> None:
    """Move ``row`` to ``target`` inside the caller's transaction, or raise.

    This is the one place a version's state changes, so the rules that guard a state live
    here: nothing becomes ``approved`` without every required sign-off.
    """
    check_transition(row.state, target)
    if target == State.FAILED and not reason:
        raise InvalidTransition("A version can only be marked failed with a reason.")
    if target == State.APPROVED:
        from backend.governance.signoff_rules import missing_roles

        missing = missing_roles(session, row)
        if missing:
            raise InvalidTransition(f"{name} version {row.number} cannot be approved: it still needs a valid "
                                    f"sign-off by {', '.join(missing)}.", code="signoff_missing")
    before = row.state
    row.state = target
    row.updated_at = utcnow()
    if target in (State.FAILED, State.REJECTED, State.ROLLED_BACK):
        row.failure_reason = reason  # why it stopped, shown wherever the version is listed
    audit.append(session=session, actor=actor, action="version.state", model=name, version=row.number,
                 detail={"from": before, "to": target, "reason": reason})


def _with_aliases(version: Version, aliases: tuple[str, ...]) -> Version:
    from dataclasses import replace

    return replace(version, aliases=aliases)
