"""The HTTP side of signing in: the routes that set and check the session cookie.

A Streamlit script cannot set a cookie, so signing in is an ordinary HTML form that posts to
``/signin``, served by :mod:`portal.server` beside the Streamlit app. The route checks the
password through the backend (throttled per account and per client, see
:mod:`backend.governance.sign_in`), starts a session and puts its random token in an HttpOnly,
SameSite=Lax cookie, then sends the browser back to the page it asked for. Every script run
reads that cookie (``st.context.cookies``), so a reload or a new tab stays signed in; sign-out
ends the session in the database, so the cookie stops working everywhere at once. The token is
never part of a URL.

The form is protected against cross-site requests twice: the browser's ``Origin`` (or
``Referer``) must be this portal, and the form must carry the value of the ``greenlight_csrf``
cookie, which :class:`CsrfCookie` gives every browser on its first page load (double submit).
"""

from __future__ import annotations

import hmac
import html
import secrets
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from streamlit import config

from backend.domain import User
from backend.errors import GreenlightError
from portal import data
from portal.navigation import landing_url

__all__ = ["SESSION_COOKIE", "CSRF_COOKIE", "SIGN_IN_PATH", "CsrfCookie", "routes", "sign_in_form_html",
           "safe_next", "csrf_token", "after_sign_in"]

SESSION_COOKIE = "greenlight_session"
CSRF_COOKIE = "greenlight_csrf"
SIGN_IN_PATH = "/signin"
_SCOPE_KEY = "greenlight.csrf"  # a token made for this very response, before the browser has the cookie
# HTTP status per refusal: a lock-out is "too many requests"; anything else "not authorised".
_STATUS = {"sign_in_locked": 429, "account_disabled": 403}


def safe_next(target: object) -> str:
    """Where to go after signing in: a path on this portal, never another site."""
    target = str(target or "/")
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target or parts.scheme or parts.netloc
            or any(ord(c) < 32 for c in target)):
        return "/"
    return target


def sign_in_form_html(*, csrf: str, next_path: str, username: str = "") -> str:
    """The sign-in form, the same on the portal's pages and on the ``/signin`` page.

    Every value is HTML-escaped: ``next_path`` comes from the URL and ``username`` from the form.
    """
    def esc(value: str) -> str:
        return html.escape(value, quote=True)

    field = ("display:block;width:100%;max-width:22rem;box-sizing:border-box;padding:0.5rem 0.75rem;"
             "margin:0.25rem 0 1rem;border:1px solid #c4c7cf;border-radius:0.5rem;font:inherit")
    return (
        f'<form method="post" action="{SIGN_IN_PATH}" style="margin:0.5rem 0 1rem">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="next" value="{esc(next_path)}">'
        f'<label for="greenlight-username">User name</label>'
        f'<input id="greenlight-username" name="username" autocomplete="username" required '
        f'value="{esc(username)}" style="{field}">'
        f'<label for="greenlight-password">Password</label>'
        f'<input id="greenlight-password" name="password" type="password" autocomplete="current-password" '
        f'required style="{field}">'
        f'<button type="submit" style="padding:0.5rem 1.25rem;border:none;border-radius:0.5rem;'
        f'background:#ff4b4b;color:#fff;font:inherit;cursor:pointer">Sign in</button>'
        f'</form>')


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Greenlight</title></head>
<body style="font-family:'Source Sans Pro',system-ui,sans-serif;color:#31333f;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1 style="font-size:2.2rem">Sign in to Greenlight</h1>
<p style="color:#6b6e78">Greenlight shows every machine-learning model on its way to production: what it is for,
how it was checked, and who signed it off.</p>
{problem}
{form}
</body></html>"""


def _page(request: Request, *, next_path: str, problem: str = "", username: str = "",
          status_code: int = 200) -> HTMLResponse:
    shown = (f'<p role="alert" style="background:#ffecec;color:#7d1a1a;padding:0.75rem 1rem;border-radius:0.5rem">'
             f'{html.escape(problem)}</p>') if problem else ""
    token = csrf_token(request.scope)
    fresh = not token  # a form posted without the cookie (a browser restarted since): give one now
    token = token or secrets.token_urlsafe(32)
    form = sign_in_form_html(csrf=token, next_path=next_path, username=username)
    response = HTMLResponse(_PAGE.format(problem=shown, form=form), status_code=status_code,
                            headers={"Cache-Control": "no-store"})
    if fresh:
        response.set_cookie(CSRF_COOKIE, token, path="/", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def _cookies(scope) -> dict[str, str]:
    raw = b"; ".join(value for key, value in scope.get("headers", []) if key == b"cookie")
    return cookie_parser(raw.decode("latin-1"))


def csrf_token(scope) -> str:
    """The browser's CSRF token: its cookie, or the one :class:`CsrfCookie` is setting right now."""
    return _cookies(scope).get(CSRF_COOKIE) or scope.get(_SCOPE_KEY, "")


