"""API tokens: how CI runs the pipeline as a person, and how client applications call the
scoring gateway.

A token is a random secret shown once when it is created; only its SHA-256 is stored. Tokens
are listed without the secret, expire if asked to, are revoked (never deleted), and every
creation and revocation is in the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from backend.db import Database
from backend.db.tables import ApiTokenRow, UserRow
from backend.db.types import utcnow
from backend.domain import ApiToken, User
from backend.errors import Conflict, InvalidData, NotFound, PermissionDenied
from backend.governance import audit
from backend.governance.actors import acting
from backend.governance.permissions import require

__all__ = ["Tokens", "TOKEN_PREFIX"]

TOKEN_PREFIX = "glt_"
_CLIENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$")
_REFUSED = "The API token is not valid: it is unknown, revoked or expired."


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Tokens:
    """API tokens for accounts and for client applications.

    Parameters
    ----------
    db : Database
    """

    def __init__(self, db: Database):
        self.db = db

    def create(self, *, actor: User, username: str | None = None, client: str | None = None,
               expires_days: int | None = None) -> tuple[ApiToken, str]:
        """A new token acting as ``username`` (or for the client application ``client``).

        Returns the listed token and its secret; the secret is not stored and cannot be shown again.
        """
        if (username is None) == (client is None):
            raise InvalidData("A token is either for an account (USER) or for a client application (--client NAME).")
        if client is not None and not _CLIENT_RE.match(client):
            raise InvalidData("A client name uses letters, digits, '.', '_' or '-', 2 to 100 characters.")
        if expires_days is not None and not 1 <= expires_days <= 3650:
            raise InvalidData("--expires-days must be between 1 and 3650.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as session:
            creator = acting(session, actor)
            require(creator, "manage_users")
            if username is not None:
                row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
                if row is None:
                    raise NotFound(f"There is no account named '{username}'.")
                if row.disabled:
                    raise Conflict(f"The account '{username}' is disabled; enable it before giving it a token.")
            now = utcnow()
            token = ApiTokenRow(token_hash=_hash(secret), prefix=secret[:12], username=username, client=client,
                                created_by=creator.username, created_at=now,
                                expires_at=now + timedelta(days=expires_days) if expires_days else None)
            session.add(token)
            session.flush()
            audit.append(session=session, actor=creator.username, action="token.created",
                         detail={"token": token.id, "prefix": token.prefix, "username": username, "client": client,
                                 "expires_at": token.expires_at})
            return token.to_domain(), secret

    def list(self, *, include_inactive: bool = False) -> list[ApiToken]:
        with self.db.read() as session:
            tokens = [r.to_domain() for r in session.execute(select(ApiTokenRow).order_by(ApiTokenRow.id)).scalars()]
        return tokens if include_inactive else [t for t in tokens if t.active]

    def revoke(self, token_id: int, *, actor: User) -> ApiToken:
        with self.db.write() as session:
            revoker = acting(session, actor)
            require(revoker, "manage_users")
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFound(f"There is no API token {token_id}.")
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = utcnow(), revoker.username
                audit.append(session=session, actor=revoker.username, action="token.revoked",
                             detail={"token": row.id, "prefix": row.prefix, "username": row.username,
                                     "client": row.client})
            return row.to_domain()

    def _live_row(self, session, secret: str) -> ApiTokenRow:
        row = session.execute(select(ApiTokenRow).where(ApiTokenRow.token_hash == _hash(secret or ""))
                              ).scalar_one_or_none()
        if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= utcnow()):
            raise PermissionDenied(_REFUSED, code="token_invalid")
        return row

    def authenticate(self, secret: str) -> User:
        """The enabled account a token acts as; :class:`PermissionDenied` otherwise."""
        with self.db.write() as session:
            row = self._live_row(session, secret)
            if row.username is None:
                raise PermissionDenied("This API token belongs to a client application of the scoring gateway; "
                                       "it cannot act as a person.", code="token_invalid")
            user = session.execute(select(UserRow).where(UserRow.username == row.username)).scalar_one_or_none()
            if user is None or user.disabled:
                raise PermissionDenied(f"The account '{row.username}' of this API token is disabled.",
                                       code="account_disabled")
            row.last_used_at = utcnow()
            return user.to_domain()

    def authenticate_client(self, secret: str) -> str:
        """The client application a gateway token belongs to; :class:`PermissionDenied` otherwise."""
        with self.db.read() as session:
            row = self._live_row(session, secret)
            if row.client is None:
                raise PermissionDenied("This API token acts as a person, not as a client application.",
                                       code="token_invalid")
            return row.client
