"""A throwaway Greenlight home for a bench script: its own SQLite file and artifact store."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_VARIABLES = ("GREENLIGHT_HOME", "GREENLIGHT_DB_URL", "GREENLIGHT_ARTIFACTS")
# Benches set up their data with the tests' factories (tests/factories.py), through the same
# guarded services as every other door.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@contextmanager
def temporary_home(prefix: str = "greenlight-bench-", *, keep: bool = False) -> Iterator[Path]:
    """Point the GREENLIGHT_* variables at a new folder; remove it afterwards unless ``keep``."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    saved = {name: os.environ.get(name) for name in _VARIABLES}
    for name in _VARIABLES:
        os.environ.pop(name, None)
    os.environ["GREENLIGHT_HOME"] = str(home)
    try:
        yield home
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


@contextmanager
def temporary_app(prefix: str = "greenlight-bench-"):
    """An :class:`~backend.app.App` on a temporary home, closed and removed afterwards."""
    from backend.app import App

    with temporary_home(prefix) as home:
        app = App.open()
        try:
            yield app, home
        finally:
            app.close()
