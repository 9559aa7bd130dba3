"""The application object: settings, database, registry and artifact store, built once.

Pass it explicitly; nothing in the backend reads a global.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from backend.config import Settings
from backend.db import Database
from backend.deployment import Deployments
from backend.deployment.card_refresh import refresh_model_cards
from backend.governance.accounts import Accounts
from backend.governance.org_policy import OrgPolicy
from backend.governance.policy_exceptions import PolicyExceptions
from backend.governance.signoff import SignOffs
from backend.governance.tokens import Tokens
from backend.registry import Registry
from backend.registry.artifacts import ArtifactStore
from backend.registry.prediction_log import PredictionLog

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
    tokens: Tokens
    policy_exceptions: PolicyExceptions
    deployments: Deployments

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
        artifacts = ArtifactStore(settings.artifacts_dir)
        registry = Registry(db, artifacts)
        deployments = Deployments(db, registry, artifacts, PredictionLog(str(settings.artifacts_dir)))
        app = cls(settings=settings, db=db, registry=registry, artifacts=artifacts,
                  accounts=Accounts(db), signoffs=SignOffs(db), org_policy=OrgPolicy(db), tokens=Tokens(db),
                  policy_exceptions=PolicyExceptions(db), deployments=deployments)
        # A deployment change rewrites the moved versions' model cards (their deployment section).
        deployments.on_change = partial(refresh_model_cards, app)
        return app

    def close(self) -> None:
        self.db.dispose()
