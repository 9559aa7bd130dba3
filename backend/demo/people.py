"""The demo's accounts (one per role) and the sign-off decisions that leave versions in every
state: awaiting sign-off, approved (one with an open condition) and rejected."""

from __future__ import annotations

from dataclasses import dataclass

from backend.app import App
from backend.demo.acknowledgements import demo_acknowledgements
from backend.domain import User
from backend.governance.accounts import operator
from backend.registry.states import State

__all__ = ["DEMO_ACCOUNTS", "DemoAccount", "seed_accounts", "seed_signoffs"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    roles: tuple[str, ...]

    @property
    def password(self) -> str:
        return f"{self.username}-demo-password"


DEMO_ACCOUNTS = [
    DemoAccount("ada", "Ada Admin", ("admin",)),
    DemoAccount("dana", "Dana Data-Scientist", ("data_scientist",)),
    DemoAccount("bea", "Bea Business-Owner", ("business_owner",)),
    DemoAccount("rick", "Rick Risk", ("risk",)),
    DemoAccount("cora", "Cora Compliance", ("compliance",)),
    DemoAccount("vic", "Vic Viewer", ("viewer",)),
]

# (model, version, reviewer, role, decision, comment, conditions)
DEMO_DECISIONS = [
    ("credit-risk", 1, "bea", "business_owner", "approve", "Supports the credit decision as intended.", ()),
    ("credit-risk", 1, "rick", "risk", "approve", "Ranking quality and calibration are acceptable.", ()),
    ("credit-risk", 1, "cora", "compliance", "approve", "Documentation complete; no protected attribute used alone.", ()),
    ("credit-risk", 2, "bea", "business_owner", "approve", "Fine from the business side.", ()),
    ("credit-risk", 2, "rick", "risk", "reject",
     "No clear gain over version 1 and harder to explain to applicants; keep the logistic model.", ()),
    ("income-propensity", 1, "bea", "business_owner", "approve", "Good enough for the premium offer pilot.", ()),
    ("income-propensity", 1, "rick", "risk", "approve", "Low-stakes marketing use; risks acceptable.", ()),
    ("income-propensity", 2, "bea", "business_owner", "conditions", "Approve for the autumn campaign.",
     ("Report the offer rate by sex every month to the marketing board.",)),
]


def seed_accounts(app: App) -> list[tuple[User, str]]:
    """Create the demo accounts that do not exist yet; return each with its password."""
    existing = {u.username for u in app.accounts.list_users()}
    created = []
    for account in DEMO_ACCOUNTS:
        if account.username not in existing:
            user = app.accounts.add_user(account.username, account.password, list(account.roles), actor=operator(),
                                         display_name=account.display_name,
                                         email=f"{account.username}@greenlight.example")
            created.append((user, account.password))
    return created


def seed_signoffs(app: App) -> None:
    """Apply the demo's decisions through the real sign-off service."""
    for model, number, username, role, decision, comment, conditions in DEMO_DECISIONS:
        status = app.signoffs.status(model, number)
        if status.state != State.AWAITING_SIGNOFF:
            continue
        account = next(a for a in DEMO_ACCOUNTS if a.username == username)
        reviewer = app.accounts.authenticate(username, account.password)  # signed in, as a reviewer would be
        app.signoffs.decide(model, number, reviewer=reviewer, role=role, decision=decision,
                            comment=comment, evidence=status.evidence, conditions=list(conditions),
                            acknowledgements=demo_acknowledgements(app, model, number, decision))
