"""The portal's pages, and which of them each person sees in the menu.

Paths are relative to the entry point ``portal/app.py``; ``st.Page`` and ``st.page_link``
both resolve them against its folder. A page missing from someone's menu still refuses
them by itself (and the backend refuses the action): the menu is a courtesy.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.domain import User
from backend.governance.permissions import BUILTIN_ROLES, is_reviewer

OVERVIEW_PAGE = "../pages/overview.py"
MODEL_PAGE = "../pages/model.py"
INBOX_PAGE = "../pages/inbox.py"
SIGNOFF_PAGE = "../pages/signoff.py"
AUDIT_PAGE = "../pages/audit.py"
ADMIN_PAGE = "../pages/admin.py"
REPORTS_PAGE = "../pages/reports.py"
DEPLOYMENTS_PAGE = "../pages/deployments.py"
MONITORING_PAGE = "../pages/monitoring.py"
PRODUCTION_PATH_PAGE = "../pages/production_path.py"
GLOSSARY_PAGE = "../pages/glossary.py"
COMPARE_PAGE = "../pages/compare.py"
ONBOARDING_PAGE = "../pages/onboarding.py"


def _is_admin(user: User) -> bool:
    return user.has_role("admin")


# (path, title, icon, shown to: None = everyone signed in, else those for whom it is true)
_PAGES: list[tuple[str, str, str, Callable[[User], bool] | None]] = [
    (OVERVIEW_PAGE, "Portfolio", ":material/dashboard:", None),
    (MODEL_PAGE, "Model details", ":material/timeline:", None),
    (REPORTS_PAGE, "Reports", ":material/balance:", None),
    (MONITORING_PAGE, "Monitoring", ":material/monitor_heart:", None),
    (COMPARE_PAGE, "Compare versions", ":material/compare_arrows:", None),
    # Any reviewer role counts, including ones only a policy names (say model_risk).
    (INBOX_PAGE, "Waiting for me", ":material/inbox:", is_reviewer),
    (SIGNOFF_PAGE, "Sign-off packet", ":material/approval:", None),
    (DEPLOYMENTS_PAGE, "Deployments", ":material/rocket_launch:", None),
    (ONBOARDING_PAGE, "Get started", ":material/flag:", None),
    (PRODUCTION_PATH_PAGE, "What production means", ":material/route:", None),
    (GLOSSARY_PAGE, "Glossary", ":material/menu_book:", None),
    (AUDIT_PAGE, "Audit log", ":material/history:", None),
    (ADMIN_PAGE, "Administration", ":material/admin_panel_settings:", _is_admin),
]


#: The menu's groups: the everyday pages sit in the bar itself (""), the rest in drop-down menus,
#: so that every page stays one click away on a laptop's screen instead of under "3 more".
_SECTIONS = {
    COMPARE_PAGE: "Decide", INBOX_PAGE: "Decide", SIGNOFF_PAGE: "Decide",
    ONBOARDING_PAGE: "Learn", PRODUCTION_PATH_PAGE: "Learn", GLOSSARY_PAGE: "Learn",
    AUDIT_PAGE: "Records", ADMIN_PAGE: "Records",
}


def pages_for(user: User | None) -> dict[str, list]:
    """Every page by menu group (hidden ones included, so deep links resolve); the menu shows what
    ``user`` may use."""
    groups: dict[str, list] = {}
    for i, (path, title, icon, shown_to) in enumerate(_PAGES):
        visible = user is not None and (shown_to is None or shown_to(user))
        groups.setdefault(_SECTIONS.get(path, ""), []).append(
            st.Page(path, title=title, icon=icon, default=i == 0, visibility="visible" if visible else "hidden"))
    return groups


def landing_page(user: User) -> str:
    """The page ``user`` lands on after signing in without a deep link, by role.

    Reviewers (risk, compliance and any reviewer role a policy names) have work waiting in their
    inbox; data scientists start from the walkthrough; business leaders (business owners,
    viewers) and everyone else from the portfolio overview.
    """
    if any(role not in ("business_owner", *BUILTIN_ROLES) for role in user.roles):
        return INBOX_PAGE
    if user.has_role("data_scientist"):
        return ONBOARDING_PAGE
    return OVERVIEW_PAGE


def landing_url(user: User, root: str = "/") -> str:
    """The address of :func:`landing_page` under the portal's ``root`` (the overview is the root itself)."""
    page = landing_page(user)
    root = root if root.endswith("/") else root + "/"
    return root if page == OVERVIEW_PAGE else root + page.rsplit("/", 1)[-1].removesuffix(".py")
