"""The glossary page, and the check that every term a page links to is defined there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backend.demo import DEMO_ACCOUNTS
from portal.navigation import GLOSSARY_PAGE
from portal.wording import GLOSSARY, glossary_anchor, glossary_line, glossary_link
from tests.portal.helpers import ROOT, open_page

LINKERS = {"glossary_link": 1, "glossary_line": None}  # how many leading arguments are terms (None: all)


def linked_terms(source: str, where: str = "<source>") -> list[tuple[str, str]]:
    """Every (place, term) that ``source`` links to the glossary with ``glossary_link``/``glossary_line``.

    A term that is not a string literal cannot be checked, so it is reported as such.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in LINKERS:
            continue
        count = LINKERS[name]
        for arg in node.args[:count] if count else node.args:
            place = f"{where}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((place, arg.value))
            else:
                found.append((place, f"<not a literal: {ast.unparse(arg)}>"))
    return found


def _portal_sources() -> list[Path]:
    return sorted([*(ROOT / "pages").rglob("*.py"), *(ROOT / "portal").rglob("*.py")])


def test_every_term_a_page_links_to_is_in_the_glossary():
    links = [link for path in _portal_sources()
             for link in linked_terms(path.read_text(), str(path.relative_to(ROOT)))]
    terms = {term for _, term in links}
    # The scan really finds the pages' links (a scan that finds nothing would pass for nothing).
    assert {"ROC AUC", "SHAP", "Canary", "Sign-off", "Test environment"} <= terms
    missing = [(place, term) for place, term in links if term not in GLOSSARY]
    assert not missing, f"linked but not in the glossary: {missing}"


def test_the_scan_reports_an_undefined_or_unreadable_term():
    source = ("glossary_link('Canary')\nwording.glossary_link('Not a real term', 'words')\n"
              "glossary_line('SHAP', 'Made up')\nglossary_link(name)\n")
    links = linked_terms(source)
    assert [term for _, term in links] == ["Canary", "Not a real term", "SHAP", "Made up", "<not a literal: name>"]
    assert [term for _, term in links if term not in GLOSSARY] == ["Not a real term", "Made up",
                                                                     "<not a literal: name>"]


def test_every_term_has_its_own_anchor_and_a_plain_meaning():
    anchors = [glossary_anchor(term) for term in GLOSSARY]
    assert len(set(anchors)) == len(anchors)
    assert all(a and a.isascii() and " " not in a for a in anchors)
    assert glossary_anchor("Cramér's V") == "cramer-s-v"
    assert all(meaning[-1] in ".?" and len(meaning) > 20 for meaning in GLOSSARY.values())
    for term in ("Canary", "Champion", "Challenger", "Drift", "PSI", "Sign-off", "Policy floor", "Test environment",
                 "Rollback", "Prediction log", "Gate", "Lead time"):
        assert term in GLOSSARY


def test_a_glossary_link_points_at_the_term_and_shows_text_as_text():
    assert glossary_link("Policy floor") == "[Policy floor](glossary#policy-floor)"
    assert glossary_link("Canary", "a canary") == "[a canary](glossary#canary)"
    assert glossary_link("Canary", "*bold* [x](y)") == r"[\*bold\* \[x\](y)](glossary#canary)"
    assert glossary_link("No such term") == "No such term", "an unknown term is plain words, not a broken link"
    assert glossary_line("PSI").startswith("**PSI**: population stability index")


@pytest.mark.parametrize("user", [a.username for a in DEMO_ACCOUNTS])
def test_the_glossary_page_lists_every_term_under_its_anchor(demo_settings, user):
    at = open_page(GLOSSARY_PAGE, user=user)
    assert [t.value for t in at.title] == ["Glossary"]
    assert [s.value for s in at.subheader] == sorted(GLOSSARY, key=str.casefold)
    anchors = [s.proto.anchor for s in at.subheader]
    assert anchors == [glossary_anchor(t) for t in sorted(GLOSSARY, key=str.casefold)]
    assert GLOSSARY["Canary"] in [m.value for m in at.markdown]


def test_the_glossary_search_finds_terms_by_name_or_meaning(registry_env):
    at = open_page(GLOSSARY_PAGE)
    at.text_input[0].input("traffic").run()
    shown = [s.value for s in at.subheader]
    assert "Canary" in shown and "Rollback" in shown and "SHAP" not in shown
    at.text_input[0].input("zzz no such word").run()
    assert not at.subheader
    assert [i.value for i in at.info] == ["No term matches. Clear the search to see them all."]
