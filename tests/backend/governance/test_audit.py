"""The hash-chained, signed audit log catches any edited, inserted or deleted row."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update

from backend.db.tables import AuditHeadRow, AuditRow
from backend.governance import audit
from tests.tampering import edit_entry, rechain


def _fill(app, n=5):
    with app.db.write() as session:
        for i in range(n):
            audit.append(session=session, actor="ana", action="test.event", model="m", detail={"i": i})


def _verify(app):
    with app.db.read() as session:
        return audit.verify(session=session)


def test_intact_chain(app):
    _fill(app)
    report = _verify(app)
    assert report.intact and report.entries == 5


def test_edited_row_is_caught(app):
    _fill(app)
    with app.db.write() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == 3).values(actor="mallory"))
    report = _verify(app)
    assert not report.intact and report.first_bad_seq == 3
    assert "entry 3 was changed" in report.problem


def test_deleted_row_is_caught(app):
    _fill(app)
    with app.db.write() as session:
        session.execute(delete(AuditRow).where(AuditRow.seq == 2))
    report = _verify(app)
    assert not report.intact and report.first_bad_seq == 2 and "entry 2 is missing" in report.problem


def test_deleted_tail_is_caught(app):
    _fill(app)
    with app.db.write() as session:
        session.execute(delete(AuditRow).where(AuditRow.seq == 5))
    report = _verify(app)
    assert not report.intact and "removed" in report.problem


def test_inserted_row_with_forged_hash_is_caught(app):
    _fill(app, 3)
    with app.db.write() as session:
        at, prev_hash = session.execute(select(AuditRow.at, AuditRow.prev_hash).where(AuditRow.seq == 3)).one()
        # Shift the last entry and slip a forged one in at its place.
        session.execute(update(AuditRow).where(AuditRow.seq == 3).values(seq=4))
        session.execute(insert(AuditRow).values(seq=3, at=at, actor="mallory", action="test.event", model="m",
                                                detail="{}", prev_hash=prev_hash, hash="f" * 64))
    report = _verify(app)
    assert not report.intact and report.first_bad_seq == 3


def test_entries_filter_by_model_newest_first(app):
    with app.db.write() as session:
        audit.append(session=session, actor="a", action="x.one", model="m1")
        audit.append(session=session, actor="a", action="x.two", model="m2")
        audit.append(session=session, actor="a", action="y.three", model="m1")
    with app.db.read() as session:
        assert [e.action for e in audit.list_entries(session=session, model="m1")] == ["y.three", "x.one"]
        assert [e.action for e in audit.list_entries(session=session, action_prefix="x.")] == ["x.two", "x.one"]


# -- signatures ---------------------------------------------------------------------------------


def test_every_entry_is_signed_with_the_key_outside_the_database(app):
    _fill(app, 3)
    with app.db.read() as session:
        macs = session.execute(select(AuditRow.mac).order_by(AuditRow.seq)).scalars().all()
    assert len(macs) == 3 and all(mac and len(mac) == 64 for mac in macs)
    assert len(set(macs)) == 3


def test_an_edit_with_the_chain_recomputed_by_plain_sha256_is_caught(app):
    _fill(app)
    edit_entry(app, 3, actor="mallory")
    rechain(app)  # every hash and audit_head now agree with the edit; the signatures cannot
    report = _verify(app)
    assert not report.intact and report.kind == "chain" and report.first_bad_seq == 3
    assert "entry 3's signature does not match" in report.problem


def test_an_unsigned_entry_after_signed_ones_is_caught(app):
    _fill(app)
    edit_entry(app, 4, mac=None)
    report = _verify(app)
    assert not report.intact and report.first_bad_seq == 4
    assert "entry 4 is not signed, yet the entries from 1 on are" in report.problem


def test_entries_written_before_signing_are_reported_as_such_not_as_broken(app):
    _fill(app, 4)
    # A database upgraded from before signed entries: its first entries have no signature.
    with app.db.engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq <= 2).values(mac=None))
    report = _verify(app)
    assert report.intact and report.unsigned == 2 and report.entries == 4


def test_a_database_opened_without_the_key_cannot_write_the_log(app):
    from backend.db import Database
    from backend.errors import DatabaseError

    keyless = Database(app.settings.db_url)
    try:
        with pytest.raises(DatabaseError) as caught, keyless.write() as session:
            audit.append(session=session, actor="ana", action="test.event")
        assert caught.value.code == "audit_key_missing"
    finally:
        keyless.dispose()


def test_a_rewound_audit_head_is_caught(app):
    _fill(app)
    with app.db.engine.begin() as conn:
        conn.execute(update(AuditHeadRow).values(seq=3))
    report = _verify(app)
    assert not report.intact and report.problem.startswith("audit_head names entry 3 (")
    assert report.problem.endswith("but the log ends at entry 5: audit_head was changed")
