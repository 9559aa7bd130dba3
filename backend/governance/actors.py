"""The acting person as stored now, for every service that checks a permission.

On the lower floor beside the sign-off rules, so that the registry can check the ``deploy``
permission inside its own transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import UserRow
from backend.domain import User
from backend.errors import PermissionDenied

__all__ = ["acting", "OPERATOR_SUFFIX", "is_operator"]

#: Appended to the OS user name of the person at the command line (see ``accounts.operator``).
OPERATOR_SUFFIX = " (command line)"


def is_operator(user: User) -> bool:
    return user.username.endswith(OPERATOR_SUFFIX)


def acting(session: Session, actor: User) -> User:
    """The acting person as stored now: roles and the disabled flag are read afresh, so a
    stale or hand-made ``User`` object cannot carry powers the account no longer has.

    The command-line operator (who holds the database credentials) is taken as given.
    """
    if not isinstance(actor, User):
        raise PermissionDenied("This action needs a signed-in account, not a name.", code="not_authenticated")
    if is_operator(actor):
        return actor
    row = session.execute(select(UserRow).where(UserRow.username == actor.username)).scalar_one_or_none()
    if row is None:
        raise PermissionDenied(f"There is no account named '{actor.username}' to act as.")
    return row.to_domain()
