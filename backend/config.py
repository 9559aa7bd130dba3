"""One typed settings object, read from ``GREENLIGHT_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings"]

#: Every environment variable Greenlight reads, with what it means. The README documents
#: each; a test fails when one is missing there.
ENVIRONMENT_VARIABLES = {
    "GREENLIGHT_HOME": "folder for Greenlight's own files (default ./.greenlight)",
    "GREENLIGHT_DB_URL": "SQLAlchemy database URL (default: SQLite file greenlight.db under the home)",
    "GREENLIGHT_ARTIFACTS": "the long-term artifact store: a folder (default: artifacts/ under the home) or s3://bucket/prefix",
    "GREENLIGHT_TOKEN": "API token the command line acts with (pipeline runs, exceptions), instead of --as USER",
    "GREENLIGHT_AUDIT_KEY": "secret (at least 32 characters) that signs the audit log (default: the file audit.key "
                            "under the home, created on first use with mode 0600)",
    "GREENLIGHT_GATEWAY_URL": "a running scoring gateway test validation deploys to (default: it starts one on loopback)",
    "GREENLIGHT_GATEWAY_REQUIRE_TOKEN": "1 makes the scoring gateway refuse requests without a client application's token",
    "GREENLIGHT_GATEWAY_REFRESH_SECONDS": "how often a gateway re-reads what serves each model (default 2)",
    "GREENLIGHT_CLIENT_TOKEN": "the client application's token `greenlight simulate` sends to a gateway that requires one",
    "GREENLIGHT_MONITOR_WEBHOOK": "URL the monitoring job POSTs warning and critical alerts to, as JSON (optional)",
    "GREENLIGHT_WORKER_START": "spawn starts a new interpreter for each fit, smoke check and performance job, and for "
                               "a run's scoring gateway, instead of forking it from the worker's fork server "
                               "(default: fork where the platform can)",
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
    artifacts_dir : Path or str
        Root of the content-addressed artifact store: a folder, or a URL such as
        ``s3://bucket/prefix`` (kept as a string).
    audit_key : str or None
        The secret that signs the audit log; None means the key file under ``home``. Kept out
        of ``repr`` so that printing the settings never shows it.
    gateway_url : str, optional
        A running scoring gateway for test validation; None starts one for the run.
    gateway_require_token : bool
        The gateway refuses a request without a client application's bearer token.
    gateway_refresh_seconds : float
        How often a gateway re-reads the serving slots from the database.
    monitor_webhook : str, optional
        Where the monitoring job sends its alerts.
    """

    home: Path
    db_url: str
    artifacts_dir: Path | str
    audit_key: str | None = field(default=None, repr=False)
    gateway_url: str | None = None
    gateway_require_token: bool = False
    gateway_refresh_seconds: float = 2.0
    monitor_webhook: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("GREENLIGHT_HOME") or ".greenlight").expanduser().resolve()
        db_url = env.get("GREENLIGHT_DB_URL") or f"sqlite:///{home / 'greenlight.db'}"
        artifacts = env.get("GREENLIGHT_ARTIFACTS")
        if artifacts and "://" in artifacts:
            artifacts_dir: Path | str = artifacts.rstrip("/")
        else:
            artifacts_dir = Path(artifacts).expanduser().resolve() if artifacts else home / "artifacts"
        return cls(home=home, db_url=db_url, artifacts_dir=artifacts_dir,
                   audit_key=env.get("GREENLIGHT_AUDIT_KEY") or None,
                   gateway_url=(env.get("GREENLIGHT_GATEWAY_URL") or "").rstrip("/") or None,
                   gateway_require_token=env.get("GREENLIGHT_GATEWAY_REQUIRE_TOKEN", "").lower() in ("1", "true", "yes"),
                   gateway_refresh_seconds=float(env.get("GREENLIGHT_GATEWAY_REFRESH_SECONDS") or 2.0),
                   monitor_webhook=env.get("GREENLIGHT_MONITOR_WEBHOOK") or None)
