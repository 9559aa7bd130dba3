"""The sign-off pages under AppTest: the inbox and the sign-off packet, deciding on it and
closing its conditions.

Reading tests use the shared session demo. Tests that decide, close conditions or change
accounts work on a copy of the demo's home (database and artifacts), so every other test
still sees the demo as seeded.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from backend.governance.accounts import operator
from backend.reports import load_reports
from portal.errors import UNEXPECTED_MESSAGE
from portal.wording import escape_markdown
from tests.portal.helpers import (
    AUDIT,
    INBOX,
    PACKET,
    button,
    hand_made_version,
    no_exception,
    open_page,
    shown,
    table_with,
    visible_text,
)

WAITING = re.compile(r"^(less than a minute|\d+ (minute|hour|day)s?)$")
SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE signoffs; --"


def packet(user: str, model: str = "income-propensity", version: int = 2) -> AppTest:
    return open_page(PACKET, user=user, model=model, version=str(version))


def decide(at: AppTest, model: str, version: int, decision: str, *, comment: str = "",
           conditions: str = "", acknowledge: str | None = "Reviewed; the gap is explained and monitored.") -> AppTest:
    """Fill in the decision form, acknowledging each failed fairness check with ``acknowledge``,
    and record it: "Record my decision…", then the confirmation."""
    prefix = f"decide_{model}_{version}_"
    at.radio(key=f"{prefix}decision").set_value(decision).run()
    if conditions:
        at.text_area(key=f"{prefix}conditions").input(conditions)
    if acknowledge is not None:
        for area in at.text_area:
            if area.key and area.key.startswith(f"{prefix}ack_"):
                area.input(acknowledge)
    at.text_area(key=f"{prefix}comment").input(comment)
    button(at, "Record my decision…").click().run()
    button(at, "Confirm and record my decision").click().run()
    return no_exception(at)


# -- inbox -------------------------------------------------------------------------------------


def inbox_items(at: AppTest) -> list[str]:
    return [link.proto.query_string for link in at.get("page_link") if link.proto.page == "signoff"]


def test_inbox_lists_what_waits_for_bea_with_how_long(demo_settings):
    at = open_page(INBOX, user="bea")
    assert inbox_items(at) == ["model=income-propensity&version=3"], "bea already signed version 2"
    assert "#### Premium offer propensity — version 3" in [m.value for m in at.markdown]
    waited = {m.label: m.value for m in at.metric}
    assert WAITING.match(waited["Waiting for"]), waited
    assert "Waiting for me: 1" in [link.label for link in at.sidebar.get("page_link")]


def test_inbox_lists_both_waiting_versions_for_rick(demo_settings):
    at = open_page(INBOX, user="rick")
    assert inbox_items(at) == ["model=income-propensity&version=2", "model=income-propensity&version=3"]
    assert all(WAITING.match(m.value) for m in at.metric)
    everything = table_with(at, "Still needed")
    assert list(everything["Version"]) == ["v2", "v3"]
    assert list(everything["Still needed"]) == ["Risk", "Business owner, Risk"]


@pytest.mark.parametrize("user", ["dana", "vic", "ada"])
def test_inbox_is_empty_for_the_author_and_non_reviewers(demo_settings, user):
    at = open_page(INBOX, user=user)
    assert inbox_items(at) == []
    assert any("Nothing is waiting for you" in i.value for i in at.info)


# -- the packet --------------------------------------------------------------------------------


def test_packet_shows_purpose_gates_reports_comparison_and_evidence(demo_app):
    at = packet("rick")
    text = visible_text(at, "text")
    model = demo_app.registry.get_model("income-propensity")
    status = demo_app.signoffs.status("income-propensity", 2)
    assert at.header[0].value == "Premium offer propensity — version 2"
    assert model.description in text
    facts = dict(zip(table_with(at, "Item")["Item"], table_with(at, "Item")["Value"], strict=True))
    assert facts["Owner"] == "marketing-analytics" and facts["Risk tier"] == "medium"
    assert facts["Sign-off needed from"] == "Business owner and risk"
    # Gates, exactly as the test-environment validation stage recorded them.
    validation = [r for r in demo_app.registry.list_stage_runs("income-propensity", 2) if r.stage == "test_validation"]
    gates = table_with(at, "Rule")
    assert list(gates["Why"]) == [g["reason"] for g in validation[-1].evidence["gates"]]
    assert set(gates["Result"]) == {"✔ Passed"}
    assert "All 2 gates of the policy passed." in text
    # Nothing is in production: compared with the previous version that passed validation.
    assert "**Version 1 (previous validated):** " in "\n".join(m.value for m in at.markdown)
    assert "Version 1 (previous validated)" in table_with(at, "This version").columns
    # Report summaries and verdicts, sentence for sentence.
    reports = load_reports(demo_app, "income-propensity", 2)
    markdown = "\n".join(m.value for m in at.markdown)
    for sentence in reports.fairness["summary"] + reports.explainability["summary"]:
        assert f"- {escape_markdown(sentence)}" in markdown.splitlines()
    assert "**Fairness** — verdict: :red-badge[Fail]" in markdown
    # What an approval changes, in plain words.
    assert "Once approved, the team can start a canary: 10% of live traffic goes to version 2" in text
    assert "An approval by risk is the last one missing" in text
    assert "blocks it until someone closes that condition" in text
    # The evidence the decision is bound to.
    evidence = table_with(at, "SHA-256")
    assert sorted(evidence["SHA-256"]) == sorted(status.evidence.values())
    assert list(evidence["Evidence"]) == ["The trained model file", "The fairness report", "The explainability report"]
    # Who signed, with what, and the open condition.
    roles = table_with(at, "Role")
    assert list(roles["Status"]) == ["✔ Approved with conditions", "… Waiting for a decision"]
    assert "Bea Business-Owner (bea)" in list(roles["By"])
    assert "Report the offer rate by sex every month to the marketing board." in [t.value for t in at.text]
    # Bea approved over failed fairness checks: her written acknowledgement of each is in the packet.
    (bea,) = [s for s in status.signoffs if s.username == "bea"]
    assert bea.acknowledgements and set(bea.acknowledgements.values()) <= {t.value for t in at.text}
    assert sum(m.value.startswith(":orange-badge[Acknowledged failed check]") for m in at.markdown) == \
        len(bea.acknowledgements)
    # Rick may decide, as risk.
    assert "You can sign this version as risk." in markdown
    assert button(at, "Record my decision…").disabled, "no decision chosen yet"


@pytest.mark.parametrize(("user", "reason"), [
    ("vic", "You can read this packet but not decide on it: it needs sign-off by business owner and risk, and you "
            "hold none of those roles (yours: viewer)."),
    ("dana", "You built this version, so you cannot sign it off: someone else must review it (the four-eyes rule)."),
    ("bea", "You already decided on this version: approved with conditions as business owner on "),
    ("cora", "You can read this packet but not decide on it"),
])
def test_packet_is_read_only_with_the_reason(demo_settings, user, reason):
    at = packet(user)
    assert "Premium offer propensity — version 2" in [h.value for h in at.header], "the packet is readable"
    assert table_with(at, "SHA-256") is not None
    decision = [shown(i.value) for i in at.info if i.proto.icon == ":material/lock:"]
    assert len(decision) == 1 and decision[0].startswith(reason), decision
    assert not at.radio and "Record my decision…" not in [b.label for b in at.button]


def test_packet_without_a_link_opens_the_longest_waiting_version(demo_settings):
    at = open_page(PACKET, user="rick")
    assert [s.value for s in at.selectbox] == ["income-propensity", 2]


def test_packet_of_a_rejected_version_says_why_and_offers_no_decision(demo_settings):
    at = packet("cora", model="credit-risk", version=2)
    warning = [w.value for w in at.warning if w.value.startswith("**Rejected.**")]
    assert warning and "No clear gain over version 1" in warning[0]
    assert not at.radio
    roles = table_with(at, "Role")
    assert list(roles["Status"]) == ["✔ Approved", "✘ Rejected", "… Waiting for a decision"]


def test_packet_of_a_failed_version_shows_the_failed_gates(demo_settings):
    at = packet("rick", model="credit-risk", version=3)
    gates = table_with(at, "Rule")
    assert "✘ Failed" in set(gates["Result"])
    assert "gates of the policy failed." in visible_text(at, "text")


@pytest.mark.parametrize(("query", "message"), [
    ({"model": "no-such-model"}, "There is no model named 'no-such-model'."),
    ({"model": "credit-risk", "version": "99"}, "Model 'credit-risk' has no version 99."),
    ({"model": "credit-risk", "version": "latest"}, "'latest' is not a version number."),
])
def test_packet_with_a_bad_link_gets_a_readable_message(demo_settings, query, message):
    at = open_page(PACKET, user="rick", **query)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(message), errors
    assert UNEXPECTED_MESSAGE not in errors


def test_packet_says_plainly_when_checks_and_reports_are_missing(registry_env):
    from tests.factories import add_user

    add_user(registry_env, "rick", "risk")
    hand_made_version(registry_env)
    at = packet("rick", model="hand-made", version=1)
    warnings = "\n".join(w.value for w in at.warning)
    assert "No test-environment validation is recorded for this version" in warnings
    assert "There is no fairness report for this version" in warnings
    assert "There is no explainability report for this version" in warnings
    assert "No model or report is stored for this version yet" in warnings
    assert not at.radio


# -- deciding (on a copy of the demo) ------------------------------------------------------------


def test_rejecting_without_a_reason_shows_the_backends_message(demo_copy):
    at = decide(packet("rick"), "income-propensity", 2, "reject")
    assert [e.value for e in at.error] == ["A rejection needs a reason in the comment."]
    assert demo_copy.signoffs.status("income-propensity", 2).state == "awaiting_signoff"
    assert at.radio, "the form stays, so the reviewer can add the reason"


def test_approving_as_rick_makes_income_propensity_v2_approved(demo_copy):
    at = decide(packet("rick"), "income-propensity", 2, "approve", comment="Risks understood; fine for a pilot.")
    success = [s.value for s in at.success]
    assert any("Every required role has approved: version 2 is now approved" in s for s in success), success
    status = demo_copy.signoffs.status("income-propensity", 2)
    assert status.state == "approved"
    assert [(s.username, s.role, s.decision) for s in status.signoffs] == [
        ("bea", "business_owner", "conditions"), ("rick", "risk", "approve")]
    # The page shows the new state at once, and the decision in the audit log.
    assert any(m.value.startswith("**State:** :green-badge[Approved]") for m in at.markdown)
    assert not at.radio
    entry = demo_copy.registry.audit_log(model="income-propensity", action_prefix="signoff.", limit=1)[0]
    assert (entry.actor, entry.version, entry.detail["decision"]) == ("rick", 2, "approve")
    assert entry.detail["evidence"] == status.evidence
    # ... and v2 has left rick's inbox.
    assert inbox_items(open_page(INBOX, user="rick")) == ["model=income-propensity&version=3"]


def test_the_first_of_two_approvals_leaves_v3_waiting_and_the_last_approves_it(demo_copy):
    at = decide(packet("bea", version=3), "income-propensity", 3, "approve")
    assert any("Still waiting for risk." in s.value for s in at.success)
    assert demo_copy.signoffs.status("income-propensity", 3).state == "awaiting_signoff"
    at = decide(packet("rick", version=3), "income-propensity", 3, "approve")
    assert any("version 3 is now approved" in s.value for s in at.success)
    assert demo_copy.signoffs.status("income-propensity", 3).state == "approved"


def test_rejecting_with_a_reason_ends_the_version(demo_copy):
    at = decide(packet("rick", version=3), "income-propensity", 3, "reject", comment="Too uneven across groups.")
    assert any("Version 3 is now rejected" in s.value for s in at.success)
    version = demo_copy.registry.get_version("income-propensity", 3)
    assert version.state == "rejected" and "Too uneven across groups." in version.failure_reason


def test_someone_holding_two_required_roles_chooses_one_and_signs_once(demo_copy):
    demo_copy.accounts.add_user("max", "max-password-1", ["business_owner", "risk"], actor=operator())
    at = packet("max", version=3)
    sign_as = at.radio(key="decide_income-propensity_3_role")
    assert sign_as.options == ["Business owner", "Risk"]
    sign_as.set_value("risk").run()
    decide(at, "income-propensity", 3, "approve")
    status = demo_copy.signoffs.status("income-propensity", 3)
    assert [(s.username, s.role) for s in status.signoffs] == [("max", "risk")]
    assert status.state == "awaiting_signoff", "one person, one decision: business owner still waits"
    assert any(shown(i.value).startswith("You already decided on this version: approved as risk") for i in at.info)


def test_a_decision_is_bound_to_the_evidence_the_page_showed(demo_copy):
    at = packet("rick")
    shown = demo_copy.signoffs.status("income-propensity", 2).evidence
    prefix = "decide_income-propensity_2_"
    at.radio(key=f"{prefix}decision").set_value("approve").run()
    # The fairness report is regenerated after the packet was drawn, before the click.
    blob = demo_copy.artifacts.put_bytes(json.dumps({"summary": ["Regenerated."], "verdict": "pass"}).encode())
    demo_copy.registry.replace_artifact("income-propensity", 2, kind="fairness_report", uri=blob.uri,
                                        sha256=blob.sha256, size_bytes=blob.size_bytes, actor="dana",
                                        reason="regenerated")
    for area in at.text_area:
        if area.key and area.key.startswith(f"{prefix}ack_"):
            area.input("Reviewed.")
    button(at, "Record my decision…").click().run()
    button(at, "Confirm and record my decision").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "reload it and review again" in errors[0]
    assert "review it again before you decide" in errors[0]
    status = demo_copy.signoffs.status("income-propensity", 2)
    assert status.state == "awaiting_signoff" and [s.username for s in status.signoffs if s.valid] == []
    assert status.evidence["fairness_report"] != shown["fairness_report"]
    assert blob.sha256 in list(table_with(at, "SHA-256")["SHA-256"]), "the page now shows the new evidence"
    assert "Regenerated." in visible_text(at, "text")


def test_an_expired_approval_goes_back_for_review_when_the_packet_opens(demo_copy, monkeypatch):
    import backend.governance.signoff_rules

    later = backend.governance.signoff_rules.utcnow() + timedelta(days=200)
    monkeypatch.setattr(backend.governance.signoff_rules, "utcnow", lambda: later)
    at = packet("rick", version=1)
    assert any(m.value.startswith("**State:** :orange-badge[Awaiting sign-off]") for m in at.markdown)
    assert demo_copy.signoffs.status("income-propensity", 1).state == "awaiting_signoff"
    assert "No longer counts: from review round 1" in visible_text(at, "text")
    assert at.radio, "rick can sign the new round"


def test_names_comments_and_conditions_are_shown_as_written(demo_copy):
    demo_copy.accounts.add_user("mallory", "mallory-password", ["business_owner"], actor=operator(),
                                display_name=SCRIPT)
    comment = f"{SQL} {SCRIPT} **not bold** [link](http://example.com)"
    condition = f"<img src=x onerror=alert(1)> {SQL}"
    decide(packet("mallory", version=3), "income-propensity", 3, "conditions", comment=comment, conditions=condition)
    status = demo_copy.signoffs.status("income-propensity", 3)
    assert [(s.username, s.comment) for s in status.signoffs] == [("mallory", comment)], "stored as written"
    assert [c.text for c in status.conditions] == [condition]

    at = packet("vic", version=3)
    texts = [t.value for t in at.text]
    assert comment in texts and condition in texts, "plain text, exactly as typed"
    assert f"{SCRIPT} (mallory)" in list(table_with(at, "Role")["By"])
    for element in at.markdown:
        assert "<script>" not in element.value and "<img" not in element.value, element.value
    assert any("\\<script\\>alert(1)\\</script\\> (mallory)" in m.value for m in at.markdown)
    audit = open_page(AUDIT, user="vic")
    details = list(table_with(audit, "Details")["Details"])
    assert any(comment in d and condition in d for d in details)


def test_closing_a_condition_needs_a_note_and_is_recorded(demo_copy):
    at = packet("bea")
    (condition,) = demo_copy.signoffs.status("income-propensity", 2).conditions
    button(at, "Close this condition").click().run()
    assert [shown(e.value) for e in at.error] == ["Say how the condition was met: the note is required."]
    at.text_area(key=f"close_note_{condition.id}").input("Monthly report set up with the board.")
    button(at, "Close this condition").click().run()
    assert any("The condition is closed" in s.value for s in at.success)
    closed = demo_copy.signoffs.status("income-propensity", 2).conditions[0]
    assert (closed.closed_by, closed.close_note) == ("bea", "Monthly report set up with the board.")
    assert "Monthly report set up with the board." in [t.value for t in at.text]
    assert demo_copy.registry.audit_log(action_prefix="condition.", limit=1)[0].actor == "bea"


@pytest.mark.parametrize("user", ["rick", "vic", "dana"])
def test_only_the_role_that_set_a_condition_or_an_admin_can_close_it(demo_settings, user):
    assert "Close this condition" not in [b.label for b in packet(user).button]


def test_an_admin_may_close_a_condition(demo_settings):
    assert "Close this condition" in [b.label for b in packet("ada").button]
