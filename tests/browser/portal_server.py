"""What the browser tests share: the portal served by ``streamlit run`` on a loopback port,
Debian's Chromium driven by Playwright, and the steps every test takes on a page.

Streamlit renders over a websocket after the page loads, so every step waits for the page's
own text before it acts or asserts. Playwright is imported only where it is used, so that a
machine without it still collects (and skips) the browser tests.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_BROWSER = os.environ.get("GREENLIGHT_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 60
WAIT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1000}

CHROMIUM = shutil.which("chromium")
MISSING = ("Chromium is not installed (apt-get install -y chromium)" if CHROMIUM is None else
           "the playwright package is not installed" if importlib.util.find_spec("playwright") is None else None)

# Each browser test module sets ``pytestmark = BROWSER_MARKS``: skipped at collection, so that a
# machine without a browser does not seed the demo for nothing (GREENLIGHT_REQUIRE_BROWSER=1 turns
# the skip into a failure, in the ``chromium`` fixture).
BROWSER_MARKS = [pytest.mark.browser,
                 pytest.mark.skipif(MISSING is not None and not REQUIRE_BROWSER, reason=str(MISSING))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the portal did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop streamlit and everything it started (it leads its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def serve_portal(greenlight_env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve the portal with ``streamlit run`` on a free loopback port; yield its URL.

    The portal sees only the ``GREENLIGHT_*`` variables given here, and writes its output to
    ``log`` (quoted when it fails to start). Streamlit is stopped on the way out, whatever happens.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")}
    env.update(greenlight_env)
    env["OMP_NUM_THREADS"] = "1"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "portal/server.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        stop(process)


@contextmanager
def chromium_browser(executable: str = CHROMIUM):
    """Debian's Chromium, launched by Playwright; closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser):
    """A page in a fresh browser context: its own cookies, so its own portal session."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


@contextmanager
def chromium_page(executable: str = CHROMIUM):
    """A page of a freshly launched Chromium."""
    with chromium_browser(executable) as browser:
        yield new_page(browser)


def sign_in(page, username: str = "bea") -> None:
    """Fill in the sign-in form that stands in for any page until someone signs in."""
    page.get_by_text("Sign in to Greenlight").wait_for()
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(f"{username}-demo-password")
    page.get_by_role("button", name="Sign in").click()


def settled(page) -> None:
    """Wait until the script run that renders the page has finished and the browser has drawn
    what it sent: elements whose code loads on demand (tables, charts) stand as skeletons first."""
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for()
    expect(page.locator("[data-testid=stSkeleton]")).to_have_count(0)


def choose(page, combobox, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in a selectbox by typing its start, as a keyboard user would.

    Typing rather than clicking the arrow, because charts above the box move it while they
    draw; and retried, because the list re-renders as the filter settles and a click can land
    on an option that was just replaced.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        combobox.focus()
        combobox.fill(option.split(" — ")[0])
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            combobox.press("Escape")


def expect(locator):
    """Playwright's ``expect``, imported when first used."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)
