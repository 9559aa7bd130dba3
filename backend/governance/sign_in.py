"""The sign-in throttle: failed password checks are counted, audited and, past a limit, locked out.

Two counters, over a sliding window of :data:`WINDOW`:

- per account (the user name as typed, so a name that does not exist is throttled alike and
  the throttle tells nobody which names exist): :data:`ACCOUNT_LIMIT` failures since the
  account's last successful sign-in lock it out;
- per client (the browser's address in the portal, ``"command line"`` for the CLI's
  ``--as USER`` prompt): :data:`CLIENT_LIMIT` failures, on any accounts, lock that client out.

While locked out, every attempt is refused *without* checking the password (even the right one),
with a message that says when to try again: the moment the oldest counted failure leaves the
window. Failures and the start of each lock-out are written to the audit log; every attempt,
refused ones included, is kept for a day in ``sign_in_attempts``, which is all the throttle reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.db.tables import SignInAttemptRow
from backend.db.types import utcnow
from backend.domain import User
from backend.errors import PermissionDenied
from backend.governance import audit

__all__ = ["COMMAND_LINE", "ACCOUNT_LIMIT", "CLIENT_LIMIT", "WINDOW", "Lockout", "throttled", "lockout"]

#: The client name of a password typed at the command line (``--as USER``).
COMMAND_LINE = "command line"
ACCOUNT_LIMIT = 5
CLIENT_LIMIT = 20
WINDOW = timedelta(minutes=15)
#: Attempts older than this are deleted: the audit log keeps the failures for good.
KEEP_ATTEMPTS = timedelta(days=1)
_MAX_NAME = 100  # the columns' width; a longer name is cut, never refused


@dataclass(frozen=True)
class Lockout:
    """Why sign-in is refused now, and until when.

    Attributes
    ----------
    scope : str
        ``"account"`` or ``"client"``.
    until : datetime
        When the next attempt will be checked again (UTC).
    """

    scope: str
    until: datetime

    def message(self, now: datetime) -> str:
        who = "for this account" if self.scope == "account" else "from this client"
        wait = (self.until - now).total_seconds()
        minutes = math.ceil(wait / 60)
        after = "in under a minute" if wait < 60 else f"in {minutes} minute{'s' if minutes != 1 else ''}"
        return (f"Too many failed sign-ins {who}. Try again after "
                f"{self.until.strftime('%H:%M:%S')} UTC ({after}).")


def _failures_since(session: Session, column, value: str, since: datetime, limit: int) -> list[datetime]:
    return list(session.execute(
        select(SignInAttemptRow.at)
        .where(column == value, SignInAttemptRow.outcome == "failed", SignInAttemptRow.at > since)
        .order_by(SignInAttemptRow.at.desc()).limit(limit)).scalars())


def lockout(session: Session, username: str, client: str, now: datetime) -> Lockout | None:
    """The lock-out in force for ``username`` or ``client`` at ``now``, if any (the later one).

    A key is locked while its newest ``limit`` failures all lie within :data:`WINDOW`; it is
    free again when the oldest of them leaves the window.
    """
    username, client = username[:_MAX_NAME], client[:_MAX_NAME]
    window_start = now - WINDOW
    last_success = session.execute(select(func.max(SignInAttemptRow.at)).where(
        SignInAttemptRow.username == username, SignInAttemptRow.outcome == "succeeded")).scalar()
    account_since = max(window_start, last_success) if last_success else window_start
    found = []
    for scope, column, value, since, limit in (
            ("account", SignInAttemptRow.username, username, account_since, ACCOUNT_LIMIT),
            ("client", SignInAttemptRow.client, client, window_start, CLIENT_LIMIT)):
        failures = _failures_since(session, column, value, since, limit)
        if len(failures) >= limit:
            found.append(Lockout(scope, failures[-1] + WINDOW))
    return max(found, key=lambda lock: lock.until) if found else None


def _record(session: Session, username: str, client: str, outcome: str, now: datetime) -> None:
    session.execute(delete(SignInAttemptRow).where(SignInAttemptRow.at < now - KEEP_ATTEMPTS))
    session.add(SignInAttemptRow(at=now, username=username, client=client, outcome=outcome))
    session.flush()


def throttled(db: Database, username: str, client: str, check: Callable[[], User]) -> User:
    """Run ``check`` (the password check) unless ``username`` or ``client`` is locked out.

    The attempt is recorded whatever happens, in one transaction that commits even when the
    sign-in is refused; a failure is audited, and so is the lock-out it starts.

    Parameters
    ----------
    db : Database
    username : str
        The user name as typed.
    client : str
        Where the attempt comes from: the browser's address, or :data:`COMMAND_LINE`.
    check : callable
        Checks the password (in a session of its own): returns the account or raises
        :class:`PermissionDenied`.

    Returns
    -------
    User

    Raises
    ------
    PermissionDenied
        ``login_failed`` or ``account_disabled`` from ``check``; ``sign_in_locked`` while
        locked out (and on the failure that starts a lock-out).
    """
    name, client = (username or "")[:_MAX_NAME], (client or "unknown client")[:_MAX_NAME]
    refusal: PermissionDenied | None = None
    with db.write() as session:
        now = utcnow()
        locked = lockout(session, name, client, now)
        if locked is not None:
            _record(session, name, client, "refused", now)
            refusal = PermissionDenied(locked.message(now), code="sign_in_locked")
        else:
            try:
                user = check()
            except PermissionDenied as exc:
                refusal = exc
                _record(session, name, client, "failed", now)
                audit.append(session=session, actor=name, action="sign_in.failed",
                             detail={"username": name, "client": client, "reason": exc.code})
                locked = lockout(session, name, client, now)
                if locked is not None:
                    audit.append(session=session, actor=name, action="sign_in.locked_out",
                                 detail={"username": name, "client": client, "scope": locked.scope,
                                         "until": locked.until.isoformat(timespec="seconds")})
                    refusal = PermissionDenied(f"{exc.message} {locked.message(now)}", code="sign_in_locked")
            else:
                _record(session, name, client, "succeeded", now)
                return user
    raise refusal
