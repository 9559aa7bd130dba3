"""The ``/signin`` route over HTTP: the session cookie it sets, its CSRF checks, and the throttle
per account and per client as a browser meets them."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from backend.governance.sign_in import ACCOUNT_LIMIT, CLIENT_LIMIT
from portal.sign_in_routes import CSRF_COOKIE, SESSION_COOKIE, CsrfCookie, routes, safe_next
from tests.factories import add_user

PASSWORD = "correct horse battery"
HOME = "http://testserver"


def browser(address: str = "203.0.113.7") -> TestClient:
    """A browser at ``address`` that has loaded the sign-in page (and so holds its CSRF cookie)."""
    client = TestClient(Starlette(routes=routes(), middleware=[Middleware(CsrfCookie)]), base_url=HOME,
                        client=(address, 50000), follow_redirects=False)
    assert client.get("/signin", headers={"accept": "text/html"}).status_code == 200
    return client


def sign_in(client: TestClient, username: str, password: str, *, next_path: str = "/", **extra):
    form = {"username": username, "password": password, "next": next_path,
            "csrf": client.cookies.get(CSRF_COOKIE), **extra}
    return client.post("/signin", data=form, headers={"origin": HOME})


def problem(response) -> str:
    return re.search(r'<p role="alert"[^>]*>(.*?)</p>', response.text).group(1)


@pytest.fixture
def bea(registry_env):
    add_user(registry_env, "bea", "business_owner")
    return registry_env


def test_the_right_password_sets_an_http_only_session_cookie_and_goes_back_to_the_page(bea):
    client = browser()
    response = sign_in(client, "bea", PASSWORD, next_path="/model?model=credit-risk&version=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/model?model=credit-risk&version=2"
    [set_cookie] = [h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)]
    attributes = set_cookie.lower()
    for attribute in ("httponly", "samesite=lax", "path=/", "max-age=43200"):
        assert attribute in attributes
    token = SimpleCookie(set_cookie)[SESSION_COOKIE].value
    assert token not in response.headers["location"]
    assert bea.sessions.resolve(token).username == "bea"
    [started] = bea.registry.audit_log(action_prefix="session.started")
    assert started.actor == "bea" and started.detail["client"] == "203.0.113.7"


def test_the_first_page_load_gets_the_csrf_cookie_and_the_form_carries_it(registry_env):
    client = browser()
    token = client.cookies.get(CSRF_COOKIE)
    assert token and len(token) >= 40
    page = client.get("/signin?next=/reports", headers={"accept": "text/html"}).text
    assert f'name="csrf" value="{token}"' in page and 'name="next" value="/reports"' in page
    # Scripts and styles do not get one: a first visit loads many at once, and they would race.
    asset = Route("/static/app.js", lambda request: PlainTextResponse("// a script"))
    fresh = TestClient(Starlette(routes=[asset], middleware=[Middleware(CsrfCookie)]), base_url=HOME)
    assert CSRF_COOKIE not in fresh.get("/static/app.js", headers={"accept": "*/*"}).cookies
    assert CSRF_COOKIE in fresh.get("/static/app.js", headers={"accept": "text/html"}).cookies


@pytest.mark.parametrize("forgery", ["no token", "wrong token", "other site", "null origin"])
def test_a_forged_sign_in_is_refused_and_starts_no_session(bea, forgery):
    client = browser()
    form = {"username": "bea", "password": PASSWORD, "next": "/",
            "csrf": {"no token": "", "wrong token": "x" * 43}.get(forgery, client.cookies.get(CSRF_COOKIE))}
    origin = {"other site": "https://evil.example", "null origin": "null"}.get(forgery, HOME)
    response = client.post("/signin", data=form, headers={"origin": origin})
    assert response.status_code == 403
    assert "did not come from Greenlight" in problem(response)
    assert SESSION_COOKIE not in response.cookies
    assert not bea.registry.audit_log(action_prefix="session.")


@pytest.mark.parametrize("target", ["https://evil.example/login", "//evil.example/login", "/\\evil.example",
                                    "javascript:alert(1)", "model", "/\n/evil.example"])
def test_after_signing_in_the_browser_never_leaves_the_portal(bea, target):
    assert safe_next(target) == "/"
    response = sign_in(browser(), "bea", PASSWORD, next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again_with_the_name_as_text(registry_env):
    response = sign_in(browser(), '<img src=x onerror="alert(1)">', "not the password")
    assert response.status_code == 401
    assert problem(response) == "Wrong user name or password."
    assert "<img" not in response.text and 'value="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"' in response.text
    assert SESSION_COOKIE not in response.cookies


def test_the_account_throttle_refuses_even_the_right_password(bea):
    client = browser()
    for _ in range(ACCOUNT_LIMIT):
        response = sign_in(client, "bea", "not the password")
    assert response.status_code == 429
    response = sign_in(client, "bea", PASSWORD)
    assert response.status_code == 429
    assert re.fullmatch(r"Too many failed sign-ins for this account\. Try again after \d\d:\d\d:\d\d UTC "
                        r"\(in 15 minutes\)\.", problem(response))
    assert SESSION_COOKIE not in response.cookies
    # From another address too: the account is what is locked.
    assert sign_in(browser("198.51.100.4"), "bea", PASSWORD).status_code == 429


def test_the_client_throttle_refuses_one_address_and_not_another(bea):
    guesser = browser("203.0.113.7")
    for i in range(CLIENT_LIMIT):
        sign_in(guesser, f"name-{i}", "a guess")
    response = sign_in(guesser, "bea", PASSWORD)
    assert response.status_code == 429 and "from this client" in problem(response)
    assert sign_in(browser("198.51.100.4"), "bea", PASSWORD).status_code == 303
    failed = bea.registry.audit_log(action_prefix="sign_in.failed")
    assert len(failed) == CLIENT_LIMIT and {e.detail["client"] for e in failed} == {"203.0.113.7"}
    [locked] = bea.registry.audit_log(action_prefix="sign_in.locked_out")
    assert locked.detail["scope"] == "client"


def test_signing_in_again_ends_the_session_the_browser_held(bea):
    from tests.factories import add_user

    add_user(bea, "rick", "risk")
    client = browser()
    sign_in(client, "bea", PASSWORD)
    first = client.cookies.get(SESSION_COOKIE)
    assert bea.sessions.resolve(first).username == "bea"
    assert sign_in(client, "rick", PASSWORD).status_code == 303
    assert bea.sessions.resolve(first) is None
    assert bea.sessions.resolve(client.cookies.get(SESSION_COOKIE)).username == "rick"


def test_a_form_posted_without_its_cookie_is_refused_and_the_next_one_works(bea):
    """A browser restarted since the page was loaded has lost the CSRF cookie: it gets a new one."""
    client = browser()
    client.cookies.clear()
    response = sign_in(client, "bea", PASSWORD, csrf="é" * 43)  # not even ASCII: refused, not a crash
    assert response.status_code == 403 and CSRF_COOKIE in response.cookies
    token = re.search(r'name="csrf" value="([^"]+)"', response.text).group(1)
    assert token == response.cookies[CSRF_COOKIE]
    assert sign_in(client, "bea", PASSWORD).status_code == 303
