"""The portal's pages, run with Streamlit's AppTest against the real demo registry.

Each test checks what a reader would check on screen: the words, the tables, the links.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from backend.app import App
from backend.metrics import METRICS
from backend.registry.states import STATE_EXPLANATIONS, State
from backend.reports import portfolio
from portal.components import in_group
from portal.errors import UNEXPECTED_MESSAGE
from portal.wording import run_status, state_label
from tests.portal.helpers import ROOT, hand_made_version, open_page, table_with, visible_text

PAGES = ["../pages/overview.py", "../pages/model.py"]


@pytest.fixture
def demo(demo_app) -> SimpleNamespace:
    """What the registry holds for the demo, to check the pages against (the demo grows)."""
    models = {m.name: m for m in demo_app.registry.list_models()}
    versions = {name: demo_app.registry.list_versions(name).versions for name in models}
    assert set(models) == {"credit-risk", "income-propensity"}
    return SimpleNamespace(models=models, versions=versions)


# -- every page, no exception ----------------------------------------------------------------


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_renders_on_the_demo(demo_settings, page):
    at = open_page(page)
    assert not at.exception
    # The only red box allowed is a failed version's reason, which is data, not a page error.
    assert all(e.value.startswith("**Why version") for e in at.error), [e.value for e in at.error]
    assert at.title, "the page has no title"


# -- overview ----------------------------------------------------------------------------------


def test_overview_lists_each_model_with_purpose_owner_and_status(demo, demo_app):
    at = open_page()
    text = visible_text(at)
    markdown = [m.value for m in at.markdown]
    for title, owner, tier in (("Consumer credit risk", "retail-credit", "high"),
                               ("Premium offer propensity", "marketing-analytics", "medium")):
        assert title in text
        assert f"owner: {owner}" in text and f"risk tier: {tier}" in text
    assert "Estimates the chance that a consumer loan applicant will not repay" in text
    for standing in portfolio(demo_app):
        if standing.production is None:
            assert "**In production:** none yet" in markdown
        if standing.approved is not None:
            assert any(m.startswith(f"**Approved:** version {standing.approved.number} ") for m in markdown)
        for version in standing.on_its_way:
            line = next(m for m in markdown if m.startswith(f"**On its way:** version {version.number} "))
            assert f"-badge[{state_label(version.state)}]" in line, standing.summary.name
            if version.fairness_failed:  # what the reports found is said in words, never "Passed"
                assert (f"Fairness fails {version.fairness_failed} of {version.fairness_checks} checks "
                        f"(version {version.number})") in text
    # credit-risk v3 failed a gate: the latest run, shown beside the approved version 1.
    assert "**Latest pipeline run:** :red[Failed (version 3)]" in markdown
    assert re.search(r"Stopped at test-environment validation\..*ROC AUC is 0\.\d+, below the minimum of 0\.750", text)
    assert "Passed (version" not in text or all(
        v.fairness_verdict == "pass" for m in portfolio(demo_app) for v in m.on_its_way)


def test_overview_summary_explains_every_number(demo_app):
    at = open_page()
    summary = ("Models", "In production", "Approved", "On its way", "Needs attention")
    figures = {m.label: m.value for m in at.metric if m.label in summary}
    models = portfolio(demo_app)
    assert figures == {label: str(sum(in_group(m, group) for m in models)) for label, group in (
        ("Models", "all"), ("In production", "production"), ("Approved", "approved"), ("On its way", "on_its_way"),
        ("Needs attention", "attention"))}
    assert figures["Approved"] == "2", "credit-risk v1 and income-propensity v1"
    captions = [c.value for c in at.caption]
    for phrase in ("Models registered in Greenlight", "serving all live traffic", "still being checked",
                   "signed off by every reviewer", "over a fairness failure"):
        assert any(phrase in c for c in captions), phrase


def test_overview_links_each_model_to_its_page(demo_settings):
    links = open_page().get("page_link")
    targets = {link.proto.query_string: link.proto.page for link in links}
    assert {q: p for q, p in targets.items() if p == "model"} == {"model=credit-risk": "model",
                                                                   "model=income-propensity": "model"}
    # Each version awaiting sign-off links to its packet.
    assert targets["model=income-propensity&version=2"] == "signoff"


def test_overview_filter_shows_only_models_needing_attention(demo_app):
    at = open_page()
    models = portfolio(demo_app)
    for group in ("attention", "production", "approved", "on_its_way"):
        at.selectbox(key="portfolio_group").select(group).run()
        expected = [f"#### {m.summary.title}" for m in models if in_group(m, group)]
        shown = [t.value for t in at.markdown if t.value.startswith("#### ")]
        assert shown == expected or (not expected and "No model matches" in visible_text(at)), group


def test_overview_search_finds_a_model_by_owner(demo_settings):
    at = open_page()
    at.text_input[0].input("marketing").run()
    text = visible_text(at)
    assert "Premium offer propensity" in text and "Consumer credit risk" not in text


# -- model page -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["credit-risk", "income-propensity"])
def test_model_page_shows_version_history_table_and_timeline(demo, model):
    at = open_page("../pages/model.py", model=model)
    history = table_with(at, "Version")
    assert list(history["Version"]) == ["v3", "v2", "v1"]
    assert list(history["State"]) == [state_label(v.state) for v in demo.versions[model]]
    assert list(history["What it means"]) == [STATE_EXPLANATIONS[State(v.state)] for v in demo.versions[model]]
    assert list(history["Author"]) == ["dana"] * 3
    assert len(at.get("vega_lite_chart")) == 3, "expected the readiness, the timeline and the metrics chart"


def test_credit_risk_v3_says_why_it_failed(demo_settings):
    at = open_page("../pages/model.py", model="credit-risk")
    assert at.selectbox[1].value == 3, "the latest version is shown by default"
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert "Why version 3 stopped" in errors[0]
    assert re.search(r"ROC AUC is 0\.\d+, below the minimum of 0\.750", errors[0])
    gates = table_with(at, "Rule")
    failed = gates[gates["Result"].str.contains("Failed")]
    assert {"ROC AUC at least 0.750", "Recall at least 0.300"} <= set(failed["Rule"])  # latency depends on load
    stages = table_with(at, "Stage")
    assert list(stages["Stage"])[:2] == ["Build", "Smoke checks"]
    assert list(stages["Stage"])[-1] == "Test-environment validation"
    results = list(stages["Result"])
    assert results[-1] == "✘ Failed" and results[:2] == ["✔ Passed"] * 2
    # The reports stage ran but could not judge (300 applicants): a warning in words, never "Passed".
    assert results[2].startswith("⚠ Done")
    assert all(stages["Took"].str.endswith(" s"))
    # The failed stage and the warning are open; the passed ones are folded away.
    stage_folds = [e for e in at.expander if " — " in e.label]  # the readiness sections fold too
    assert [e.proto.expanded for e in stage_folds] == [False, False, True, True]


@pytest.mark.parametrize("model", ["credit-risk", "income-propensity"])
def test_model_page_lists_every_stage_the_latest_version_went_through(demo_app, model):
    runs = demo_app.registry.list_stage_runs(model, 3)
    at = open_page("../pages/model.py", model=model)
    stages = table_with(at, "Stage")
    assert list(stages["Result"]) == [run_status(r)[0] for r in runs]
    assert not any(r.startswith("✔") for r, run in zip(stages["Result"], runs, strict=True)
                   if run.stage == "reports" and run.evidence["fairness"]["verdict"] != "pass")
    for took, run in zip(stages["Took"], runs, strict=True):
        assert took.endswith(" s") if run.finished_at else took in ("still running", "still waiting")
    assert all(stages["What the stage does"].str.len() > 20), "every stage is explained"


@pytest.mark.parametrize("model", ["credit-risk", "income-propensity"])
def test_model_page_explains_every_metric_it_shows(demo_app, model):
    at = open_page("../pages/model.py", model=model)
    shown = set()
    for table in table_with(at, "Measure", every=True):
        for label, explanation in zip(table["Measure"], table["What it means"], strict=True):
            info = next(m for m in METRICS.values() if m.label == label)
            assert explanation == info.explanation
            shown.add(info.name)
    latest = demo_app.registry.get_version(model, 3)
    assert set(latest.metrics) <= shown, f"metrics without an explanation: {set(latest.metrics) - shown}"
    # The key-measures chart (the primary metric and every gated one) explains its metrics too.
    gated = {"roc_auc", *latest.policy["gates"]["min"], *latest.policy["gates"]["max"]}
    assert len(gated) >= 2
    markdown = "\n".join(m.value for m in at.markdown)
    for name in gated:
        assert f"**{METRICS[name].label}**: {METRICS[name].explanation}" in markdown


def test_model_page_shows_lineage_and_artifact_hashes(demo_app):
    at = open_page("../pages/model.py", model="credit-risk", version="2")
    version = demo_app.registry.get_version("credit-risk", 2)
    artifacts = demo_app.registry.list_artifacts("credit-risk", 2)
    lineage = dict(zip(table_with(at, "Item")["Item"], table_with(at, "Item")["Value"], strict=True))
    assert lineage["Author"] == "dana"
    assert lineage["Spec hash"] == version.spec_hash and lineage["Data fingerprint"] == version.data_fingerprint
    assert lineage["Git commit"] == (version.git_commit or "not recorded")
    hashes = list(table_with(at, "SHA-256")["SHA-256"])
    assert hashes == [a.sha256 for a in artifacts] and {"model", "sample"} <= {a.kind for a in artifacts}
    assert bool(at.error) == bool(version.failure_reason), "a red box only for a version that failed"


def test_deep_link_opens_the_requested_model_and_version(demo):
    at = open_page("../pages/model.py", model="income-propensity", version="1")
    assert at.selectbox[0].value == "income-propensity"
    assert at.selectbox[1].value == 1
    assert at.title[0].value == "Premium offer propensity"
    first = demo.versions["income-propensity"][-1]
    assert any(m.value.startswith("**State:**") and f"-badge[{state_label(first.state)}]" in m.value
               for m in at.markdown)


def test_choosing_another_model_updates_the_link(demo_settings):
    at = open_page("../pages/model.py", model="credit-risk", version="2")
    at.selectbox[0].select("income-propensity").run()
    assert not at.exception
    assert at.query_params == {"model": "income-propensity"}, "the version of the other model must be dropped"
    assert at.title[0].value == "Premium offer propensity"
    at.selectbox[1].select(2).run()
    assert at.query_params == {"model": "income-propensity", "version": "2"}
    assert at.selectbox[1].value == 2


def test_unknown_model_gets_a_readable_message(demo_settings):
    at = open_page("../pages/model.py", model="no-such-model")
    assert not at.exception
    assert [e.value for e in at.error] == ["There is no model named 'no-such-model'. Choose a model from the list above."]
    assert at.selectbox[0].value is None and set(at.selectbox[0].options) == {
        "Consumer credit risk (credit-risk)", "Premium offer propensity (income-propensity)"}


@pytest.mark.parametrize(("version", "message"), [
    ("99", "Model 'credit-risk' has no version 99."),
    ("latest", "'latest' is not a version number."),
])
def test_unknown_version_gets_a_readable_message(demo_settings, version, message):
    at = open_page("../pages/model.py", model="credit-risk", version=version)
    assert not at.exception
    assert [e.value for e in at.error] == [f"{message} Choose a version from the list."]
    assert "Version history" in visible_text(at), "the rest of the page still helps"


# -- empty registry, odd registries, unexpected errors ---------------------------------------


@pytest.mark.parametrize("page", [None, "../pages/model.py"])
def test_empty_registry_explains_how_to_add_a_model(registry_env, page):
    at = open_page(page)
    assert not at.error
    assert "There are no models in Greenlight yet" in at.info[0].value
    assert [c.value for c in at.code] == ["greenlight pipeline run path/to/greenlight.toml", "greenlight demo"]


def test_running_and_crashed_stages_read_well(registry_env):
    registry = registry_env.registry
    hand_made_version(registry_env)
    run_id = registry.start_stage("hand-made", 1, "build")
    registry.finish_stage(run_id, status="failed", messages=["Unexpected error: KeyError: 'secret'"],
                          evidence={"error_code": "unexpected",
                                    "traceback": "Traceback (most recent call last):\n  KeyError: 'secret'"})
    registry.transition("hand-made", 1, State.FAILED, actor="tester", reason="build: Unexpected error: KeyError")
    registry.create_version("hand-made", author=registry_env.accounts.get_user("tester"))
    registry.start_stage("hand-made", 2, "build")

    at = open_page("../pages/model.py", model="hand-made")
    stages = table_with(at, "Stage")
    assert list(stages["Result"]) == ["… Running"] and list(stages["Took"]) == ["still running"]
    assert any("No version has been measured yet" in i.value for i in at.info)

    at = open_page("../pages/model.py", model="hand-made", version="1")
    text = visible_text(at)
    assert "Why version 1 stopped" in text and "Stopped at build." in text
    assert "An unexpected error stopped this stage" in text
    assert "Traceback" not in text


def test_an_unexpected_error_shows_a_calm_message_without_details(demo_settings, monkeypatch):
    import portal.data

    def broken() -> list:
        raise RuntimeError("connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(portal.data, "list_models", broken)
    monkeypatch.setattr(portal.data, "portfolio", broken)
    for page in (None, "../pages/model.py"):
        at = open_page(page)
        assert not at.exception
        assert [e.value for e in at.error] == [UNEXPECTED_MESSAGE]
        assert "hunter2" not in visible_text(at)


# -- signing in --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [None, "../pages/model.py"])
def test_nobody_signed_in_sees_only_the_sign_in_form(demo_settings, page):
    at = open_page(page, user=None, model="credit-risk")
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    assert "Consumer credit risk" not in visible_text(at)
    assert not at.dataframe


def test_a_disabled_account_is_signed_out_at_once(demo_settings):
    from backend.governance.accounts import operator

    app = App.open(demo_settings)
    try:
        app.accounts.set_disabled("vic", True, actor=operator())
        at = open_page(user="vic")
        assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    finally:
        app.accounts.set_disabled("vic", False, actor=operator())
        app.close()


# -- layering ----------------------------------------------------------------------------------


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_go_one_way_and_no_html_is_injected():
    page_files = sorted((ROOT / "pages").glob("*.py"))
    portal_files = sorted((ROOT / "portal").glob("*.py"))
    assert page_files and portal_files
    for path in page_files:
        imports = _imports(path)
        assert not {i for i in imports if i.startswith(("sqlalchemy", "backend.db", "backend.registry"))}, path
    for path in portal_files:
        assert not {i for i in _imports(path) if i.startswith(("sqlalchemy", "backend.db"))}, path
    for path in sorted((ROOT / "backend").rglob("*.py")):
        assert not {i for i in _imports(path) if i.startswith("streamlit")}, path
    for path in page_files + portal_files:
        assert "unsafe_allow_html" not in path.read_text(), path
        assert len(path.read_text().splitlines()) <= 400, f"{path} is past 400 lines: split it"


def test_long_history_pages_back_and_forth(registry_env):
    from tests.factories import make_model

    tester = make_model(registry_env, "long-history", author="tester")
    for _ in range(120):
        registry_env.registry.create_version("long-history", author=tester)
    at = open_page("../pages/model.py", model="long-history")
    assert "Versions 120 to 71 of 120" in visible_text(at)
    at.button(key="history_older").click().run()
    assert "Versions 70 to 21 of 120" in visible_text(at)
    at.button(key="history_older").click().run()
    assert "Versions 20 to 1 of 120" in visible_text(at)
    assert not [b for b in at.button if b.key == "history_older"]
    at.button(key="history_newer").click().run()
    assert "Versions 70 to 21 of 120" in visible_text(at)
    at.button(key="history_newer").click().run()
    assert "Versions 120 to 71 of 120" in visible_text(at)


def test_a_version_links_to_its_reports_and_sign_off_packet(demo_settings):
    at = open_page("../pages/model.py", model="income-propensity", version="2")
    links = {link.label: link for link in at.get("page_link")}
    assert "Fairness and explainability reports" in links
    assert "Sign-off packet: evidence, reviewers and decisions" in links
    at = open_page("../pages/model.py", model="credit-risk", version="3")  # failed before sign-off
    labels = [link.label for link in at.get("page_link")]
    assert "Fairness and explainability reports" in labels
    assert "Sign-off packet: evidence, reviewers and decisions" not in labels
