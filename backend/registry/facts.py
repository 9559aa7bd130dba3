"""Facts about the database itself, such as "this is the public demo".

The demo claims an empty database here, in one transaction that also checks there are no
models and no accounts, so it never lands in a real database and two demo runs at once build
it once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.tables import MetaRow, ModelRow, UserRow
from backend.db.types import utcnow
from backend.errors import Conflict
from backend.governance import audit

__all__ = ["get_fact", "set_fact", "claim_empty"]


def get_fact(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(MetaRow, key)
    return dict(row.value) if row else None


def set_fact(session: Session, key: str, value: dict[str, Any], *, actor: str) -> None:
    row = session.get(MetaRow, key)
    if row is None:
        session.add(MetaRow(key=key, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()
    audit.append(session=session, actor=actor, action="database.fact", detail={"key": key, "value": value})


def claim_empty(session: Session, key: str, value: dict[str, Any], *, actor: str) -> None:
    """Record ``key`` only if the database holds no models, no accounts and no ``key`` yet."""
    if session.get(MetaRow, key) is not None:
        raise Conflict(f"This database already has '{key}' recorded.", code="already_claimed")
    models = session.execute(select(func.count()).select_from(ModelRow)).scalar_one()
    users = session.execute(select(func.count()).select_from(UserRow)).scalar_one()
    if models or users:
        raise Conflict(f"This database already holds {models} model{'s' if models != 1 else ''} and {users} "
                       f"account{'s' if users != 1 else ''}.", code="database_not_empty")
    session.add(MetaRow(key=key, value=value, updated_at=utcnow()))
    session.flush()
    audit.append(session=session, actor=actor, action="database.fact", detail={"key": key, "value": value})
