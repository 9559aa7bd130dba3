"""A real browser against a real portal: ``streamlit run`` on a loopback port, Chromium driven
by Playwright, the demo registry behind it.

Streamlit renders over a websocket after the page loads, so every step waits for the page's
own text before it acts or asserts.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_BROWSER = os.environ.get("GREENLIGHT_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 60
WAIT_MS = 30_000

CHROMIUM = shutil.which("chromium")
MISSING = ("Chromium is not installed (apt-get install -y chromium)" if CHROMIUM is None else
           "the playwright package is not installed" if importlib.util.find_spec("playwright") is None else None)

# Skip at collection, so that a machine without a browser does not seed the demo for nothing.
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(MISSING is not None and not REQUIRE_BROWSER, reason=str(MISSING))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
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


@pytest.fixture(scope="module")
def chromium() -> str:
    if MISSING is not None:
        pytest.fail(f"{MISSING}, and GREENLIGHT_REQUIRE_BROWSER=1 requires the browser tests")
    return CHROMIUM


@pytest.fixture(scope="module")
def portal_url(demo_env, tmp_path_factory) -> Iterator[str]:
    """The portal, served by ``streamlit run`` on a free loopback port, on the demo registry."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")}
    env.update(demo_env)
    env["OMP_NUM_THREADS"] = "1"
    log = tmp_path_factory.mktemp("portal") / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "portal/app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def page(chromium, portal_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(WAIT_MS)
            yield context.new_page()
        finally:
            browser.close()


def version_labels(env: dict[str, str], model: str) -> dict[int, str]:
    """How the version picker names each version, from what the registry holds."""
    from backend.app import App
    from backend.config import Settings
    from portal.wording import state_label

    app = App.open(Settings.from_env(env))
    try:
        return {v.number: f"Version {v.number} — {state_label(v.state)}"
                for v in app.registry.list_versions(model).versions}
    finally:
        app.close()


def sign_in(page, username: str = "bea") -> None:
    """Fill in the sign-in form that stands in for any page until someone signs in."""
    page.get_by_text("Sign in to Greenlight").wait_for()
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(f"{username}-demo-password")
    page.get_by_role("button", name="Sign in").click()


def settled(page) -> None:
    """Wait until the script run that renders the page has finished."""
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for()


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
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_business_reader_goes_from_portfolio_to_a_failed_version(page, portal_url):
    page.goto(portal_url)
    sign_in(page)
    page.get_by_text("Model portfolio").wait_for()
    settled(page)
    expect(page.get_by_role("heading", name="Consumer credit risk")).to_be_visible()
    expect(page.get_by_role("heading", name="Premium offer propensity")).to_be_visible()
    expect(page.get_by_text("Needs attention").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stopped at test-environment validation")).first).to_be_visible()

    page.get_by_role("link", name=re.compile("Open credit-risk")).click()
    page.get_by_text("Version history").wait_for()
    settled(page)
    assert "model=credit-risk" in page.url
    banner = page.get_by_test_id("stAlert").filter(has_text="Why version 3 stopped")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"ROC AUC is 0\.\d+, below the minimum of 0\.750"))
    expect(page.get_by_role("combobox", name="Version")).to_have_value("Version 3 — Failed")
    # The version history table (a data grid, whose cells the page exposes to assistive tech).
    history = page.locator("[role=grid]").filter(has_text="Why it stopped").first
    for text in ("v3", "v2", "v1", "Failed", "Stopped at test-environment validation"):
        expect(history).to_contain_text(text)
    expect(page.get_by_role("heading", name="Pipeline stages")).to_be_visible()
    assert "Traceback" not in page.content()


def test_deep_link_to_a_version_and_choosing_another(page, portal_url, demo_env):
    labels = version_labels(demo_env, "income-propensity")
    page.goto(f"{portal_url}/model?model=income-propensity&version=1")
    sign_in(page)  # the deep link survives signing in
    page.get_by_role("heading", name="Premium offer propensity").wait_for()
    settled(page)
    version = page.get_by_role("combobox", name="Version")
    expect(version).to_have_value(labels[1])
    expect(page.get_by_role("combobox", name="Model")).to_have_value("Premium offer propensity (income-propensity)")
    assert not page.get_by_text("Why version").count(), "version 1 passed the pipeline: no failure to explain"

    choose(page, version, labels[2])
    page.wait_for_url(re.compile(r"version=2"))
    expect(version).to_have_value(labels[2])


def test_unknown_model_reads_as_a_message_not_a_crash(page, portal_url):
    page.goto(f"{portal_url}/model?model=no-such-model")
    sign_in(page)
    page.get_by_text("There is no model named 'no-such-model'").wait_for()
    settled(page)
    content = page.content()
    assert "Traceback" not in content and "NotFound" not in content
