"""`greenlight audit verify`: exit 0 when the log holds, 10 naming the first problem."""

from __future__ import annotations

from sqlalchemy import update

from backend.cli import main
from backend.db.tables import AuditRow
from backend.governance.audit_key import key_path
from tests.factories import audit_entry, validated_version
from tests.tampering import cut_tail, rechain, sql, wipe_log


def _verify(capsys):
    code = main(["audit", "verify"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_intact_log_says_what_was_checked(app, cli_env, capsys):
    validated_version(app, "loan-model")
    code, out, err = _verify(capsys)
    assert code == 0 and err == ""
    entries = len(app.registry.audit_log())
    assert f"Audit log intact: {entries} entries, every link and signature checks out." in out
    assert "The log matches its newest checkpoint outside the database (" in out
    assert "The registry's tables match the log for 1 version (states, aliases, sign-offs and conditions)." in out


def test_a_cut_tail_exits_10_naming_the_checkpoint(app, cli_env, capsys):
    for name in ("alpha", "beta", "gamma"):
        audit_entry(app, name)
    cut_tail(app, keep=1)
    code, out, err = _verify(capsys)
    assert code == 10 and out == ""
    assert err.startswith("error: audit log does not reach or match its checkpoint outside the database: the log "
                          "ends at entry 1 but the checkpoint ")
    assert "audit-checkpoints/000000000003-" in err and "entries at the end were removed" in err


def test_a_wiped_log_exits_10(app, cli_env, capsys):
    audit_entry(app, "alpha")
    wipe_log(app)
    code, _, err = _verify(capsys)
    assert code == 10 and "the log is empty but the checkpoint" in err and "the log was wiped" in err


def test_a_state_edited_in_the_table_exits_10_naming_the_version(app, cli_env, capsys):
    validated_version(app, "loan-model")
    sql(app, "UPDATE versions SET state = 'approved'")
    code, _, err = _verify(capsys)
    assert code == 10
    assert err == ("error: the registry's tables disagree with the audit log: loan-model version 1: the table says "
                   "'approved' but the log says 'validated'\n")


def test_a_recomputed_chain_exits_10_naming_the_entry(app, cli_env, capsys):
    audit_entry(app, "alpha")
    audit_entry(app, "beta")
    with app.db.engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq == 2).values(actor="mallory"))
    rechain(app)
    code, _, err = _verify(capsys)
    assert code == 10 and err.startswith("error: audit log broken at entry 2: entry 2's signature does not match")


def test_entries_from_before_signing_are_named_not_failed(app, cli_env, capsys):
    audit_entry(app, "alpha")
    audit_entry(app, "beta")
    audit_entry(app, "gamma")
    with app.db.engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq <= 2).values(mac=None))
    code, out, _ = _verify(capsys)
    assert code == 0
    assert "Entries 1 to 2 were written before the log was signed: their links are checked, their signatures " \
           "cannot be." in out


def test_an_exposed_key_file_stops_every_command(app, cli_env, capsys):
    key_path(cli_env).chmod(0o640)
    code, _, err = _verify(capsys)
    assert code == 8
    assert f"error: Refusing the audit key {key_path(cli_env)}: its mode is 0640" in err
