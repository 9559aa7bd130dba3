"""What the portal's AppTest tests share: running a page as a signed-in user, and reading it
as a reader would (the words, the tables, the buttons).
"""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from backend.config import Settings
from backend.domain import ModelInfo
from portal.auth import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "portal" / "app.py"
# The first run imports the pipeline's stage explanations (and with them scikit-learn).
TIMEOUT = 60
INBOX, PACKET, AUDIT, ADMIN = "../pages/inbox.py", "../pages/signoff.py", "../pages/audit.py", "../pages/admin.py"
# What a reader reads, by element kind; ``visible_text`` may add more (such as "text").
READABLE = ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success",
            "code", "metric")
GREENLIGHT_VARIABLES = ("GREENLIGHT_HOME", "GREENLIGHT_DB_URL", "GREENLIGHT_ARTIFACTS")


def portal() -> AppTest:
    """The whole portal (its entry script), not run yet."""
    return AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)


def no_exception(at: AppTest) -> AppTest:
    """``at`` after checking that its last run raised nothing."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(page: str | None = None, *, user: str | None = "vic", **query: str) -> AppTest:
    """Run the portal as ``user`` (signed in; None: nobody), optionally on ``page`` with ``query``."""
    at = portal()
    if user:
        at.session_state[SESSION_KEY] = user
    at.run()
    if page:
        at.query_params.update(query)
        at.switch_page(page)
        at.run()
    return no_exception(at)


def tables(at: AppTest) -> list:
    """Every table on the page, data grids and static tables alike, as a reader sees it: a static
    table (``st.table``) renders its cells as Markdown, so their escapes drop away."""
    def _read(value):
        return shown(value) if isinstance(value, str) else value

    static = [t.value.rename(columns=lambda c: shown(str(c))).map(_read) for t in at.table]
    return [d.value for d in at.dataframe] + static


def table_with(at: AppTest, column: str, *, every: bool = False):
    """The first table with ``column`` (``every``: all of them, in page order)."""
    found = [t for t in tables(at) if column in t.columns]
    assert found, f"no table with a '{column}' column"
    return found if every else found[0]


def shown(markdown: str) -> str:
    """What a reader sees of Markdown the portal escaped (``portal.wording.escape_markdown``):
    backslash escapes and invisible word joiners drop away, hard line breaks are line breaks."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "").replace("  \n", "\n")


def visible_text(at: AppTest, *also: str, labels: bool = True) -> str:
    """Everything a reader can read on the page, tables included, as one string.

    ``also`` names element kinds to read besides ``READABLE``; ``labels``: the elements'
    labels too (a metric's, say), not only their values.
    """
    parts = []
    for kind in READABLE + also:
        for element in at.get(kind):
            parts.append(shown(str(getattr(element, "value", ""))))
            if labels:
                parts.append(shown(str(getattr(element, "label", "") or "")))
    parts += [e.label for e in at.expander]
    parts += [t.to_string() for t in tables(at)]
    return "\n".join(parts)


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button '{label}' (buttons: {[b.label for b in at.button]})"
    return found[0]


def point_portal_at(monkeypatch, **env: str) -> Settings:
    """Make the portal (which reads its settings from the environment) use the registry of ``env``.

    ``env`` holds some of ``GREENLIGHT_VARIABLES``; the others are removed, so that they
    default from GREENLIGHT_HOME.
    """
    for name in GREENLIGHT_VARIABLES:
        if name in env:
            monkeypatch.setenv(name, env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    return Settings.from_env(env)


def hand_made_version(app) -> None:
    """Register the model "hand-made" and its version 1, with nothing run for it yet."""
    from tests.factories import person

    tester = person(app, "tester")
    app.registry.register_version(ModelInfo(name="hand-made", title="Hand-made model", description="Made by a test.",
                                            owner="tests", risk_tier="low", task="classification"), author=tester)
