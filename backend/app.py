"""The application object: settings, database, registry and artifact store, built once.

Pass it explicitly; nothing in the backend reads a global.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.config import Settings
from backend.db import Database
from backend.governance.accounts import Accounts
from backend.governance.org_policy import OrgPolicy
from backend.governance.sessions import PortalSessions
from backend.governance.signoff import SignOffs
from backend.registry import Registry
from backend.registry.artifacts import ArtifactStore

__all__ = ["App"]


@dataclass
class App:
    settings: Settings
    db: Database
    registry: Registry
    artifacts: ArtifactStore
    accounts: Accounts
    signoffs: SignOffs
    org_policy: OrgPolicy
    sessions: PortalSessions

    @classmethod
    def open(cls, settings: Settings | None = None, *, ensure_schema: bool = True) -> App:
        """Connect to the database (creating the schema in an empty one) and the store."""
        settings = settings or Settings.from_env()
        settings.home.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        if ensure_schema:
            try:
                db.ensure_schema()
            except BaseException:
                db.dispose()
                raise
        return cls(settings=settings, db=db, registry=Registry(db), artifacts=ArtifactStore(settings.artifacts_dir),
                   accounts=Accounts(db), signoffs=SignOffs(db), org_policy=OrgPolicy(db),
                   sessions=PortalSessions(db))

    def close(self) -> None:
        self.db.dispose()
