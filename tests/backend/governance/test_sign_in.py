"""The sign-in throttle: failures are audited and, past a limit, lock out the account or the client,
whose right password is then refused too, with a message that says when to try again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.db.tables import SignInAttemptRow
from backend.errors import PermissionDenied
from backend.governance import sign_in
from backend.governance.sign_in import ACCOUNT_LIMIT, CLIENT_LIMIT
from tests.factories import add_user

PASSWORD = "correct horse battery"


def at(*hms: int) -> datetime:
    return datetime(2026, 3, 2, *hms, tzinfo=UTC)


class Clock:
    """The throttle's clock, moved by the test: no test waits for real minutes to pass."""

    def __init__(self):
        self.now = at(9, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(sign_in, "utcnow", clock)
    return clock


def refusal(app, username: str, password: str, **client) -> PermissionDenied:
    with pytest.raises(PermissionDenied) as caught:
        app.accounts.authenticate(username, password, **client)
    return caught.value


def fail(app, clock, username: str, times: int, **client) -> list[PermissionDenied]:
    refusals = []
    for _ in range(times):
        refusals.append(refusal(app, username, "not the password", **client))
        clock.advance(seconds=1)
    return refusals


def test_twenty_five_wrong_passwords_then_the_right_one_is_refused_until_the_lock_out_ends(app, clock):
    add_user(app, "bea", "business_owner")
    refusals = fail(app, clock, "bea", 25)
    assert [r.code for r in refusals[:ACCOUNT_LIMIT - 1]] == ["login_failed"] * (ACCOUNT_LIMIT - 1)
    assert all(r.code == "sign_in_locked" for r in refusals[ACCOUNT_LIMIT - 1:])

    locked = refusal(app, "bea", PASSWORD)
    assert locked.code == "sign_in_locked"
    # Locked until the first failure leaves the 15-minute window: 09:15:00 UTC.
    assert locked.message == ("Too many failed sign-ins for this account. Try again after 09:15:00 UTC "
                              "(in 15 minutes).")
    clock.now = at(9, 13, 30)
    assert "(in 2 minutes)" in refusal(app, "bea", PASSWORD).message
    clock.now = at(9, 14, 1)
    assert "(in under a minute)" in refusal(app, "bea", PASSWORD).message

    clock.now = at(9, 15, 0, 1)
    assert app.accounts.authenticate("bea", PASSWORD).username == "bea"


def test_the_failure_that_reaches_the_limit_says_so(app, clock):
    add_user(app, "bea", "business_owner")
    *_, last = fail(app, clock, "bea", ACCOUNT_LIMIT)
    assert last.message.startswith("Wrong user name or password. Too many failed sign-ins for this account. "
                                   "Try again after 09:15:00 UTC")


def test_refused_attempts_do_not_extend_the_lock_out(app, clock):
    add_user(app, "bea", "business_owner")
    fail(app, clock, "bea", ACCOUNT_LIMIT)
    for _ in range(30):
        clock.advance(seconds=20)
        refusal(app, "bea", "still guessing")
    clock.now = at(9, 15, 1)
    assert app.accounts.authenticate("bea", PASSWORD).username == "bea"


def test_the_account_limit_is_a_rate_after_the_lock_out(app, clock):
    """Once free, a guesser gets one try per failure that leaves the window, not five more."""
    add_user(app, "bea", "business_owner")
    fail(app, clock, "bea", ACCOUNT_LIMIT)
    clock.now = at(9, 15, 0, 500000)
    assert refusal(app, "bea", "guess six").code == "sign_in_locked"  # failures 2-5 and 6 are in the window
    assert refusal(app, "bea", PASSWORD).message.endswith("Try again after 09:15:01 UTC (in under a minute).")


def test_a_successful_sign_in_starts_the_account_count_again(app, clock):
    add_user(app, "bea", "business_owner")
    fail(app, clock, "bea", ACCOUNT_LIMIT - 1)
    app.accounts.authenticate("bea", PASSWORD)
    assert [r.code for r in fail(app, clock, "bea", ACCOUNT_LIMIT - 1)] == ["login_failed"] * (ACCOUNT_LIMIT - 1)
    assert app.accounts.authenticate("bea", PASSWORD).username == "bea"


def test_a_name_that_does_not_exist_is_locked_out_alike(app, clock):
    """The throttle must not tell which names exist: a made-up one answers exactly like a real one."""
    add_user(app, "bea", "business_owner")
    real = [r.message for r in fail(app, clock, "bea", ACCOUNT_LIMIT + 1)]
    clock.now = at(9, 0)
    made_up = [r.message for r in fail(app, clock, "nobody", ACCOUNT_LIMIT + 1, client="10.0.0.9")]
    assert made_up == real


def test_one_client_guessing_many_accounts_is_locked_out_but_others_are_not(app, clock):
    add_user(app, "bea", "business_owner")
    for i in range(CLIENT_LIMIT):  # never more than 1 failure per name: the account limit never fires
        refusal(app, f"name-{i}", "guess", client="203.0.113.7")
        clock.advance(seconds=1)
    locked = refusal(app, "bea", PASSWORD, client="203.0.113.7")
    assert locked.code == "sign_in_locked"
    assert re.fullmatch(r"Too many failed sign-ins from this client\. Try again after 09:15:00 UTC "
                        r"\(in 15 minutes\)\.", locked.message)
    # The account itself is not locked: bea signs in from her own machine.
    assert app.accounts.authenticate("bea", PASSWORD, client="198.51.100.4").username == "bea"
    clock.advance(minutes=15)
    assert app.accounts.authenticate("bea", PASSWORD, client="203.0.113.7").username == "bea"


def test_the_command_line_is_one_client(app, clock):
    add_user(app, "bea", "business_owner")
    for i in range(CLIENT_LIMIT):
        refusal(app, f"name-{i}", "guess")
    assert "from this client" in refusal(app, "bea", PASSWORD).message
    assert app.accounts.authenticate("bea", PASSWORD, client="198.51.100.4").username == "bea"


def test_failures_and_lock_outs_are_audited_but_refused_attempts_are_only_counted(app, clock):
    add_user(app, "bea", "business_owner")
    fail(app, clock, "bea", ACCOUNT_LIMIT, client="198.51.100.4")
    refusal(app, "bea", PASSWORD, client="198.51.100.4")
    refusal(app, "mallory", "guess")

    entries = app.registry.audit_log(action_prefix="sign_in.")
    assert [e.action for e in reversed(entries)] == ["sign_in.failed"] * ACCOUNT_LIMIT + ["sign_in.locked_out",
                                                                                          "sign_in.failed"]
    first = entries[-1]
    assert first.actor == "bea"
    assert first.detail == {"username": "bea", "client": "198.51.100.4", "reason": "login_failed"}
    assert entries[1].detail == {"username": "bea", "client": "198.51.100.4", "scope": "account",
                                 "until": "2026-03-02T09:15:00+00:00"}
    assert entries[0].detail == {"username": "mallory", "client": "command line", "reason": "login_failed"}
    with app.db.read() as session:
        outcomes = dict(session.execute(select(SignInAttemptRow.outcome, func.count())
                                        .group_by(SignInAttemptRow.outcome)).all())
    assert outcomes == {"failed": ACCOUNT_LIMIT + 1, "refused": 1}


def test_a_disabled_account_counts_as_a_failure(app, clock):
    add_user(app, "ada", "admin")
    add_user(app, "bea", "business_owner")
    app.accounts.set_disabled("bea", True, actor=app.accounts.get_user("ada"))
    assert refusal(app, "bea", PASSWORD).code == "account_disabled"
    [entry] = app.registry.audit_log(action_prefix="sign_in.")
    assert entry.detail["reason"] == "account_disabled"


def test_a_very_long_name_is_cut_not_refused(app, clock):
    name = "x" * 5000
    assert refusal(app, name, "guess", client="c" * 500).code == "login_failed"
    [entry] = app.registry.audit_log(action_prefix="sign_in.")
    assert entry.detail["username"] == "x" * 100 and entry.detail["client"] == "c" * 100


def test_attempts_older_than_a_day_are_deleted(app, clock):
    fail(app, clock, "mallory", 3)
    clock.advance(days=1, seconds=1)
    fail(app, clock, "mallory", 1)
    with app.db.read() as session:
        assert session.execute(select(func.count()).select_from(SignInAttemptRow)).scalar() == 1
    assert len(app.registry.audit_log(action_prefix="sign_in.failed")) == 4  # the audit log keeps them all



def test_the_readme_states_the_limits_the_code_applies():
    from pathlib import Path

    from backend.governance.sessions import SESSION_LIFETIME
    from backend.governance.sign_in import WINDOW

    readme = " ".join((Path(__file__).resolve().parents[3] / "README.md").read_text().split())
    minutes = int(WINDOW.total_seconds() // 60)
    assert f"{ACCOUNT_LIMIT} failed sign-ins for one account within {minutes} minutes" in readme
    assert f"{CLIENT_LIMIT} failures from one client within {minutes} minutes" in readme
    assert f"A session lasts {int(SESSION_LIFETIME.total_seconds() // 3600)} hours" in readme
