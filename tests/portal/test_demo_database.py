"""The public demo's database says so on every page; a real database never does."""

from __future__ import annotations

import re

from tests.portal.helpers import ROOT, open_page, visible_text

PAGES = [None, "../pages/model.py", "../pages/reports.py", "../pages/audit.py"]


def test_every_page_of_the_demo_database_says_so(demo_settings):
    for page in PAGES:
        at = open_page(page, user="vic")
        assert "Demo database" in visible_text(at), page
    at = open_page(None, user=None)  # the sign-in form too: the published passwords work here
    assert "Demo database" in visible_text(at)


def test_a_real_database_shows_no_demo_banner(registry_env):
    at = open_page(None, user="vic")
    assert "Demo database" not in visible_text(at)


def test_the_banner_shows_the_build_progress(registry_env):
    registry_env.registry.set_fact("demo", {"state": "building", "done": 3, "total": 6}, actor="test")
    at = open_page(None, user="vic")
    assert "Building the demo: 3 of 6 versions so far" in visible_text(at)


def test_the_page_icon_is_served_from_the_portal_itself():
    source = (ROOT / "portal" / "app.py").read_text()
    call = re.search(r"st\.set_page_config\((.*?)\)\n", source, re.S).group(1)
    assert "http" not in call and ":material/" not in call and "greenlight.png" in call
    assert (ROOT / "portal" / "assets" / "greenlight.png").read_bytes().startswith(b"\x89PNG")


def test_make_run_listens_on_loopback_unless_told_otherwise():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^HOST\s+\?= 127\.0\.0\.1$", makefile, re.M)
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "--server.address $(HOST)" in run and "--server.port $(PORT)" in run
    readme = (ROOT / "README.md").read_text()
    assert "HOST=" in readme and "PORT=" in readme


def test_every_page_works_while_the_demo_is_still_being_built(registry_env):
    """Half way through the build: one version waits for sign-off, the next is in its build stage,
    and every page, as every kind of user, shows what there is without an error."""
    from backend.demo import DEMO_ACCOUNTS
    from portal.errors import UNEXPECTED_MESSAGE
    from portal.navigation import _PAGES
    from tests.factories import add_user, new_version, validated_version

    app = registry_env
    for account in DEMO_ACCOUNTS:
        if account.username != "vic":
            add_user(app, account.username, *account.roles)
    app.registry.set_fact("demo", {"state": "building", "done": 1, "total": 6}, actor="demo")
    validated_version(app, "credit-risk")
    app.signoffs.request("credit-risk", 1, actor="pipeline")
    building = new_version(app, "credit-risk")
    app.registry.start_stage("credit-risk", building, "build")

    for page, *_ in _PAGES:
        for account in DEMO_ACCOUNTS:
            at = open_page(page, user=account.username, model="credit-risk", version=str(building))
            assert not at.exception, (page, account.username, [e.value for e in at.exception])
            assert UNEXPECTED_MESSAGE not in [e.value for e in at.error], (page, account.username)
            assert "Building the demo: 1 of 6 versions so far" in visible_text(at), (page, account.username)
