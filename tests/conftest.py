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


# -- the demo, seeded once per run in a process of its own --------------------------------------
#
# Seeding the demo runs the real pipeline a dozen times: minutes on a small machine. It starts in
# the background as soon as the run knows it has a test that needs it, the tests that need it
# run last, and in the meantime the other tests run. When the suite is split across processes,
# the first one to collect starts the seed and all of them wait for the same one.

def _uses_demo(item) -> bool:
    return "demo_env" in getattr(item, "fixturenames", ())


def _seed_folder(config) -> Path:
    """Shared by every process of the run: the split run's base folder, or the run's own."""
    base = config._tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-seed"
    folder.mkdir(exist_ok=True)
    return folder


_SEED: dict = {}


def _start_demo_seed(config) -> None:
    """Start seeding the demo in a background process, unless another process of the run has."""
    import fcntl
    import subprocess
    import sys

    folder = _seed_folder(config)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (folder / "started").exists():
            return
        log = (folder / "seed.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", "tests.demo_seed", str(folder)], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
        log.close()
        (folder / "started").write_text(str(process.pid))
        _SEED["process"] = process


def pytest_collection_modifyitems(session, config, items):
    """The modules with a test that needs the demo run last, and its seed starts now.

    ``make test`` splits the suite by module (``--dist loadscope``), so a module-wide fixture (a
    portal, a Spark session, a small registry) is built once; a module is moved as a whole, so
    its tests stay together.
    """
    with_demo = {item.module.__name__ for item in items if _uses_demo(item) and getattr(item, "module", None)}
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "__name__", None) in with_demo)  # stable
    if with_demo:
        _start_demo_seed(config)


def pytest_sessionfinish(session, exitstatus):
    """The process that started the seed waits for it (another process may still need it), or
    stops it when the run was interrupted."""
    process = _SEED.pop("process", None)
    if process is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        process.kill()
    process.wait()


def _wait_for_demo_seed(folder: Path, timeout: float = 3600) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not (folder / "done").exists():
        failed = (folder / "failed").exists()
        ours = _SEED.get("process")
        if not failed and ours is not None:
            failed = ours.poll() is not None and not (folder / "done").exists()
        elif not failed:
            try:
                os.kill(int((folder / "started").read_text() or 0), 0)
            except ProcessLookupError:
                failed = not (folder / "done").exists()
        if failed or time.monotonic() > deadline:
            log = (folder / "seed.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"Seeding the demo failed or took over {timeout:.0f} s; its log ends:\n{log}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def demo_env(request, tmp_path_factory) -> dict[str, str]:
    """The real demo, seeded once per run by the real pipeline; environment to reach it.

    The seed is shared by every process of the run; each test process works on a copy of its
    own, so that nothing one process writes reaches another.
    """
    folder = _seed_folder(request.config)
    if not (folder / "started").exists():  # a run whose collection did not see it coming
        _start_demo_seed(request.config)
    _wait_for_demo_seed(folder)
    home = tmp_path_factory.mktemp("demo") / "home"
    shutil.copytree(folder / "home", home)
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
