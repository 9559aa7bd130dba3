"""A team's progress through the walkthrough, read from what the registry shows.

A team is the ``owner`` its models' specs name (``[model].owner``): the models a team owns are
the ones it walks to production, whoever of its data scientists ran them. Each step is done by a
fact in the registry, never by a tick box, so a step cannot read "done" while the evidence under
it says otherwise.
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.deployment_tables import CanaryRow
from backend.db.monitoring_tables import MonitoringPeriodRow
from backend.db.tables import ArtifactRow, ModelRow, OrgPolicyRow, StageRunRow, UserRow, VersionRow
from backend.domain import OnboardingStep, TeamProgress, User
from backend.governance.policy import RISK_TIERS, SIGNOFF_ROLES_BY_TIER
from backend.registry.states import State

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["team_progress", "onboarding_teams", "STEP_TITLES"]

#: The walkthrough's steps, in order: (key, title).
STEP_TITLES: tuple[tuple[str, str], ...] = (
    ("roles", "What your team gets, and who does what"),
    ("spec", "Write your spec"),
    ("pipeline", "Run the pipeline"),
    ("reports", "Read your reports"),
    ("signoff", "Request sign-off"),
    ("canary", "Start a canary"),
    ("monitoring", "Set up monitoring"),
)
_REPORT_KINDS = ("fairness_report", "explainability_report")
_LAST_AUTOMATED_STAGE = "test_validation"
#: States only a version that passed every automated stage reaches.
_PAST_VALIDATION = {State.VALIDATED, State.AWAITING_SIGNOFF, State.APPROVED, State.CANARY, State.PRODUCTION,
                    State.RETIRED, State.REJECTED, State.ROLLED_BACK}


def onboarding_teams(app: App, user: User) -> tuple[list[str], str | None]:
    """Every team the registry knows (the owners its models name), and ``user``'s own team.

    ``user``'s team is the owner of the model whose newest version they authored; None when
    they have not run the pipeline yet (a new team: its name is the owner its first spec names).
    """
    with app.db.read() as session:
        teams = sorted(session.execute(select(ModelRow.owner).distinct()).scalars(), key=str.casefold)
        own = session.execute(
            select(ModelRow.owner).join(VersionRow, VersionRow.model_id == ModelRow.id)
            .where(VersionRow.author == user.username).order_by(VersionRow.created_at.desc(), VersionRow.id.desc())
            .limit(1)).scalar_one_or_none()
    return teams, own


def team_progress(app: App, team: str | None) -> TeamProgress:
    """Each step of the walkthrough for ``team`` (None: a team with no model yet), from the registry.

    Parameters
    ----------
    app : App
    team : str or None
        The owner the team's specs name.

    Returns
    -------
    TeamProgress
        The seven steps, each done or not with the registry's evidence in words.
    """
    with app.db.read() as session:
        models = (list(session.execute(select(ModelRow).where(ModelRow.owner == team).order_by(ModelRow.name))
                       .scalars()) if team else [])
        model_ids = [m.id for m in models]
        names = {m.id: m.name for m in models}
        versions = (list(session.execute(select(VersionRow).where(VersionRow.model_id.in_(model_ids))
                                         .order_by(VersionRow.created_at.desc(), VersionRow.id.desc())).scalars())
                    if model_ids else [])
        steps = [
            _roles_step(session, models),
            _spec_step(versions, names),
            _pipeline_step(session, versions, names),
            _reports_step(session, versions, names),
            _signoff_step(versions, names),
            _canary_step(session, model_ids, names),
            _monitoring_step(session, model_ids, names),
        ]
    return TeamProgress(team=team or "", models=tuple(m.name for m in models), steps=tuple(steps))


def _step(key: str, done: bool, evidence: str, model: str | None = None, version: int | None = None) -> OnboardingStep:
    number, title = next((i, t) for i, (k, t) in enumerate(STEP_TITLES, start=1) if k == key)
    return OnboardingStep(key=key, number=number, title=title, done=done, evidence=evidence, model=model,
                          version=version)


def _org_roles_by_tier(session: Session) -> dict[str, list[str]]:
    row = session.execute(select(OrgPolicyRow).order_by(OrgPolicyRow.id.desc()).limit(1)).scalar_one_or_none()
    doc: dict[str, Any] = deepcopy(row.doc) if row else {}
    return doc.get("signoff_roles_by_tier") or deepcopy(SIGNOFF_ROLES_BY_TIER)


def _roles_step(session: Session, models: list[ModelRow]) -> OnboardingStep:
    """Done when someone can run the pipeline and someone holds every role the policy asks to sign."""
    by_tier = _org_roles_by_tier(session)
    tiers = sorted({m.risk_tier for m in models}, key=RISK_TIERS.index) if models else list(RISK_TIERS)
    needed = list(dict.fromkeys(role for tier in tiers for role in by_tier.get(tier, [])))
    holders: dict[str, list[str]] = {}
    for user in session.execute(select(UserRow).where(UserRow.disabled.is_(False)).order_by(UserRow.username)).scalars():
        for role in user.roles or []:
            holders.setdefault(role, []).append(user.username)
    missing = [role for role in ["data_scientist", *needed] if not holders.get(role)]
    scope = (f"the {', '.join(tiers)} risk tier{'s' if len(tiers) > 1 else ''} of your models" if models
             else "every risk tier (your team has no model registered yet)")
    if missing:
        return _step("roles", False, f"Sign-off for {scope} needs {', '.join(_words(r) for r in needed)}. No enabled "
                                     f"account holds {', '.join(_words(r) for r in missing)} yet: ask an administrator.")
    held = "; ".join(f"{_words(r)}: {', '.join(holders[r])}" for r in ["data_scientist", *needed])
    return _step("roles", True, f"Everyone is in place for {scope}. {held}.")


def _words(role: str) -> str:
    return role.replace("_", " ")


def _spec_step(versions: list[VersionRow], names: dict[int, str]) -> OnboardingStep:
    if not versions:
        return _step("spec", False, "No version of your team's models has been registered yet: a spec the validator "
                                    "accepts registers one when the pipeline runs.")
    first = versions[-1]
    return _step("spec", True, f"The registry accepted your team's spec: {names[first.model_id]} version "
                               f"{first.number} was registered by {first.author} on {first.created_at:%d %b %Y}.",
                 names[first.model_id], first.number)


def _pipeline_step(session: Session, versions: list[VersionRow], names: dict[int, str]) -> OnboardingStep:
    if not versions:
        return _step("pipeline", False, "The pipeline has not run for your team yet.")
    ids = [v.id for v in versions]
    passed = set(session.execute(select(StageRunRow.version_id).where(
        StageRunRow.version_id.in_(ids), StageRunRow.stage == _LAST_AUTOMATED_STAGE,
        StageRunRow.status == "passed")).scalars())
    through = [v for v in versions if v.id in passed or v.state in _PAST_VALIDATION]
    if through:
        v = through[0]
        return _step("pipeline", True, f"{names[v.model_id]} version {v.number} passed every automated stage "
                                       f"({len(through)} of {len(versions)} version{'s' if len(versions) > 1 else ''} "
                                       "did).", names[v.model_id], v.number)
    newest = versions[0]
    if newest.state == "failed":
        evidence = (f"{names[newest.model_id]} version {newest.number} stopped: {newest.failure_reason or 'a stage failed'}."
                    " Fix what it names and run the pipeline again.")
    else:
        evidence = f"{names[newest.model_id]} version {newest.number} is on its way through the pipeline ({newest.state})."
    return _step("pipeline", False, evidence, names[newest.model_id], newest.number)


def _reports_step(session: Session, versions: list[VersionRow], names: dict[int, str]) -> OnboardingStep:
    if versions:
        rows = session.execute(select(ArtifactRow.version_id, ArtifactRow.kind).where(
            ArtifactRow.version_id.in_([v.id for v in versions]), ArtifactRow.kind.in_(_REPORT_KINDS))).all()
        kinds: dict[int, set[str]] = {}
        for version_id, kind in rows:
            kinds.setdefault(version_id, set()).add(kind)
        for v in versions:
            if v.id in kinds:
                written = " and ".join(k.replace("_", " ") for k in _REPORT_KINDS if k in kinds[v.id])
                return _step("reports", True, f"{names[v.model_id]} version {v.number} has its {written}.",
                             names[v.model_id], v.number)
    return _step("reports", False, "No fairness or explainability report yet: the pipeline's reports stage writes them.")


def _signoff_step(versions: list[VersionRow], names: dict[int, str]) -> OnboardingStep:
    requested = [v for v in versions if v.review_requested_at is not None]
    if not requested:
        return _step("signoff", False, "No sign-off requested yet: a version that passes every automated stage asks "
                                       "for it by itself.")
    v = max(requested, key=lambda r: r.review_requested_at)
    state = v.state.replace("_", " ").replace("signoff", "sign-off")
    return _step("signoff", True, f"Sign-off was requested for {names[v.model_id]} version {v.number} on "
                                  f"{v.review_requested_at:%d %b %Y}; it is now {state}.", names[v.model_id], v.number)


def _canary_step(session: Session, model_ids: list[int], names: dict[int, str]) -> OnboardingStep:
    canary = (session.execute(select(CanaryRow).where(CanaryRow.model_id.in_(model_ids))
                              .order_by(CanaryRow.started_at.desc(), CanaryRow.id.desc()).limit(1)).scalar_one_or_none()
              if model_ids else None)
    if canary is None:
        return _step("canary", False, "No canary yet: once a version is approved, a data scientist starts one on the "
                                      "Deployments page.")
    number = session.get(VersionRow, canary.version_id).number
    outcome = {"promoted": "it was promoted to production", "rolled_back": "it was rolled back"}.get(
        canary.outcome or "", "it is running")
    return _step("canary", True, f"{names[canary.model_id]} version {number} started as a canary on "
                                 f"{canary.started_at:%d %b %Y} ({canary.traffic_percent:g}% of live traffic); "
                                 f"{outcome}.", names[canary.model_id], number)


def _monitoring_step(session: Session, model_ids: list[int], names: dict[int, str]) -> OnboardingStep:
    if model_ids:
        row = session.execute(
            select(MonitoringPeriodRow.model_id, func.count(), func.max(MonitoringPeriodRow.end))
            .where(MonitoringPeriodRow.model_id.in_(model_ids)).group_by(MonitoringPeriodRow.model_id)
            .order_by(func.count().desc()).limit(1)).first()
        if row is not None:
            model_id, periods, latest = row
            return _step("monitoring", True, f"The monitoring job has judged {periods} period{'s' if periods > 1 else ''} "
                                             f"of {names[model_id]}, up to {latest:%d %b %Y}.", names[model_id])
    return _step("monitoring", False, "The monitoring job has not judged any of your team's models yet: schedule "
                                      "`greenlight monitor run` once a version takes live traffic.")
