"""The registry's slots: the aliases that say which version serves (production, canary, test,
previous), moved only through the deployment guard."""

from __future__ import annotations

from sqlalchemy import select

from backend.db.tables import AliasRow, ModelRow, VersionRow
from backend.domain import ServingState, User
from backend.registry.rows import model_row as _model_row
from backend.registry.rows import version_row as _version_row
from backend.registry.transitions import apply_alias, apply_test_slot, clear_alias

__all__ = ["Slots"]


class Slots:
    """Part of :class:`backend.registry.store.Registry`: its ``db`` and ``artifacts``."""

    def move_alias(self, name: str, alias: str, number: int, *, actor: User, reason: str | None = None,
                   traffic_percent: float | None = None) -> None:
        """Point ``alias`` at version ``number`` (one row updated, whatever the history size).

        Guarded like :meth:`transition`: ``production`` and ``canary`` point only at a version in
        that state that the deployment guard clears, by an account allowed to deploy. A canary
        carries its share of live traffic.
        """
        with self.db.write() as session:
            model, version = _version_row(session, name, number, lock=True)
            apply_alias(session, model, alias, version, actor=actor, reason=reason, store=self.artifacts,
                        traffic_percent=traffic_percent)

    def deploy_to_test(self, name: str, number: int, *, actor: str) -> None:
        """Point the test environment's slot at ``number`` (test validation does this)."""
        with self.db.write() as session:
            model, version = _version_row(session, name, number, lock=True)
            apply_test_slot(session, model, version, actor=actor)

    def serving_state(self, name: str) -> ServingState:
        """What serves ``name`` now (production, canary and its share, rollback target, test)."""
        with self.db.read() as session:
            model = _model_row(session, name)
            rows = session.execute(select(AliasRow.alias, VersionRow.number, AliasRow.traffic_percent,
                                          AliasRow.updated_at)
                                   .join(VersionRow, VersionRow.id == AliasRow.version_id)
                                   .where(AliasRow.model_id == model.id)).all()
        by_alias = {alias: (number, share, at) for alias, number, share, at in rows}
        canary = by_alias.get("canary")
        return ServingState(model=name, production=by_alias.get("production", (None,))[0],
                            canary=canary[0] if canary else None, canary_percent=float(canary[1] or 0) if canary else 0.0,
                            previous=by_alias.get("previous", (None,))[0], test=by_alias.get("test", (None,))[0],
                            changed_at=max((at for _, _, at in by_alias.values()), default=None))

    def serving_states(self) -> dict[str, ServingState]:
        """What serves every model, in one query (scoring gateways re-read it every few seconds)."""
        with self.db.read() as session:
            rows = session.execute(select(ModelRow.name, AliasRow.alias, VersionRow.number, AliasRow.traffic_percent,
                                          AliasRow.updated_at)
                                   .join(AliasRow, AliasRow.model_id == ModelRow.id)
                                   .join(VersionRow, VersionRow.id == AliasRow.version_id)).all()
        by_model: dict[str, dict[str, tuple]] = {}
        for name, alias, number, share, at in rows:
            by_model.setdefault(name, {})[alias] = (number, share, at)
        return {name: ServingState(model=name, production=a.get("production", (None,))[0],
                                   canary=a["canary"][0] if "canary" in a else None,
                                   canary_percent=float(a["canary"][1] or 0) if "canary" in a else 0.0,
                                   previous=a.get("previous", (None,))[0], test=a.get("test", (None,))[0],
                                   changed_at=max(at for _, _, at in a.values()))
                for name, a in by_model.items()}

    def clear_alias(self, name: str, alias: str, *, actor: User, reason: str | None = None) -> int | None:
        """Remove ``alias``; returns the version it pointed at, or None."""
        with self.db.write() as session:
            return clear_alias(session, _model_row(session, name), alias, actor=actor, reason=reason)

    def get_alias(self, name: str, alias: str) -> int | None:
        """The version number ``alias`` points at, or None."""
        with self.db.read() as session:
            return session.execute(
                select(VersionRow.number).join(AliasRow, AliasRow.version_id == VersionRow.id)
                .join(ModelRow, ModelRow.id == AliasRow.model_id)
                .where(ModelRow.name == name, AliasRow.alias == alias)
            ).scalar_one_or_none()
