"""The application object: settings, database, registry and artifact store, built once.

Pass it explicitly; nothing in the backend reads a global.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from backend.config import Settings
from backend.db import Database
from backend.deployment import Deployments
from backend.deployment.card_refresh import refresh_model_cards
from backend.governance import audit
from backend.governance.accounts import Accounts
from backend.governance.audit_checkpoints import CHECKPOINT_FOLDER, Checkpoints
from backend.governance.audit_key import load_audit_key
from backend.governance.org_policy import OrgPolicy
from backend.governance.policy_exceptions import PolicyExceptions
from backend.governance.sessions import PortalSessions
from backend.governance.signoff import SignOffs
from backend.governance.tokens import Tokens
from backend.onboarding import BrowserRuns
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
    sessions: PortalSessions
    deployments: Deployments
    #: pipeline runs this process started from the portal, while they run
    browser_runs: BrowserRuns = field(default_factory=BrowserRuns)

    @classmethod
    def open(cls, settings: Settings | None = None, *, ensure_schema: bool = True) -> App:
        """Connect to the database (creating the schema in an empty one) and the store."""
        settings = settings or Settings.from_env()
        # Only the person running Greenlight reads its home: the key and the SQLite file live there.
        settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = load_audit_key(settings)
        artifacts = ArtifactStore(settings.artifacts_dir)
        checkpoints = Checkpoints(artifacts.append_only(CHECKPOINT_FOLDER), key)
        db = Database(settings.db_url, session_info=audit.session_info(key=key, checkpoints=checkpoints))
        db.on_commit(audit.checkpoint_after_commit)
        if ensure_schema:
            try:
                db.ensure_schema()
            except BaseException:
                db.dispose()
                raise
        registry = Registry(db, artifacts)
        deployments = Deployments(db, registry, artifacts, PredictionLog(str(settings.artifacts_dir)))
        app = cls(settings=settings, db=db, registry=registry, artifacts=artifacts,
                  accounts=Accounts(db), signoffs=SignOffs(db, artifacts), org_policy=OrgPolicy(db), tokens=Tokens(db),
                  policy_exceptions=PolicyExceptions(db), sessions=PortalSessions(db), deployments=deployments)
        app.signoffs.after_decision = app._record_decision_in_card
        # A deployment change rewrites the moved versions' model cards (their deployment section).
        deployments.on_change = partial(refresh_model_cards, app)
        return app

    def _record_decision_in_card(self, model: str, number: int, actor: str) -> None:
        """Rewrite the model card after a sign-off decision, whichever door it came through; a card
        that cannot be written never undoes the decision (the audit log says what went wrong)."""
        from backend.reports import refresh_model_card

        try:
            refresh_model_card(self, model, number, actor=actor)
        except Exception as exc:  # the decision stands; the card is documentation
            self.registry.record(actor=actor, action="model_card.failed", model=model, version=number,
                                 detail={"error": f"{type(exc).__name__}: {exc}"})

    def close(self) -> None:
        self.db.dispose()
