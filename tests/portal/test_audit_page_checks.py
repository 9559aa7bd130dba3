"""The audit page's check: what it tells a reader when the log holds, and when it does not."""

from __future__ import annotations

from tests.portal.helpers import AUDIT, button, open_page, shown
from tests.tampering import cut_tail, last_seq, sql


def _check(at):
    button(at, "Check the chain now").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _versions(app) -> list:
    return [v for m in app.registry.list_models() for v in app.registry.list_versions(m.name).versions]


def test_the_check_says_what_holds_on_the_demo(demo_copy):
    at = _check(open_page(AUDIT, user="vic"))
    message = at.success[0].value
    assert message.startswith("The chain is intact: all ")
    assert "The log matches the latest checkpoint of it kept outside the database." in message
    assert f"of the {len(_versions(demo_copy))} versions in the registry agree with it" in message


def test_a_state_changed_in_the_table_is_named_on_the_page(demo_copy):
    # The first version (by model name and number) that is not approved, approved by SQL.
    forged = min((v for v in _versions(demo_copy) if v.state != "approved"), key=lambda v: (v.model, v.number))
    sql(demo_copy, "UPDATE versions SET state = 'approved' WHERE id = (SELECT v.id FROM versions v JOIN models m "
                   "ON m.id = v.model_id WHERE m.name = :model AND v.number = :number)",
        model=forged.model, number=forged.number)
    at = _check(open_page(AUDIT, user="vic"))
    error = at.error[0].value
    assert error.startswith("The registry no longer agrees with the log: ")
    assert (f"{forged.model} version {forged.number}: the table says 'approved' but the log says "
            f"'{forged.state}'") in shown(error)


def test_a_cut_log_is_named_on_the_page(demo_copy):
    cut_tail(demo_copy, keep=last_seq(demo_copy) - 3)
    at = _check(open_page(AUDIT, user="vic"))
    assert "The log does not match the checkpoint of it kept outside the database" in at.error[0].value
    assert "entries at the end were removed" in at.error[0].value


def test_text_quoted_in_a_problem_is_shown_as_text(demo_copy):
    sql(demo_copy, "INSERT INTO signoffs (version_id, round, username, role, decision, comment, evidence, "
                   "evidence_hash, created_at) SELECT id, 1, '[phish](https://evil.example/login) **bold**', "
                   "'risk', 'approve', '', '{}', 'x', updated_at FROM versions WHERE id = (SELECT MIN(id) FROM versions)")
    at = _check(open_page(AUDIT, user="vic"))
    error = at.error[0].value
    # Escaped: it reads as the words typed, and no link or bold is made of it.
    assert "a sign-off by [phish](https://evil.example/login) **bold** as risk" in shown(error)
    assert "[phish](" not in error and "**bold**" not in error
