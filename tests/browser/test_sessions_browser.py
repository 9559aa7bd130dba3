"""Signing in and out in a real browser, and user text that must stay text.

The portal runs with ``streamlit run portal/server.py`` (the Streamlit app beside the ``/signin``
route) on a registry of this module's own: the accounts, and a model whose every field holds
text that would turn into a link, bold or HTML if it were not escaped.
"""

from __future__ import annotations

import re
from contextlib import closing

import pytest

from tests.browser.portal_server import (
    BROWSER_MARKS,
    chromium_browser,
    expect,
    new_page,
    settled,
    sign_in,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def portal_env(tmp_path_factory) -> dict[str, str]:
    from backend.app import App
    from backend.config import Settings
    from tests.factories import hostile_registry

    env = {"GREENLIGHT_HOME": str(tmp_path_factory.mktemp("sessions-browser") / "home")}
    with closing(App.open(Settings.from_env(env))) as app:
        hostile_registry(app, password=lambda username: f"{username}-demo-password")
    return env


@pytest.fixture
def browser(chromium, portal_url):
    with chromium_browser(chromium) as browser:
        yield browser


def signed_in(page) -> None:
    """Wait for the portfolio of someone signed in (the menu's Sign out button is theirs only)."""
    page.get_by_role("button", name="Sign out").wait_for()
    settled(page)
    expect(page.get_by_text("Sign in to Greenlight")).to_have_count(0)


def test_a_sign_in_survives_a_reload_and_a_new_tab_opens_a_deep_link_signed_in(browser, portal_url):
    page = new_page(browser)
    page.goto(portal_url)
    sign_in(page, "rick")
    page.get_by_text("Every version waiting for reviewers").wait_for()  # a reviewer lands on the inbox
    signed_in(page)
    assert page.url.endswith("/inbox")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "greenlight_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["value"] not in page.url

    page.reload()
    page.get_by_text("Every version waiting for reviewers").wait_for()
    signed_in(page)

    tab = page.context.new_page()  # same browser, so same cookies
    tab.goto(f"{portal_url}/signoff?model=hostile&version=1")
    tab.get_by_text("Sign-off packet").first.wait_for()
    signed_in(tab)
    expect(tab.get_by_role("combobox", name="Version")).to_have_value(re.compile(r"^Version 1 — "))
    assert "greenlight_session" not in tab.url and cookie["value"] not in tab.url


def test_a_deep_link_survives_signing_in(browser, portal_url):
    page = new_page(browser)
    page.goto(f"{portal_url}/model?model=hostile&version=2")
    sign_in(page, "vic")
    page.get_by_text("Why version 2 stopped").wait_for()
    signed_in(page)
    assert page.url.endswith("/model?model=hostile&version=2")


def test_sign_out_ends_the_session_and_the_old_cookie_no_longer_works(browser, portal_url):
    page = new_page(browser)
    page.goto(portal_url)
    sign_in(page, "bea")
    signed_in(page)
    old_cookies = page.context.cookies()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    expect(page.get_by_text("Sign in to Greenlight")).to_be_visible()

    # Someone who kept a copy of the cookie, in another browser: it signs nobody in.
    thief = new_page(browser)
    thief.context.add_cookies(old_cookies)
    thief.goto(f"{portal_url}/signoff?model=hostile&version=1")
    thief.get_by_text("Your session has ended (it expired or was signed out).").wait_for()
    expect(thief.get_by_text("Sign in to Greenlight")).to_be_visible()
    expect(thief.get_by_role("button", name="Sign out")).to_have_count(0)


def test_wrong_passwords_are_throttled_and_then_even_the_right_one_waits(browser, portal_url):
    page = new_page(browser)
    page.goto(portal_url)
    page.get_by_text("Sign in to Greenlight").wait_for()
    for attempt in range(5):
        page.get_by_role("textbox", name="User name").fill("dana")
        page.get_by_role("textbox", name="Password").fill(f"wrong guess {attempt}")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("alert").wait_for()
    expect(page.get_by_role("alert")).to_have_text(re.compile(
        r"Too many failed sign-ins for this account\. Try again after \d\d:\d\d:\d\d UTC \(in 15 minutes\)\."))

    page.get_by_role("textbox", name="Password").fill("dana-demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Too many failed sign-ins for this account\."))
    assert not [c for c in page.context.cookies() if c["name"] == "greenlight_session"]


# Each page with the text of its last element: the check waits for it, so that it reads the whole
# page (a finished script state can still be the sign-in page's run, or the page may be half drawn).
@pytest.mark.parametrize(("path", "last"), [
    ("", "Latest pipeline run"),
    ("/model?model=hostile&version=2", "No files stored for this version yet"),
    ("/reports?model=hostile&version=2", "has no fairness or explainability reports"),
    ("/signoff?model=hostile&version=1", "Every stage's evidence and the lineage of this version"),
    ("/inbox", "Every version waiting for reviewers"),
])
def test_user_text_never_becomes_a_link_or_bold_in_the_page(browser, portal_url, path, last):
    from tests.factories import HOSTILE_TEXT

    page = new_page(browser)
    page.goto(f"{portal_url}{path}")
    sign_in(page, "rick" if path else "bea")  # the front page lands a reviewer on the inbox, a business owner stays
    signed_in(page)
    main = page.locator("[data-testid=stMain]")
    main.get_by_text(last).first.wait_for()
    expect(main).to_contain_text("phish")  # the text content, table cells included
    settled(page)
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator("a[href^='mailto:']").count() == 0
    assert not [t for t in page.locator("strong, b").all_inner_texts() if t.strip() in ("bold", "b")]
    assert HOSTILE_TEXT in main.text_content().replace("\u2060", "")  # shown, as typed
