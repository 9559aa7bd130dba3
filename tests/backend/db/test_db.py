"""The schema: migrations create exactly what the tables declare, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from backend.db import Database


def test_migrations_match_the_tables(db_url):
    db = Database(db_url)
    try:
        assert db.current_revision() == db.head_revision()
        command.check(db._alembic_config())  # raises when a table changed without a migration
        tables = set(inspect(db.engine).get_table_names())
        assert {"models", "versions", "aliases", "stage_runs", "artifacts", "audit_log", "audit_head", "users",
                "signoffs", "conditions", "org_policy"} <= tables
    finally:
        db.dispose()


def test_an_empty_database_gets_the_schema_by_itself(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert db.current_revision() is None
        db.ensure_schema()
        assert db.current_revision() == db.head_revision()
    finally:
        db.dispose()