class CsrfCookie:
    """ASGI middleware: a page load without the ``greenlight_csrf`` cookie gets one.

    Only page loads (GET requests that accept HTML) get it, so the many parallel requests
    for scripts and styles on a first visit cannot race to set different values.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["method"] != "GET" or CSRF_COOKIE in _cookies(scope)
                or b"text/html" not in dict(scope.get("headers", [])).get(b"accept", b"")):
            await self.app(scope, receive, send)
            return
        token = secrets.token_urlsafe(32)
        scope[_SCOPE_KEY] = token
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}".encode("latin-1")

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _same_origin(request: Request) -> bool:
    """Whether the form was posted from this portal (by the host the browser addressed)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None  # no header at all: old clients; the CSRF token still has to match
    return urlsplit(source).netloc == request.headers.get("host")


async def _show_sign_in(request: Request) -> Response:
    return _page(request, next_path=safe_next(request.query_params.get("next")))


async def _sign_in(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    next_path = safe_next(form.get("next"))
    expected = _cookies(request.scope).get(CSRF_COOKIE, "")
    sent = str(form.get("csrf") or "")
    if not (_same_origin(request) and expected and hmac.compare_digest(expected.encode(), sent.encode())):
        return _page(request, next_path=next_path, username=username, status_code=403,
                     problem="This sign-in form is out of date or did not come from Greenlight. Please sign in again.")
    client = request.client.host if request.client else "unknown client"
    try:
        user, token, lifetime = await run_in_threadpool(_start_session, username, str(form.get("password") or ""),
                                                        client, request.cookies.get(SESSION_COOKIE))
    except GreenlightError as exc:
        return _page(request, next_path=next_path, username=username, problem=exc.message,
                     status_code=_STATUS.get(exc.code, 401))
    response = RedirectResponse(after_sign_in(next_path, user), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=lifetime, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


def after_sign_in(next_path: str, user: User) -> str:
    """Where a person goes once signed in: the page they asked for (a deep link wins), or, when
    they asked for nothing but the portal's front page, the page for their role."""
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    root = f"/{base}/" if base else "/"
    if next_path in (root, root.rstrip("/") or "/"):
        return landing_url(user, root)
    return next_path


def _start_session(username: str, password: str, client: str, previous: str | None) -> tuple[User, str, int]:
    """The account, the new session's token and its lifetime in seconds (blocking: the database and argon2).

    A session this browser still held ends: one browser, one session, and a token a previous
    user of the browser left behind never comes back to life.
    """
    sessions = data.get_app().sessions  # the backend the scripts use too (st.cache_resource)
    user, token = sessions.start(username, password, client=client)
    sessions.end(previous)
    return user, token, int(sessions.lifetime.total_seconds())


def routes() -> list[Route]:
    """The sign-in routes to serve beside the Streamlit app."""
    return [Route(SIGN_IN_PATH, _show_sign_in, methods=["GET"]),
            Route(SIGN_IN_PATH, _sign_in, methods=["POST"])]
