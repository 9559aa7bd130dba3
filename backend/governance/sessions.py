"""Signed-in browsers: a session that survives a reload and a new tab, until it expires or ends.

Signing in checks the password (throttled, see :mod:`backend.governance.sign_in`) and hands
out a random token for the browser to keep in an HttpOnly cookie. Only the token's SHA-256 is
stored, beside the account, the client and the expiry, so a copy of the database signs nobody
in. Every request resolves the token afresh: an ended or expired session, or a disabled
account, is signed out at once, in every tab. Starting and ending a session are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from backend.db import Database
from backend.db.tables import PortalSessionRow, UserRow
from backend.db.types import utcnow
from backend.domain import User
from backend.governance import audit
from backend.governance.accounts import Accounts

__all__ = ["PortalSessions", "SESSION_LIFETIME"]

#: How long a sign-in lasts: a working day, so a tab left open overnight asks again.
SESSION_LIFETIME = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PortalSessions:
    """Start, resolve and end the portal's sessions.

    Parameters
    ----------
    db : Database
    lifetime : timedelta
        How long a session lasts from sign-in.
    """

    def __init__(self, db: Database, *, lifetime: timedelta = SESSION_LIFETIME):
        self.db = db
        self.lifetime = lifetime

    def start(self, username: str, password: str, *, client: str) -> tuple[User, str]:
        """Check the password and start a session; returns the account and the session's token.

        Parameters
        ----------
        username, password : str
            As typed on the sign-in form.
        client : str
            The browser's address: the sign-in throttle counts failures per client.

        Returns
        -------
        (User, str)
            The account, and the token to give the browser (shown nowhere else, stored hashed).

        Raises
        ------
        PermissionDenied
            A wrong password, a disabled account, or a lock-out (see ``Accounts.authenticate``).
        """
        user = Accounts(self.db).authenticate(username, password, client=client)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.write() as session:
            session.add(PortalSessionRow(token_hash=_digest(token), username=user.username, client=client[:100],
                                         created_at=now, expires_at=now + self.lifetime))
            audit.append(session=session, actor=user.username, action="session.started",
                         detail={"client": client[:100], "expires_at": (now + self.lifetime).isoformat(timespec="seconds")})
        return user, token

    def resolve(self, token: str | None) -> User | None:
        """The enabled account of a live session, or None (no, unknown, ended or expired token)."""
        if not token:
            return None
        with self.db.read() as session:
            row = session.execute(
                select(UserRow).join(PortalSessionRow, PortalSessionRow.username == UserRow.username)
                .where(PortalSessionRow.token_hash == _digest(token), PortalSessionRow.ended_at.is_(None),
                       PortalSessionRow.expires_at > utcnow())).scalar_one_or_none()
            if row is None or row.disabled:
                return None
            return row.to_domain()

    def end(self, token: str | None) -> bool:
        """End the session of ``token`` at once (sign-out); False when there was no live one."""
        if not token:
            return False
        with self.db.write() as session:
            now = utcnow()
            row = session.execute(select(PortalSessionRow).where(
                PortalSessionRow.token_hash == _digest(token), PortalSessionRow.ended_at.is_(None),
                PortalSessionRow.expires_at > now)).scalar_one_or_none()
            if row is None:
                return False
            session.execute(update(PortalSessionRow).where(PortalSessionRow.id == row.id).values(ended_at=now))
            audit.append(session=session, actor=row.username, action="session.ended", detail={"client": row.client})
            return True
