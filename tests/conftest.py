"""Shared fixtures: a real database per test (SQLite file, and PostgreSQL when available)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from backend.app import App  # noqa: E402
from backend.config import Settings  # noqa: E402
from backend.db import Database  # noqa: E402

PG_URL = os.environ.get("GREENLIGHT_TEST_PG_URL")
REQUIRE_PG = os.environ.get("GREENLIGHT_REQUIRE_PG") == "1"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """Argon2 with its production cost takes ~0.1 s a hash; the tests create hundreds."""
    from argon2 import PasswordHasher

    import backend.governance.accounts

    monkeypatch.setattr(backend.governance.accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> str | None:
    """A migrated PostgreSQL database used as the template for each test's database."""
    if not PG_URL:
        yield None
        return
    name = f"greenlight_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    db = Database(url)
    db.upgrade()
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_database(template: str) -> tuple[str, callable]:
    name = f"greenlight_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_URL.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template, pg_template) -> str:
    """A fresh, migrated database: a SQLite file, then the same test on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "greenlight.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("GREENLIGHT_TEST_PG_URL is not set but PostgreSQL tests are required")
        pytest.skip("PostgreSQL tests need GREENLIGHT_TEST_PG_URL (make test sets it)")
    url, drop = _pg_database(pg_template)
    request.addfinalizer(drop)
    return url


@pytest.fixture
def settings(tmp_path, db_url) -> Settings:
    return Settings(home=tmp_path / "home", db_url=db_url, artifacts_dir=tmp_path / "artifacts")


@pytest.fixture
def app(settings) -> App:
    app = App.open(settings)
    yield app
    app.close()


@pytest.fixture
def sqlite_app(tmp_path, sqlite_template) -> App:
    """SQLite only, for tests whose subject is not the database."""
    path = tmp_path / "greenlight.db"
    shutil.copy(sqlite_template, path)
    app = App.open(Settings(home=tmp_path / "home", db_url=f"sqlite:///{path}", artifacts_dir=tmp_path / "artifacts"))
    yield app
    app.close()


def _seed_demo(home: Path) -> None:
    from backend.demo import seed_demo

    app = App.open(Settings.from_env({"GREENLIGHT_HOME": str(home)}))
    try:
        results = seed_demo(app)
    finally:
        app.close()
    assert len(results) >= 6


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory) -> dict[str, str]:
    """The real demo, seeded once per run by the real pipeline; environment to reach it.

    When the suite is split across processes, the first one to get here seeds the demo in the
    run's shared folder while the others wait on a lock; each then works on a copy of its own,
    so that nothing one process writes reaches another.
    """
    home = tmp_path_factory.mktemp("demo") / "home"
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        _seed_demo(home)
    else:
        import fcntl

        shared = tmp_path_factory.getbasetemp().parent / "demo-seed"
        shared.mkdir(exist_ok=True)
        with open(shared / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (shared / "done").exists():
                shutil.rmtree(shared / "home", ignore_errors=True)  # what a failed attempt left
                _seed_demo(shared / "home")
                (shared / "done").touch()
        shutil.copytree(shared / "home", home)
    return {"GREENLIGHT_HOME": str(home)}


@pytest.fixture
def demo_settings(demo_env, monkeypatch) -> Settings:
    """The demo's settings, also exported as environment variables (the portal reads those)."""
    for key, value in demo_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GREENLIGHT_DB_URL", raising=False)
    monkeypatch.delenv("GREENLIGHT_ARTIFACTS", raising=False)
    return Settings.from_env(demo_env)


S3_URL = os.environ.get("GREENLIGHT_TEST_S3_URL")
REQUIRE_S3 = os.environ.get("GREENLIGHT_REQUIRE_S3") == "1"


@pytest.fixture
def s3_root(monkeypatch) -> str:
    """``s3://<new bucket>/store`` on the local S3-compatible server ``make test`` starts, with the
    AWS variables pointing at it (fresh processes inherit them)."""
    if not S3_URL:
        if REQUIRE_S3:
            pytest.fail("GREENLIGHT_TEST_S3_URL is not set but the S3 tests are required")
        pytest.skip("S3 tests need GREENLIGHT_TEST_S3_URL (make test starts a local server and sets it)")
    import fsspec

    for key, value in {"AWS_ENDPOINT_URL": S3_URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    bucket = f"greenlight-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3", skip_instance_cache=True).mkdir(bucket)
    return f"s3://{bucket}/store"
