"""Audit bench: what signing and checkpointing cost a write, and how long `audit verify` takes.

Seeds, in bulk, a registry of 10,000 versions whose signed audit log (about 92,000 entries)
replays to exactly its tables, then times:

- ``Registry.verify_audit()`` on the whole log: every link and signature, the checkpoint, and
  the replay against versions, aliases, sign-offs and conditions (median of 3);
- ``Registry.move_alias()`` with the checkpoint written after each commit, and without it
  (median of 50 after 5 warm-ups), to show what the checkpoint adds to a write.

Targets: verify at least 10,000 entries a second; the checkpoint adds at most 5 ms to a write.
Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/audit_bench.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.app import App  # noqa: E402
from backend.db.tables import AliasRow, AuditHeadRow, AuditRow, ModelRow, SignOffRow, VersionRow  # noqa: E402
from backend.db.types import utcnow  # noqa: E402
from backend.governance import audit  # noqa: E402
from bench._workspace import temporary_app  # noqa: E402

MODELS, VERSIONS_EACH = 1_000, 10
STATES = ("built", "checked", "reported", "validated", "awaiting_signoff")
VERIFY_ENTRIES_PER_S = 10_000
CHECKPOINT_MS = 5.0


class _Log:
    """Signed entries built in memory the way ``audit.append`` builds them."""

    def __init__(self, key: bytes):
        self.key, self.rows, self.prev, self.at = key, [], audit.GENESIS, utcnow() - timedelta(days=300)

    def add(self, actor: str, action: str, model: str, version: int, detail: dict) -> None:
        seq, self.at = len(self.rows) + 1, self.at + timedelta(seconds=1)
        detail_json = audit.canonical_json(detail)
        digest = audit._entry_hash(self.prev, seq, self.at, actor, action, model, version, detail_json)
        self.rows.append({"seq": seq, "at": self.at, "actor": actor, "action": action, "model": model,
                          "version": version, "detail": detail_json, "prev_hash": self.prev, "hash": digest,
                          "mac": audit.entry_mac(self.key, digest)})
        self.prev = digest


def seed(app: App) -> int:
    """Models whose versions went through every stage and two sign-offs; production on the newest."""
    log = _Log(app.db.session_info[audit.KEY_INFO])
    models, versions, signoffs, aliases = [], [], [], []
    for model_id in range(1, MODELS + 1):
        name, at = f"model-{model_id:04d}", utcnow()
        models.append({"id": model_id, "name": name, "title": name, "description": "", "owner": "bench",
                       "risk_tier": "medium", "task": "classification", "created_at": at, "updated_at": at,
                       "latest_version": VERSIONS_EACH})
        for number in range(1, VERSIONS_EACH + 1):
            version_id = len(versions) + 1
            log.add("pipeline", "version.registered", name, number, {"git_commit": None, "spec_hash": None})
            before = "registered"
            for state in STATES:
                log.add("pipeline", "version.state", name, number, {"from": before, "to": state, "reason": None})
                before = state
            for username, role in (("bea", "business_owner"), ("rick", "risk")):
                log.add(username, "signoff.decided", name, number,
                        {"role": role, "decision": "approve", "comment": "", "conditions": [], "condition_ids": [],
                         "evidence": {}, "round": 1})
                signoffs.append({"version_id": version_id, "round": 1, "username": username, "role": role,
                                 "decision": "approve", "comment": "", "evidence": {},
                                 "evidence_hash": f"{version_id:064x}", "created_at": at})
            log.add("bea", "version.state", name, number, {"from": before, "to": "approved", "reason": None})
            versions.append({"id": version_id, "model_id": model_id, "number": number, "state": "approved",
                             "author": "dana", "created_at": at, "updated_at": at, "params": {}, "metrics": {},
                             "policy": {}, "input_schema": {}})
        log.add("ops", "alias.moved", name, VERSIONS_EACH, {"alias": "production", "from_version": None, "reason": None})
        aliases.append({"model_id": model_id, "alias": "production", "version_id": len(versions), "updated_at": at})
    with app.db.write() as session:
        session.execute(insert(ModelRow.__table__), models)
        session.execute(insert(VersionRow.__table__), versions)
        session.execute(insert(SignOffRow.__table__), signoffs)
        session.execute(insert(AliasRow.__table__), aliases)
        session.execute(insert(AuditRow.__table__), log.rows)
        session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=len(log.rows), hash=log.prev))
    app.db.session_info[audit.CHECKPOINTS_INFO].write(len(log.rows), log.prev)
    return len(log.rows)


def _median_ms(call, repeats: int, warmup: int = 0) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    with temporary_app("greenlight-audit-bench-") as (app, _home):
        started = time.perf_counter()
        entries = seed(app)
        print(f"Audit bench: SQLite, seeded {MODELS * VERSIONS_EACH:,} versions and {entries:,} signed audit entries "
              f"in {time.perf_counter() - started:.1f} s.\n")
        report = app.registry.verify_audit()
        if not report.intact or report.entries != entries or report.versions != MODELS * VERSIONS_EACH:
            print(f"audit bench: the seeded log does not verify: {report}")
            return 1
        verify_ms = _median_ms(app.registry.verify_audit, 3)
        rate = entries / (verify_ms / 1000)

        calls = iter(range(10**6))

        def move() -> None:
            app.registry.move_alias("model-0001", "production", VERSIONS_EACH - next(calls) % 2, actor="bench")

        with_checkpoint = _median_ms(move, 50, warmup=5)
        hooks = list(app.db._after_commit)
        app.db._after_commit.clear()
        try:
            without = _median_ms(move, 50, warmup=5)
        finally:
            app.db._after_commit.extend(hooks)
        added = with_checkpoint - without
        if not app.registry.verify_audit().intact:
            print("audit bench: the log does not verify after the timed writes")
            return 1

    ok_verify, ok_write = rate >= VERIFY_ENTRIES_PER_S, added <= CHECKPOINT_MS
    print(f"{'measure':<52} {'figure':>12} {'target':>12} {'figure/target':>14}  result")
    print(f"{'verify_audit, whole log (median of 3)':<52} {verify_ms / 1000:>10.2f} s {'':>12} {'':>14}")
    print(f"{'  entries checked a second':<52} {rate:>12,.0f} {VERIFY_ENTRIES_PER_S:>12,} "
          f"{rate / VERIFY_ENTRIES_PER_S:>14.2f}  {'ok' if ok_verify else 'MISSED'}")
    print(f"{'move_alias with the checkpoint (median ms)':<52} {with_checkpoint:>12.2f}")
    print(f"{'move_alias without it (median ms)':<52} {without:>12.2f}")
    print(f"{'  the checkpoint adds (ms)':<52} {added:>12.2f} {CHECKPOINT_MS:>12.2f} "
          f"{added / CHECKPOINT_MS:>14.2f}  {'ok' if ok_write else 'MISSED'}")
    print("\naudit bench:", "all targets met" if ok_verify and ok_write else "TARGET MISSED")
    return 0 if ok_verify and ok_write else 1


if __name__ == "__main__":
    raise SystemExit(main())
