"""One typed settings object, read from ``GREENLIGHT_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]

#: Every environment variable Greenlight reads, with what it means. The README documents
#: each; a test fails when one is missing there.
ENVIRONMENT_VARIABLES = {
    "GREENLIGHT_HOME": "folder for Greenlight's own files (default ./.greenlight)",
    "GREENLIGHT_DB_URL": "SQLAlchemy database URL (default: SQLite file greenlight.db under the home)",
    "GREENLIGHT_ARTIFACTS": "folder of the long-term artifact store (default: artifacts/ under the home)",
    "GREENLIGHT_TOKEN": "API token the command line acts with (pipeline runs, exceptions), instead of --as USER",
    "GREENLIGHT_MONITOR_WEBHOOK": "URL the monitoring job POSTs warning and critical alerts to, as JSON (optional)",
}


@dataclass(frozen=True)
class Settings:
    """Where Greenlight keeps its state.

    Parameters
    ----------
    home : Path
        Folder for Greenlight's own files.
    db_url : str
        SQLAlchemy URL; SQLite and PostgreSQL (``postgresql+psycopg://``) are supported.
    artifacts_dir : Path
        Root of the content-addressed artifact store.
    monitor_webhook : str, optional
        Where the monitoring job sends its alerts.
    """

    home: Path
    db_url: str
    artifacts_dir: Path
    monitor_webhook: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("GREENLIGHT_HOME") or ".greenlight").expanduser().resolve()
        db_url = env.get("GREENLIGHT_DB_URL") or f"sqlite:///{home / 'greenlight.db'}"
        artifacts = env.get("GREENLIGHT_ARTIFACTS")
        artifacts_dir = Path(artifacts).expanduser().resolve() if artifacts else home / "artifacts"
        return cls(home=home, db_url=db_url, artifacts_dir=artifacts_dir,
                   monitor_webhook=env.get("GREENLIGHT_MONITOR_WEBHOOK") or None)
