"""Whatever people type is shown as text on every page: never a link, never bold, never an icon.

A registry is seeded with hostile text in every field a person or a file fills in (a model's
title, description and owner, a file name, a failure reason, stage messages, a reviewer's name,
comment and condition); every page is run on it, and everything Streamlit renders as Markdown is
checked for markup that survived, the cells and headings of static tables (``st.table``) included.
Data grids, select boxes and ``st.text`` show plain text: there the text must appear exactly as
typed.
"""

from __future__ import annotations

import pytest

from portal.wording import escape_markdown
from tests.factories import HOSTILE_TEXT as HOSTILE
from tests.factories import hostile_registry
from tests.portal.helpers import (
    ADMIN,
    AUDIT,
    INBOX,
    PACKET,
    open_page,
    point_portal_at,
    shown,
    tables,
)

LINK = "[phish](https://evil.example/login)"
#: What must never reach Markdown unescaped: each would render as a link, bold, an icon or HTML.
MARKUP = ["](https://", "**bold**", "https://evil", "www.evil", "a@evil", ":material/home:", "<b>"]
#: Element kinds whose value (or label, or options) Streamlit renders as Markdown.
MARKDOWN_VALUES = ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                   "toast")
MARKDOWN_LABELS = ("metric", "expander", "button", "page_link", "tab", "radio", "checkbox", "toggle", "selectbox",
                   "multiselect", "text_input", "text_area", "number_input", "download_button")


def markdown_sources(at) -> list[str]:
    sources = [str(e.value) for kind in MARKDOWN_VALUES for e in at.get(kind)]
    for kind in MARKDOWN_LABELS:
        for element in at.get(kind):
            sources.append(str(getattr(element, "label", "") or ""))
            if kind == "radio":
                sources += [str(o) for o in element.options]
    for table in at.table:  # st.table renders every cell and heading as Markdown
        frame = table.value
        sources += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)]
    return sources


def assert_text_only(at) -> str:
    """Check that no hostile markup reaches Markdown; return everything shown, as a reader sees it."""
    sources = markdown_sources(at)
    leaks = [(marker, source) for source in sources for marker in MARKUP if marker in source]
    assert not leaks, f"user text rendered as markup: {leaks[:3]}"
    return "\n".join(shown(s) for s in sources)


def cells(at) -> str:
    """Every table cell on the page, data grids and static tables alike, as plain text."""
    return "\n".join(frame.to_string() for frame in tables(at))


@pytest.fixture
def hostile(sqlite_app, monkeypatch):
    """A registry with hostile text in every field people fill in (see ``hostile_registry``)."""
    hostile_registry(sqlite_app)
    settings = sqlite_app.settings
    point_portal_at(monkeypatch, GREENLIGHT_HOME=str(settings.home), GREENLIGHT_DB_URL=settings.db_url,
                    GREENLIGHT_ARTIFACTS=str(settings.artifacts_dir))
    return sqlite_app


def test_the_escaping_helper_keeps_the_words_and_drops_the_markup():
    source = escape_markdown(f"{HOSTILE}\n- not a list\n    not code\n1. not a list either\tend\x1b[31m\u202e")
    assert not [marker for marker in MARKUP if marker in source]
    assert shown(source) == f"{HOSTILE}\n- not a list\nnot code\n1. not a list either end[31m"


def test_the_portfolio_shows_title_description_and_owner_as_text(hostile):
    text = assert_text_only(open_page())
    for field in ("Title", "About", "Owner"):
        assert f"{field} {HOSTILE}" in text


def test_the_model_page_shows_reasons_messages_and_file_names_as_text(hostile):
    at = open_page("../pages/model.py", model="hostile", version="2")
    text = assert_text_only(at)
    for expected in (f"Title {HOSTILE}", f"Owner {HOSTILE}", f"About {HOSTILE}", f"Reason {HOSTILE}",
                     f"Message {HOSTILE}", f"train {HOSTILE}.csv"):
        assert expected in text, expected
    assert f"Reason {HOSTILE}" in cells(at)  # the history table: plain text, as typed


def test_the_sign_off_packet_shows_every_name_comment_and_condition_as_text(hostile):
    at = open_page(PACKET, user="rick", model="hostile", version="1")
    text = assert_text_only(at)
    assert f"Title {HOSTILE} — version 1" in text
    assert f"Bea {HOSTILE} (bea)" in text
    assert [t.value for t in at.text] == [f"Comment {HOSTILE}", f"Condition {HOSTILE}"]  # st.text: as typed
    assert f"Owner {HOSTILE}" in cells(at)


def test_the_reports_header_and_the_inbox_show_the_title_as_text(hostile):
    text = assert_text_only(open_page("../pages/reports.py", model="hostile", version="2"))
    assert f"Title {HOSTILE}, version 2" in text and f"Reason {HOSTILE}" in text
    text = assert_text_only(open_page(INBOX, user="rick"))
    assert f"Title {HOSTILE} — version 1" in text


def test_the_audit_log_and_the_accounts_show_the_text_exactly(hostile):
    at = open_page(AUDIT)
    assert_text_only(at)
    assert f"Comment {HOSTILE}" in cells(at)
    at = open_page(ADMIN, user="ada")
    assert_text_only(at)
    assert f"Bea {HOSTILE}" in cells(at)


def test_an_error_message_quoting_a_link_shows_it_as_text(hostile):
    at = open_page("../pages/model.py", model=LINK)
    text = assert_text_only(at)
    assert f"There is no model named '{LINK}'" in text
