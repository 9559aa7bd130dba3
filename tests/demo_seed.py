"""Seed the demo for a test run, in a process of its own: ``python -m tests.demo_seed FOLDER``.

The demo goes to ``FOLDER/home``; ``FOLDER/done`` marks success and ``FOLDER/failed`` failure.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path


def seed(home: Path) -> None:
    """The real demo, built by the real pipeline, in ``home``."""
    from backend.app import App
    from backend.config import Settings
    from backend.demo import seed_demo

    app = App.open(Settings.from_env({"GREENLIGHT_HOME": str(home)}))
    try:
        results = seed_demo(app)
    finally:
        app.close()
    assert len(results) >= 6


def main(folder: Path) -> int:
    try:
        seed(folder / "home")
    except BaseException:
        traceback.print_exc()
        (folder / "failed").touch()
        return 1
    (folder / "done").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
