"""The audit log and administration pages under AppTest.

Reading tests use the shared session demo. Tests that tamper with the log or change accounts
and the policy work on a copy of the demo's home (database and artifacts), so every other test
still sees the demo as seeded.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from backend.errors import PermissionDenied
from backend.governance.audit import canonical_json
from tests.portal.helpers import ADMIN, AUDIT, button, no_exception, open_page, shown, table_with

# -- audit log ---------------------------------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """What the page offers for download, by file name."""
    offered: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            offered[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return offered


def test_audit_page_filters_and_its_csv_matches_the_log(demo_app, downloads):
    at = open_page(AUDIT, user="vic")
    expected = demo_app.registry.audit_log(limit=500)
    assert list(table_with(at, "#")["#"]) == [e.seq for e in expected]

    at.selectbox[0].select("income-propensity").run()
    at.selectbox[1].select("signoff.").run()
    expected = demo_app.registry.audit_log(model="income-propensity", action_prefix="signoff.", limit=500)
    assert len(expected) == 3
    shown = table_with(at, "#")
    assert list(shown["#"]) == [e.seq for e in expected]
    assert set(shown["What"]) == {"Sign-off decision"} and set(shown["Model"]) == {"income-propensity"}

    rows = list(csv.DictReader(io.StringIO(downloads["greenlight-audit-log.csv"].decode("utf-8"))))
    assert [r["seq"] for r in rows] == [str(e.seq) for e in expected]
    for row, entry in zip(rows, expected, strict=True):
        assert row == {"seq": str(entry.seq), "at": entry.at.isoformat(), "actor": entry.actor,
                       "action": entry.action, "model": entry.model, "version": str(entry.version),
                       "detail": canonical_json(entry.detail), "hash": entry.hash}

    at.text_input[0].input("rick").run()
    assert set(table_with(at, "#")["Who"]) == {"rick"}
    at.text_input[0].input("nobody-at-all").run()
    assert any("No entry matches" in i.value for i in at.info)


def test_audit_page_checks_the_chain_and_names_a_tampered_entry(demo_copy):
    at = open_page(AUDIT, user="vic")
    button(at, "Check the chain now").click().run()
    assert any("The chain is intact" in s.value for s in at.success)
    with demo_copy.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    button(at, "Check the chain now").click().run()
    assert any("broken at entry 3" in e.value and "was changed" in e.value for e in at.error)


# -- administration ----------------------------------------------------------------------------


def add_account(at: AppTest, username: str, password: str, again: str | None = None, roles=("risk",)) -> AppTest:
    at.text_input(key="add_username").input(username)
    at.text_input(key="add_display_name").input(f"{username.title()} Newcomer")
    at.text_input(key="add_password").input(password)
    at.text_input(key="add_password_again").input(password if again is None else again)
    at.multiselect(key="add_roles").set_value(list(roles))
    button(at, "Add the account").click().run()
    return no_exception(at)


def test_admin_adds_an_account_and_it_is_audited(demo_copy):
    at = add_account(open_page(ADMIN, user="ada"), "newbie", "a-long-password")
    assert any("Account 'newbie' added with the roles risk." in s.value for s in at.success)
    user = demo_copy.accounts.get_user("newbie")
    assert (user.roles, user.display_name) == (("risk",), "Newbie Newcomer")
    assert demo_copy.accounts.authenticate("newbie", "a-long-password").username == "newbie"
    entry = demo_copy.registry.audit_log(action_prefix="account.", limit=1)[0]
    assert (entry.actor, entry.action, entry.detail["username"]) == ("ada", "account.created", "newbie")
    assert "newbie" in list(table_with(at, "User name")["User name"])
    assert at.text_input(key="add_username").value == "", "the form is cleared for the next account"


@pytest.mark.parametrize(("password", "again", "message"), [
    ("a-long-password", "another-password", "The two passwords differ; type the same password twice."),
    ("short", None, "A password needs at least 10 characters."),
])
def test_a_bad_new_account_is_refused_with_a_reason(demo_copy, password, again, message):
    at = add_account(open_page(ADMIN, user="ada"), "newbie", password, again)
    assert [e.value for e in at.error] == [message]
    assert "newbie" not in {u.username for u in demo_copy.accounts.list_users()}


def test_admin_changes_roles_and_disables_an_account(demo_copy):
    at = open_page(ADMIN, user="ada")
    at.selectbox[0].select("vic").run()
    at.multiselect(key="roles_vic").set_value(["viewer", "compliance"]).run()
    button(at, "Save the roles").click().run()
    assert demo_copy.accounts.get_user("vic").roles == ("viewer", "compliance")
    button(at, "Disable the account").click().run()
    assert demo_copy.accounts.get_user("vic").disabled
    button(at, "Enable the account").click().run()
    assert not demo_copy.accounts.get_user("vic").disabled
    actions = [e.action for e in demo_copy.registry.audit_log(action_prefix="account.", limit=3)]
    assert actions == ["account.enabled", "account.disabled", "account.roles"]


def test_admin_changes_the_sign_off_policy_and_it_is_audited(demo_copy):
    at = open_page(ADMIN, user="ada")
    at.multiselect(key="policy_medium").set_value(["business_owner", "risk", "compliance"])
    at.number_input[0].set_value(90)
    button(at, "Save the policy").click().run()
    assert any("The sign-off policy is saved." in s.value for s in at.success)
    policy = demo_copy.org_policy.current()
    assert policy["signoff_roles_by_tier"]["medium"] == ["business_owner", "risk", "compliance"]
    assert policy["expires_days"] == 90
    entry = demo_copy.registry.audit_log(action_prefix="policy.", limit=1)[0]
    assert (entry.actor, entry.detail["to"]) == ("ada", policy)


def test_an_empty_tier_is_refused_by_the_backend(demo_copy):
    at = open_page(ADMIN, user="ada")
    at.multiselect(key="policy_low").set_value([])
    button(at, "Save the policy").click().run()
    assert [shown(e.value) for e in at.error] == [
        "Risk tier 'low' needs at least one role, each in lowercase words joined by '_'."]
    assert demo_copy.org_policy.current()["signoff_roles_by_tier"]["low"] == ["business_owner"]


def test_a_non_admin_cannot_manage_accounts_or_the_policy(demo_copy):
    at = open_page(ADMIN, user="rick")
    assert at.error[0].value.startswith("Only administrators can manage accounts and the sign-off policy.")
    assert not at.text_input
    rick = demo_copy.accounts.get_user("rick")
    with pytest.raises(PermissionDenied):
        demo_copy.accounts.add_user("sneaky", "a-long-password", ["admin"], actor=rick)
    with pytest.raises(PermissionDenied):
        demo_copy.org_policy.update(demo_copy.org_policy.current(), actor=rick)
    with pytest.raises(PermissionDenied):
        demo_copy.accounts.set_roles("rick", ["admin"], actor=rick)
