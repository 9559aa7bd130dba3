"""Every page of the portal, as every demo role and as nobody, on the real demo.

The list of pages is read from the navigation, so a page added later is covered without
touching this file. Every page gets a deep link to a demo version (pages without one ignore
it); none may raise, show a traceback, or fall back to the "something went wrong" message.
"""

from __future__ import annotations

import pytest

from backend.demo import DEMO_ACCOUNTS
from portal.errors import UNEXPECTED_MESSAGE
from portal.navigation import _PAGES, ADMIN_PAGE, ONBOARDING_PAGE
from tests.portal.helpers import open_page, visible_text

PAGES = [path for path, *_ in _PAGES]
USERS = [None, *(account.username for account in DEMO_ACCOUNTS)]
DEEP_LINK = {"model": "income-propensity", "version": "2"}


def test_the_navigation_lists_the_manual_validation_pages():
    assert {"../pages/inbox.py", "../pages/signoff.py", "../pages/audit.py", ADMIN_PAGE, ONBOARDING_PAGE} <= set(PAGES)
    assert len(PAGES) == len(set(PAGES))


@pytest.mark.parametrize("user", USERS, ids=lambda u: u or "nobody")
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.rsplit("/", 1)[-1].removesuffix(".py"))
def test_page_renders_for_role(demo_settings, page, user):
    at = open_page(page, user=user, **DEEP_LINK)
    assert not at.exception, [e.value for e in at.exception]
    text = visible_text(at, "text", "exception", labels=False)
    assert "Traceback" not in text and 'File "' not in text
    assert UNEXPECTED_MESSAGE not in [e.value for e in at.error]
    titles = [t.value for t in at.title]
    if user is None:
        assert titles == ["Sign in to Greenlight"], "nobody signed in sees only the sign-in form"
        assert not at.dataframe
    else:
        assert titles and titles != ["Sign in to Greenlight"]


@pytest.mark.parametrize("user", [a.username for a in DEMO_ACCOUNTS if "admin" not in a.roles])
def test_admin_page_refuses_everyone_but_admins(demo_settings, user):
    at = open_page(ADMIN_PAGE, user=user)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Only administrators can manage accounts and the sign-off "
                                                     f"policy. You are signed in as {user} (")
    assert not at.text_input and not at.multiselect and not at.number_input
    assert [b.label for b in at.button] == ["Sign out"], "no admin action is offered"


def test_admin_page_opens_for_the_admin(demo_settings):
    at = open_page(ADMIN_PAGE, user="ada")
    assert not at.error
    assert [h.value for h in at.header] == ["Accounts", "Sign-off policy"]


def test_the_menu_bar_keeps_every_page_one_click_away():
    """Five everyday pages in the bar, the rest in three drop-down groups: nothing falls into an
    overflow menu on a laptop's screen, and every page belongs to exactly one place."""
    from portal.navigation import _SECTIONS, ONBOARDING_PAGE

    in_bar = [path for path in PAGES if path not in _SECTIONS]
    assert set(_SECTIONS) <= set(PAGES)
    assert len(in_bar) + len(set(_SECTIONS.values())) <= 8
    assert _SECTIONS[ONBOARDING_PAGE] == "Learn"
