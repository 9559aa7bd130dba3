"""Several processes meeting an empty database at once all end up with the schema: whoever
creates it holds a lock (advisory on PostgreSQL, an exclusive transaction on SQLite) and the
others wait, then find it there."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest
from sqlalchemy import create_engine, event, inspect, text

from backend.db import Database
from tests.conftest import PG_URL, REQUIRE_PG

PROCESSES = 4
ROUNDS = 3


def _first_use(urls: list[str], how: str, barrier, results) -> None:
    """What a starting process does with each database in turn (run in a fresh interpreter):
    all the processes meet each one at the same moment."""
    for round_number, url in enumerate(urls):
        db = Database(url)
        try:
            barrier.wait(timeout=60)
            db.upgrade() if how == "upgrade" else db.ensure_schema()
            results.put((round_number, "ok"))
        except Exception as exc:  # reported to the test, which shows it
            results.put((round_number, f"{type(exc).__name__}: {exc}"))
        finally:
            db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_databases(request, tmp_path):
    """A factory of empty databases (no schema at all) on SQLite files, then on PostgreSQL."""
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("GREENLIGHT_TEST_PG_URL is not set but PostgreSQL tests are required")
        pytest.skip("PostgreSQL tests need GREENLIGHT_TEST_PG_URL (make test sets it)")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    created = []

    def make() -> str:
        name = f"greenlight_empty_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return PG_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_processes_starting_together_on_an_empty_database_all_succeed(empty_databases):
    spawn = multiprocessing.get_context("spawn")
    urls = [empty_databases() for _ in range(ROUNDS)]
    barrier, results = spawn.Barrier(PROCESSES), spawn.Queue()
    # Commands create the schema themselves; `greenlight db upgrade` may run at the same moment.
    # The same processes meet each of the ROUNDS empty databases together.
    hows = ["ensure"] * (PROCESSES - 1) + ["upgrade"]
    workers = [spawn.Process(target=_first_use, args=(urls, how, barrier, results)) for how in hows]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(PROCESSES * ROUNDS)]
    for worker in workers:
        worker.join(timeout=60)
    for round_number, url in enumerate(urls):
        got = [outcome for number, outcome in outcomes if number == round_number]
        assert got == ["ok"] * PROCESSES, f"round {round_number + 1}: {got}"
        db = Database(url)
        try:
            assert db.current_revision() == db.head_revision()
            assert "versions" in inspect(db.engine).get_table_names()
        finally:
            db.dispose()


def test_no_one_ever_sees_a_half_made_schema(empty_databases):
    # The race behind "schema is at revision 0001 but this Greenlight needs 0002": a process that
    # looked while another was between two migrations. Look at every step of a migration.
    url = empty_databases()
    db, onlooker = Database(url), Database(url)
    seen = []

    def peek(_conn, _cursor, statement, *_args):
        if "alembic_version" in statement and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            seen.append(onlooker.current_revision())

    engines = {id(e): e for e in (db.engine, db._write_engine, getattr(db, "_schema_engine", db.engine))}
    try:
        for engine in engines.values():
            event.listen(engine, "before_cursor_execute", peek)
        db.ensure_schema()
        assert len(seen) >= 2 and set(seen) == {None}  # one step per migration, none seen from outside
        assert onlooker.current_revision() == db.head_revision()
    finally:
        db.dispose()
        onlooker.dispose()
