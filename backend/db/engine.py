"""The engine, built once, and the managed sessions every service call runs in."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import Conflict, DatabaseError, GreenlightError

__all__ = ["Database"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_engine(url: str, *, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front: a deferred transaction that reads and then
        # writes can deadlock against another writer, and SQLite then fails at once.
        conn.exec_driver_sql(begin)

    return engine


def _create_private_file(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (SQLite gives its WAL the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Database:
    """Owns the engine(s) and hands out one managed session per service call.

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
    session_info : mapping, optional
        Put into every managed session's ``info`` (the audit log's key travels this way, so
        no service reads it from a global).
    """

    def __init__(self, url: str, *, session_info: Mapping[str, Any] | None = None):
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        self.session_info = dict(session_info or {})
        self._after_commit: list[Callable[[dict[str, Any]], None]] = []
        if self.dialect == "sqlite":
            path = url.removeprefix("sqlite:///").split("?", 1)[0] if url.startswith("sqlite:///") else ""
            try:
                if path and path != ":memory:":
                    _create_private_file(Path(path))
            except OSError as exc:
                raise DatabaseError(f"The database file {path} could not be created: {exc}") from exc
            self.engine = _sqlite_engine(url, begin="BEGIN")
            self._write_engine = _sqlite_engine(url, begin="BEGIN IMMEDIATE")
            # Creating or upgrading the schema holds the whole database, so two processes
            # starting on an empty file take turns instead of migrating over each other.
            self._schema_engine = _sqlite_engine(url, begin="BEGIN EXCLUSIVE")
        else:
            try:
                self.engine = create_engine(url, pool_pre_ping=True)
            except (SQLAlchemyError, ImportError, ValueError) as exc:
                raise DatabaseError(f"The database URL {url.split('@')[-1]!r} cannot be used: {exc}") from exc
            self._write_engine = self._schema_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; never commits."""
        with self._managed(self._read, commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that commits on success, rolls back on error."""
        with self._managed(self._write, commit=True) as session:
            yield session

    def on_commit(self, hook: Callable[[dict[str, Any]], None]) -> None:
        """Call ``hook(session.info)`` after each write session has committed."""
        self._after_commit.append(hook)

    @contextmanager
    def _managed(self, factory: sessionmaker, *, commit: bool) -> Iterator[Session]:
        session = factory()
        session.info.update(self.session_info)
        committed = False
        try:
            yield session
            if commit:
                session.commit()
                committed = True
        except GreenlightError:
            session.rollback()
            raise
        except IntegrityError as exc:
            session.rollback()
            raise Conflict(f"The change conflicts with what is already stored: {exc.orig}") from exc
        except OperationalError as exc:
            session.rollback()
            raise DatabaseError(f"The database could not be reached or refused the request: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            session.rollback()
            raise DatabaseError(f"Database error: {exc}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        # Outside the transaction: what a hook does can no longer undo or fail the commit.
        if committed:
            for hook in self._after_commit:
                hook(session.info)

    # -- schema ------------------------------------------------------------------------------
    #
    # Several processes may meet an empty database at once (a CI runner and the portal, two demo
    # starts). Whoever creates or upgrades the schema holds a lock for the whole migration: a
    # transaction-scoped advisory lock on PostgreSQL, an exclusive transaction on SQLite. The
    # others wait, then find the schema already there.

    _PG_SCHEMA_LOCK = 0x67726E6C  # "grnl": the advisory lock id for schema changes

    def _alembic_config(self, connection: Connection | None = None):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self._write_engine
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    @contextmanager
    def _unreachable_as_error(self, doing: str) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            raise DatabaseError(f"The database at {self.safe_url} could not be {doing}: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise DatabaseError(f"The database at {self.safe_url} could not be {doing}: {exc}") from exc

    @contextmanager
    def _schema_lock(self) -> Iterator[Connection]:
        """A connection in a transaction that holds the schema lock; commits on success."""
        with self._unreachable_as_error("reached to create or upgrade its schema"), \
                self._schema_engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({self._PG_SCHEMA_LOCK})")
            yield conn

    @staticmethod
    def _revision_on(conn: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()

    def _migrate_on(self, conn: Connection) -> None:
        from alembic import command

        command.upgrade(self._alembic_config(conn), "head")

    def current_revision(self) -> str | None:
        with self._unreachable_as_error("reached"), self.engine.connect() as conn:
            return self._revision_on(conn)

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema to the newest migration; returns (before, after)."""
        with self._schema_lock() as conn, self._unreachable_as_error("upgraded"):
            before = self._revision_on(conn)
            if before != self.head_revision():
                self._migrate_on(conn)
        return before, self.head_revision()

    def ensure_schema(self) -> None:
        """Create the schema in an empty database; refuse to run on an outdated one."""
        head = self.head_revision()
        if self.current_revision() == head:
            return
        with self._schema_lock() as conn:
            # Under the lock: another process may have created the schema while we waited.
            current = self._revision_on(conn)
            if current == head:
                return
            if current is None and not inspect(conn).get_table_names():
                with self._unreachable_as_error("upgraded"):
                    self._migrate_on(conn)
                return
        raise DatabaseError(
            f"The database schema is at revision {current or 'none'} but this Greenlight needs "
            f"{head}. Run `greenlight db upgrade` first.",
            code="schema_outdated",
        )

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        for engine in {id(e): e for e in (self.engine, self._write_engine, self._schema_engine)}.values():
            engine.dispose()
