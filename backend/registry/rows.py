"""Shared lookups of the registry's services: a model's row and a version's row, or NotFound."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import ModelRow, VersionRow
from backend.errors import NotFound

__all__ = ["model_row", "version_row"]


def model_row(session: Session, name: str) -> ModelRow:
    row = session.execute(select(ModelRow).where(ModelRow.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no model named '{name}'.")
    return row


def version_row(session: Session, name: str, number: int, *, lock: bool = False) -> tuple[ModelRow, VersionRow]:
    model = model_row(session, name)
    query = select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.number == number)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Model '{name}' has no version {number}.")
    return model, row
