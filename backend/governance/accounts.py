"""Local accounts with argon2 password hashes, and their roles.

Every change is checked against the acting user's permissions and written to the audit log.
"""

from __future__ import annotations

import getpass
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select

from backend.db import Database
from backend.db.tables import UserRow
from backend.db.types import utcnow
from backend.domain import User
from backend.errors import Conflict, InvalidData, NotFound, PermissionDenied
from backend.governance import audit, sign_in
from backend.governance.actors import OPERATOR_SUFFIX, acting
from backend.governance.permissions import check_role_name, require

__all__ = ["Accounts", "operator", "acting", "MIN_PASSWORD_LENGTH"]

MIN_PASSWORD_LENGTH = 10
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
_hasher = PasswordHasher()
# Verifying against this keeps a wrong user name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("greenlight-timing-equaliser")


def operator() -> User:
    """The person at the command line: they hold the database credentials, so act as admin.

    The name cannot be an account's (accounts have no spaces), so it never matches one.
    """
    return User(username=f"{getpass.getuser()}{OPERATOR_SUFFIX}", display_name="command line", email=None,
                roles=("admin",), disabled=False)


def _other_active_admins(session, username: str) -> int:
    rows = session.execute(select(UserRow.roles).where(UserRow.username != username,
                                                       UserRow.disabled.is_(False))).scalars()
    return sum("admin" in (roles or ()) for roles in rows)


def _keep_an_admin(session, row: UserRow, *, losing_admin: bool) -> None:
    if losing_admin and "admin" in (row.roles or ()) and not row.disabled and not _other_active_admins(session, row.username):
        raise PermissionDenied(f"{row.username} is the last active admin; give another account the admin role first.",
                               code="last_admin")


def _row(session, username: str) -> UserRow:
    row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no account named '{username}'.")
    return row


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidData(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password")


def _clean_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    if not roles:
        raise InvalidData("An account needs at least one role.", code="invalid_role")
    return list(dict.fromkeys(check_role_name(r.strip()) for r in roles))


class Accounts:
    """Account management and authentication.

    Parameters
    ----------
    db : Database
    """

    def __init__(self, db: Database):
        self.db = db

    def add_user(self, username: str, password: str, roles: list[str], *, actor: User,
                 email: str | None = None, display_name: str | None = None) -> User:
        if not _USERNAME_RE.match(username or ""):
            raise InvalidData("A user name uses letters, digits, '.', '_', '@' or '-', 2 to 100 characters.",
                              code="invalid_username")
        _check_password(password)
        roles = _clean_roles(roles)
        email = email.strip().lower() if email else None
        with self.db.write() as session:
            actor = acting(session, actor)
            require(actor, "manage_users")
            taken = UserRow.username == username
            if email:
                taken = or_(taken, UserRow.email == email)
            clash = session.execute(select(UserRow.username).where(taken)).first()
            if clash:
                raise Conflict(f"An account named '{username}' or with that e-mail already exists.")
            row = UserRow(username=username, display_name=display_name or username, email=email, roles=roles,
                          password_hash=_hasher.hash(password), disabled=False)
            session.add(row)
            session.flush()
            audit.append(session=session, actor=actor.username, action="account.created",
                         detail={"username": username, "roles": roles, "email": email})
            return row.to_domain()

    def list_users(self) -> list[User]:
        with self.db.read() as session:
            return [r.to_domain() for r in session.execute(select(UserRow).order_by(UserRow.username)).scalars()]

    def get_user(self, username: str) -> User:
        with self.db.read() as session:
            return _row(session, username).to_domain()

    def find_by_email(self, email: str) -> User | None:
        with self.db.read() as session:
            row = session.execute(select(UserRow).where(func.lower(UserRow.email) == email.strip().lower())
                                  ).scalar_one_or_none()
            return row.to_domain() if row else None

    def set_roles(self, username: str, roles: list[str], *, actor: User) -> User:
        roles = _clean_roles(roles)
        with self.db.write() as session:
            actor = acting(session, actor)
            require(actor, "manage_users")
            row = _row(session, username)
            _keep_an_admin(session, row, losing_admin="admin" not in roles)
            before = list(row.roles)
            row.roles, row.updated_at = roles, utcnow()
            audit.append(session=session, actor=actor.username, action="account.roles",
                         detail={"username": username, "from": before, "to": roles})
            return row.to_domain()

    def set_disabled(self, username: str, disabled: bool, *, actor: User) -> User:
        if disabled and username == actor.username:
            raise PermissionDenied("You cannot disable your own account.")
        with self.db.write() as session:
            actor = acting(session, actor)
            require(actor, "manage_users")
            row = _row(session, username)
            _keep_an_admin(session, row, losing_admin=disabled)
            row.disabled, row.updated_at = disabled, utcnow()
            audit.append(session=session, actor=actor.username,
                         action="account.disabled" if disabled else "account.enabled", detail={"username": username})
            return row.to_domain()

    def set_password(self, username: str, password: str, *, actor: User) -> None:
        _check_password(password)
        with self.db.write() as session:
            actor = acting(session, actor)
            if actor.username != username:
                require(actor, "manage_users")
            row = _row(session, username)
            row.password_hash, row.updated_at = _hasher.hash(password), utcnow()
            audit.append(session=session, actor=actor.username, action="account.password",
                         detail={"username": username})

    def authenticate(self, username: str, password: str, *, client: str = sign_in.COMMAND_LINE) -> User:
        """The account, if the password matches and it is enabled; one message for any mismatch.

        Throttled per account and per ``client`` (the browser's address; the command line by
        default), and every failure is audited: see :mod:`backend.governance.sign_in`.
        """
        return sign_in.throttled(self.db, username, client, lambda: self._check_password(username, password))

    def _check_password(self, username: str, password: str) -> User:
        refused = PermissionDenied("Wrong user name or password.", code="login_failed")
        with self.db.read() as session:
            row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
            stored = row.password_hash if row else _DUMMY_HASH
            try:
                _hasher.verify(stored, password or "")
            except (VerificationError, InvalidHashError):
                raise refused from None
            if row is None:
                raise refused
            if row.disabled:
                raise PermissionDenied(f"The account '{username}' is disabled; ask an administrator.",
                                       code="account_disabled")
            return row.to_domain()
