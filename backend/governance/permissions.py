"""Who may do what. Checked in the backend for every action; the portal only hides buttons
the backend would refuse anyway.

Permissions come in pairs: :func:`can` answers, :func:`require` refuses with a reason.
"""

from __future__ import annotations

import re

from backend.domain import User
from backend.errors import PermissionDenied

__all__ = ["can", "require", "is_reviewer", "BUILTIN_ROLES", "REVIEWER_ROLES", "ROLE_EXPLANATIONS", "check_role_name",
           "check_reviewer_role", "ACTIONS"]

#: Roles that mean something to Greenlight itself.
BUILTIN_ROLES = ("viewer", "data_scientist", "admin")
#: Reviewer roles a policy names by default; a policy may name others.
REVIEWER_ROLES = ("business_owner", "risk", "compliance")

ROLE_EXPLANATIONS = {
    "viewer": "Sees every model, version and report; changes nothing.",
    "data_scientist": "Runs the pipeline and deploys approved versions; cannot sign off a version they wrote.",
    "admin": "Manages accounts, roles, API tokens and the organisation's policy; grants policy exceptions and "
             "deployment overrides, in writing.",
    "business_owner": "Signs off that the model serves its business purpose.",
    "risk": "Signs off that the model's risks are understood and acceptable.",
    "compliance": "Signs off that the model meets legal and regulatory duties.",
}

_ROLE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

#: action → roles allowed; each is checked by the backend service that performs it (sign-off
#: is special: see ``_reason``). Reading needs only a signed-in, enabled account.
ACTIONS = {
    "run_pipeline": {"data_scientist"},  # Registry.create_version
    "deploy": {"data_scientist", "admin"},  # the registry's guarded moves to canary and production
    "override_deployment": {"admin"},  # production without a canary verdict, with a written reason
    "manage_users": {"admin"},  # Accounts and Tokens
    "manage_policy": {"admin"},  # OrgPolicy, policy exceptions
    # The audit pack leaves Greenlight as one file for auditors and regulators: exported by those who
    # answer for the decisions in it (admins, and reviewers: any role beyond the built-in ones), not
    # by viewers or by the data scientists whose work it documents. See ``_reason``.
    "export_audit_pack": None,
}


def check_role_name(role: str) -> str:
    if not _ROLE_RE.match(role or ""):
        raise PermissionDenied(f"'{role}' is not a valid role name: use lowercase words joined by '_'.",
                               code="invalid_role")
    return role


def check_reviewer_role(role: str) -> str:
    """A role that may sign off: a valid name that is not one of Greenlight's built-in roles."""
    check_role_name(role)
    if role in BUILTIN_ROLES:
        raise PermissionDenied(f"'{role}' is not a reviewer role: viewer, data_scientist and admin cannot be asked "
                               "to sign off.", code="not_a_reviewer_role")
    return role


def _reason(user: User | None, action: str, *, role: str | None = None, author: str | None = None,
            required_roles: tuple[str, ...] | list[str] | None = None) -> str | None:
    """None when allowed, else why not, in words the person can act on."""
    if user is None:
        return "Please sign in first."
    if user.disabled:
        return f"The account '{user.username}' is disabled."
    if action == "signoff":
        if role is None:
            return "A sign-off must say in which role it is given."
        if not user.has_role(role):
            return f"{user.username} does not hold the role '{role}', so cannot sign off in it."
        if required_roles is not None and role not in required_roles:
            return f"The policy for this version does not ask for a sign-off by '{role}' (it asks for: " \
                   f"{', '.join(required_roles)})."
        if author is not None and user.username == author:
            return f"{user.username} is the author of this version and cannot sign it off (four-eyes rule)."
        return None
    if action == "export_audit_pack":
        if "admin" in user.roles or is_reviewer(user):
            return None
        return (f"{user.username} may not export an audit pack: that needs the 'admin' role or a reviewer role "
                "(such as 'compliance' or 'risk').")
    if action not in ACTIONS:
        return f"Unknown action '{action}'."
    allowed = ACTIONS[action]
    if allowed is not None and not allowed.intersection(user.roles):
        needed = " or ".join(f"'{r}'" for r in sorted(allowed))
        return f"{user.username} may not {action.replace('_', ' ')}: that needs the {needed} role."
    return None


def is_reviewer(user: User) -> bool:
    """Whether ``user`` holds any role beyond the built-in ones, i.e. one a policy can ask to sign."""
    return any(role not in BUILTIN_ROLES for role in user.roles)


def can(user: User | None, action: str, **context) -> bool:
    """Whether ``user`` may do ``action`` (``signoff`` takes role=, author=, required_roles=)."""
    return _reason(user, action, **context) is None


def require(user: User | None, action: str, **context) -> None:
    """Raise :class:`PermissionDenied` with the reason unless ``user`` may do ``action``."""
    reason = _reason(user, action, **context)
    if reason is not None:
        raise PermissionDenied(reason)
