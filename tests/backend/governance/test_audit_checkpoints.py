"""Checkpoints outside the database catch a cut tail, a wiped log and a recomputed chain."""

from __future__ import annotations

import json
import logging

import pytest

from backend.errors import Conflict
from backend.governance import audit
from backend.governance.audit_checkpoints import CHECKPOINT_FOLDER
from tests.factories import audit_entry
from tests.tampering import cut_tail, edit_entry, last_seq, rechain, wipe_log


def _checkpoints(app) -> list[str]:
    folder = app.settings.artifacts_dir / CHECKPOINT_FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _models(app, *names: str) -> None:
    for name in names:
        audit_entry(app, name)  # one transaction, one entry, one checkpoint each


def test_each_committed_transaction_that_appended_writes_one_checkpoint(app):
    assert _checkpoints(app) == []
    _models(app, "alpha", "beta")
    with app.db.write() as session:
        for i in range(3):
            audit.append(session=session, actor="ana", action="test.event", detail={"i": i})
    names = _checkpoints(app)
    assert [int(n.split("-")[0]) for n in names] == [1, 2, 5]
    body = json.loads((app.settings.artifacts_dir / CHECKPOINT_FOLDER / names[-1]).read_text())
    assert body["seq"] == 5 and len(body["signature"]) == 64
    report = app.registry.verify_audit()
    assert report.intact and report.checkpoint == names[-1]


def test_a_rolled_back_transaction_writes_no_checkpoint(app):
    _models(app, "alpha")
    with pytest.raises(Conflict), app.db.write() as session:
        audit.append(session=session, actor="ana", action="test.event")
        raise Conflict("changed my mind")
    assert [int(n.split("-")[0]) for n in _checkpoints(app)] == [1]
    assert app.registry.verify_audit().intact


def test_reads_write_no_checkpoint(app):
    _models(app, "alpha")
    app.registry.list_models()
    app.registry.verify_audit()
    assert len(_checkpoints(app)) == 1


def test_checkpoints_are_never_overwritten(app):
    _models(app, "alpha")
    store = app.artifacts.append_only(CHECKPOINT_FOLDER)
    name = _checkpoints(app)[0]
    before = store.read(name)
    with pytest.raises(FileExistsError):
        store.create(name, b"{}")
    assert store.read(name) == before


def test_a_cut_tail_with_audit_head_rewritten_is_caught(app):
    _models(app, "alpha", "beta", "gamma", "delta")
    cut_tail(app, keep=2)
    report = app.registry.verify_audit()
    assert not report.intact and report.kind == "checkpoint"
    newest = _checkpoints(app)[-1]
    assert newest.startswith("000000000004-")
    assert f"the log ends at entry 2 but the checkpoint {app.settings.artifacts_dir / CHECKPOINT_FOLDER / newest} " \
           "records entry 4: entries at the end were removed" == report.problem


def test_a_wiped_log_is_caught(app):
    _models(app, "alpha", "beta")
    wipe_log(app)
    report = app.registry.verify_audit()
    assert not report.intact and report.kind == "checkpoint"
    assert report.problem.startswith("the log is empty but the checkpoint ")
    assert "records entry 2: the log was wiped" in report.problem


def test_a_chain_recomputed_without_signatures_is_caught(app):
    _models(app, "alpha", "beta", "gamma")
    # Strip every signature so the log looks older than signing, and recompute the chain.
    edit_entry(app, 2, actor="mallory")
    rechain(app, strip_signatures=True)
    report = app.registry.verify_audit()
    assert not report.intact and report.kind == "checkpoint"
    assert "the log up to entry 3 is not the one the checkpoint" in report.problem
    assert "the chain was rewritten or replaced" in report.problem


def test_a_cut_tail_grown_again_past_the_newest_checkpoint_is_caught(app):
    _models(app, "alpha", "beta", "gamma")
    cut_tail(app, keep=1)
    _models(app, "delta", "epsilon", "zeta")  # entries 2 to 4 again, validly signed, and checkpoints
    report = app.registry.verify_audit()
    assert not report.intact and report.kind == "checkpoint"
    assert "the log's entry 2 is not the one the checkpoint" in report.problem
    assert "000000000002-" in report.problem


def test_a_forged_checkpoint_in_the_store_is_named(app):
    _models(app, "alpha")
    forged = app.settings.artifacts_dir / CHECKPOINT_FOLDER / f"{1:012d}-{'0' * 16}.json"
    forged.write_text(json.dumps({"seq": 1, "hash": "0" * 64, "written_at": "now", "signature": "f" * 64}))
    report = app.registry.verify_audit()
    assert not report.intact and report.kind == "checkpoint"
    assert "its signature does not match this audit key" in report.problem and forged.name in report.problem


def test_a_store_that_cannot_be_written_does_not_undo_the_change(app, monkeypatch, caplog):
    store = app.db.session_info[audit.CHECKPOINTS_INFO].store

    def refuse(name, data):
        raise OSError("disk full")

    monkeypatch.setattr(store, "create", refuse)
    with caplog.at_level(logging.WARNING, logger="backend.governance.audit"):
        _models(app, "alpha")
    assert [entry.model for entry in app.registry.audit_log()] == ["alpha"]  # the change stands
    assert "Could not write the audit checkpoint for entry 1" in caplog.text
    monkeypatch.undo()
    _models(app, "beta")
    assert [int(n.split("-")[0]) for n in _checkpoints(app)] == [2]
    assert app.registry.verify_audit().intact and last_seq(app) == 2


def test_a_change_committed_as_verify_starts_is_not_taken_for_a_cut_tail(app, monkeypatch):
    """Checkpoints are listed before the log is read, so one written just before the listing
    belongs to an entry the log's snapshot contains."""
    from backend.governance.audit_checkpoints import Checkpoints

    _models(app, "alpha")
    listed = Checkpoints.listed

    def another_writer_commits_first(self):
        audit_entry(app, f"late-{len(_checkpoints(app))}")
        return listed(self)

    monkeypatch.setattr(Checkpoints, "listed", another_writer_commits_first)
    report = app.registry.verify_audit()
    assert report.intact, report.problem
    assert report.entries == 2 and report.checkpoint.startswith("000000000002-")
