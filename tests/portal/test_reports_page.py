"""The Reports page under AppTest: every demo version, then each thing a reader relies on.

The demo covers classification models without a production version; a small registry built
here by the real pipeline adds what the demo lacks: a comparison with production, a regression
model, a version that failed at build and one still on its way.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from backend.app import App
from backend.config import Settings
from backend.reports import (
    VERDICT_LABELS,
    load_model_card,
    load_reports,
    load_test_scores,
    threshold_whatif,
)
from portal.report_tables import check_reason, percent, report_labels
from portal.wording import state_label
from tests.factories import (
    LOGISTIC_FACTORY,
    add_user,
    person,
    put_in_production,
    synthetic_classification,
    write_spec,
)
from tests.portal.helpers import open_page, point_portal_at, table_with, visible_text

REPORTS = "../pages/reports.py"
SECTIONS = ["Fairness verdict", "In short", "How each group is treated", "What if the decision threshold moved?",
            "Compared with earlier versions", "What drives the model", "Single cases, explained",
            "What could not be computed, and how sure the reports are", "Model card", "Glossary"]


def _with_app(settings: Settings, read):
    app = App.open(settings)
    try:
        return read(app)
    finally:
        app.close()


@pytest.fixture
def demo(demo_settings) -> SimpleNamespace:
    """Every demo version with its stored reports, read straight from the backend."""
    def read(app):
        versions = [(m.name, v.number) for m in app.registry.list_models()
                    for v in app.registry.list_versions(m.name).versions]
        return {pair: load_reports(app, *pair) for pair in versions}

    reports = _with_app(demo_settings, read)
    assert len(reports) >= 6
    return SimpleNamespace(settings=demo_settings, reports=reports)


def reports_page(**query: str):
    return open_page(REPORTS, **query)


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# -- every demo version ----------------------------------------------------------------------


def test_the_page_runs_for_every_demo_version(demo):
    for (name, number), reports in demo.reports.items():
        at = reports_page(model=name, version=str(number))
        where = f"{name} v{number}"
        assert not at.exception, where
        assert at.selectbox[0].value == name and at.selectbox[1].value == number, where
        text = visible_text(at)
        assert "Traceback" not in text, where
        if reports.complete:
            assert subheaders(at) == SECTIONS, where
            verdict = reports.fairness["verdict"]
            assert f"**{VERDICT_LABELS[verdict]}.**" in text, where
        else:
            assert "has no" in text and "reports" in text, where
        # Red boxes carry a fairness "fail" verdict, never a page error.
        assert all(e.value.startswith("**Fail.**") for e in at.error), (where, [e.value for e in at.error])
        # A failed fairness check is never next to the word "passed".
        if reports.fairness and reports.fairness["verdict"] == "fail":
            assert not re.search(r"\bpassed\b", "\n".join(e.value for e in at.error), re.I), where


def test_without_a_version_the_latest_one_with_reports_is_shown(demo):
    name = "income-propensity"
    at = reports_page(model=name)
    latest = max(number for (model, number), r in demo.reports.items() if model == name and r.complete)
    assert at.selectbox[1].value == latest
    assert f"version {latest}" in at.header[0].value


# -- the verdicts, first and in plain words --------------------------------------------------


def _failing_version(demo) -> tuple[str, int]:
    return next(pair for pair, r in demo.reports.items() if r.fairness and r.fairness["verdict"] == "fail")


def test_fairness_verdicts_come_first_with_their_reasons(demo):
    name, number = _failing_version(demo)
    fairness = demo.reports[(name, number)].fairness
    at = reports_page(model=name, version=str(number))
    assert subheaders(at)[0] == "Fairness verdict"
    headline = at.error[0].value
    failed = sum(c["verdict"] == "fail" for f in fairness["features"] for c in f["checks"])
    total = sum(len(f["checks"]) for f in fairness["features"])
    assert headline.startswith(f"**Fail.** Fails {failed} of the {total} fairness checks")
    assert "the sign-off reviewers" in headline
    markdown = "\n".join(m.value for m in at.markdown).replace("\\", "")
    labels = report_labels(fairness)
    for feature in fairness["features"]:
        assert f"**By {labels.feature(feature['feature'])}:**" in markdown
        for check in feature["checks"]:
            words = {"pass": "✔ Pass", "fail": "✘ Fail"}
            if check["verdict"] in words:
                line = f"[**{words[check['verdict']]}**] — {check_reason(check)}"
                assert line in markdown, line
    # Checks that cannot be judged are grouped: one sentence per cause, not one per check.
    undecided = [c for f in fairness["features"] for c in f["checks"] if c["verdict"] == "insufficient_evidence"]
    causes = {c["cause"] for c in undecided}
    lines = [line for line in markdown.splitlines() if "cannot be judged —" in line]
    assert len(lines) == len(causes) and sum(int(line.split("— ")[1].split(" check")[0]) for line in lines) == \
        len(undecided)
    # The three verdicts are explained beside them.
    assert any("**Insufficient evidence**: the interval straddles the limit, or fewer than two groups can be "
               "judged" in c.value for c in at.caption)


def test_the_insufficient_evidence_verdict_reads_as_such(demo):
    unsure = [pair for pair, r in demo.reports.items() if r.fairness and r.fairness["verdict"] == "insufficient_evidence"]
    if not unsure:
        pytest.skip("no demo version has an undecided fairness verdict")
    at = reports_page(model=unsure[0][0], version=str(unsure[0][1]))
    assert at.warning[0].value.startswith("**Insufficient evidence.** No fairness check fails, but")


def test_both_summaries_are_shown_as_written(demo):
    name, number = _failing_version(demo)
    reports = demo.reports[(name, number)]
    at = reports_page(model=name, version=str(number))
    markdown = "\n".join(m.value for m in at.markdown).replace("\\", "")
    for sentence in reports.fairness["summary"] + reports.explainability["summary"]:
        assert f"- {sentence}" in markdown


def test_group_table_shows_each_group_with_readable_intervals(demo):
    name, number = _failing_version(demo)
    feature = demo.reports[(name, number)].fairness["features"][0]
    at = reports_page(model=name, version=str(number))
    table = table_with(at, "Selection rate")
    labels = report_labels(demo.reports[(name, number)].fairness)
    assert list(table["Group"]) == [labels.group(feature["feature"], g["group"]) for g in feature["groups"]]
    assert list(table["People"]) == [f"{g['count']:,}" for g in feature["groups"]]
    rate = r"\d+(\.\d)?% \(\d+(\.\d)?–\d+(\.\d)?%\) · [\d,]+ of [\d,]+( · too few to judge)?"
    for column in ("Selection rate", "Real positives (base rate)", "True-positive rate", "False-positive rate",
                   "Accuracy"):
        assert all(re.fullmatch(rate, cell) for cell in table[column]), (column, list(table[column]))
    first = feature["groups"][0]["selection_rate"]
    assert table["Selection rate"][0].startswith(percent(first["value"]))
    text = visible_text(at)
    assert "**Selection rate**: Share of the group the model flags as positive." in text
    assert len(at.get("vega_lite_chart")) >= 6, "disparities, groups, what-if, drivers, spread, effects, case"


def test_top_drivers_are_named_with_their_share(demo):
    name, number = _failing_version(demo)
    drivers = demo.reports[(name, number)].explainability["global"]
    at = reports_page(model=name, version=str(number))
    top = next(m.value for m in at.markdown if m.value.startswith("**Top drivers.**")).replace("\\", "")
    labels = report_labels(demo.reports[(name, number)].explainability)
    for driver in drivers[:3]:  # under the spec's display names
        assert f"**{labels.feature(driver['feature'])}** ({percent(driver['share'])})" in top


def test_a_case_explanation_walks_from_the_average_to_the_score(demo):
    name, number = _failing_version(demo)
    cases = demo.reports[(name, number)].explainability["cases"]
    at = reports_page(model=name, version=str(number))
    picker = next(s for s in at.selectbox if s.label == "Case")
    picker.select(len(cases) - 1).run()
    case = cases[-1]
    assert f"this case scores **{percent(case['score'])}**" in visible_text(at)
    table = table_with(at, "Push on the score")
    labels = report_labels(demo.reports[(name, number)].explainability)
    assert list(table["Input"])[:len(case["contributions"])] == [labels.feature(c["feature"])
                                                                 for c in case["contributions"]]


# -- the threshold what-if -------------------------------------------------------------------


def test_moving_the_threshold_changes_the_rates_shown(demo):
    name, number = _failing_version(demo)
    at = reports_page(model=name, version=str(number))
    slider = at.select_slider[0]
    assert slider.value == pytest.approx(0.5)
    before = metric(at, "Selection rate")
    slider.set_value(0.3).run()
    assert not at.exception
    after = metric(at, "Selection rate")
    assert after != before
    scores = _with_app(demo.settings, lambda app: load_test_scores(app, name, number))
    expected = threshold_whatif(scores, [0.3])
    assert after == percent(expected["selection_rate"].iloc[0])
    assert "Everyone together at a threshold of 30%" in visible_text(at)
    table = table_with(at, "False-negative rate")
    assert table["Group"][0] == "Everyone" and table["Selection rate"][0] == after


def test_the_what_if_compares_the_groups_chosen(demo):
    name, number = _failing_version(demo)
    fairness = demo.reports[(name, number)].fairness
    feature = fairness["features"][-1]
    at = reports_page(model=name, version=str(number))
    chooser = next(s for s in at.selectbox if s.key == "whatif_feature")
    chooser.select(feature["feature"]).run()
    table = table_with(at, "False-negative rate")
    assert list(table["Group"]) == ["Everyone"] + [g["group"] for g in feature["groups"]]


# -- model card -------------------------------------------------------------------------------


def test_model_card_downloads_show_the_sha256_of_the_files(demo):
    name, number = _failing_version(demo)
    cards = _with_app(demo.settings, lambda app: {fmt: load_model_card(app, name, number, fmt)
                                                  for fmt in ("html", "markdown")})
    at = reports_page(model=name, version=str(number))
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download the model card (HTML)", "Download the model card (Markdown)"]
    fingerprints = table_with(at, "SHA-256")
    shown = dict(zip(fingerprints["File"], fingerprints["SHA-256"], strict=True))
    for card in cards.values():
        assert shown[card.filename] == card.sha256
    reports = demo.reports[(name, number)]
    assert reports.fairness_sha256 in set(fingerprints["SHA-256"])


# -- what the demo does not have: production, regression, no reports -------------------------

STRONGER_REGULARISATION = LOGISTIC_FACTORY.replace("LogisticRegression(max_iter=500)",
                                                   "LogisticRegression(max_iter=500, C=0.001)")
BROKEN_FACTORY = "def build():\n    raise ValueError('the data scientist forgot to return a model')\n"
RIDGE_FACTORY = textwrap.dedent("""\
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    def build():
        prepare = ColumnTransformer([
            ("c", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)),
        ], remainder="passthrough")
        return make_pipeline(prepare, Ridge())
    """)


def _spec(folder: Path, *, name: str, factory: str, task: str = "classification") -> Path:
    if task == "regression":
        spec = write_spec(folder, name=name, task="regression", target="price", positive_label=None,
                          sensitive='["region"]')
        frame = synthetic_classification(600).drop(columns=["label"])
        frame["price"] = 3 * frame["income"] + 2 * frame["tenure"] + (frame["region"] == "north") * 20
        frame.iloc[:450].to_csv(folder / "train.csv", index=False)
        frame.iloc[450:].to_csv(folder / "test.csv", index=False)
    else:
        spec = write_spec(folder, name=name, sensitive='["region"]')
        synthetic_classification(800).to_csv(folder / "train.csv", index=False)
        synthetic_classification(300, seed=5).to_csv(folder / "test.csv", index=False)
    (folder / "model.py").write_text(factory)
    return spec


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory) -> Path:
    """A registry the real pipeline filled with the cases the demo lacks."""
    from backend.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("reports-lab")
    home = root / "home"
    app = App.open(Settings.from_env({"GREENLIGHT_HOME": str(home)}))
    try:
        add_user(app, "vic", "viewer")
        churn = _spec(root / "churn", name="churn-model", factory=LOGISTIC_FACTORY)
        assert run_pipeline(app, churn, actor=person(app, "kim")).passed
        put_in_production(app, "churn-model", 1)
        (root / "churn" / "model.py").write_text(STRONGER_REGULARISATION)
        assert run_pipeline(app, churn, actor=person(app, "kim")).passed  # compared with production version 1
        (root / "churn" / "model.py").write_text(BROKEN_FACTORY)
        failed = run_pipeline(app, churn, actor=person(app, "kim"))
        assert not failed.passed and failed.failed_stage == "build"
        app.registry.create_version("churn-model", author=person(app, "kim"))  # registered, nothing run yet
        price = _spec(root / "price", name="house-price", factory=RIDGE_FACTORY, task="regression")
        assert run_pipeline(app, price, actor=person(app, "kim")).passed
    finally:
        app.close()
    return home


@pytest.fixture
def lab(lab_home, monkeypatch) -> Settings:
    return point_portal_at(monkeypatch, GREENLIGHT_HOME=str(lab_home))


def test_the_page_runs_for_every_version_of_the_lab(lab):
    pairs = _with_app(lab, lambda app: [(m.name, v.number) for m in app.registry.list_models()
                                        for v in app.registry.list_versions(m.name).versions])
    assert len(pairs) == 5
    for name, number in pairs:
        at = reports_page(model=name, version=str(number))
        assert not at.exception, (name, number)
        assert all(e.value.startswith("**Fail.**") for e in at.error), (name, number)


def test_default_version_skips_versions_without_reports(lab):
    at = reports_page(model="churn-model")
    assert at.selectbox[1].value == 2, "versions 3 (failed at build) and 4 (not run) have no reports"
    assert "Version 3 — Failed (no reports)" in at.selectbox[1].options


def test_a_version_that_failed_at_build_reads_as_a_message(lab):
    at = reports_page(model="churn-model", version="3")
    assert not at.exception and not at.error
    info = [i.value for i in at.info]
    assert len(info) == 1
    assert info[0].startswith("Version 3 has no fairness or explainability reports: the pipeline stopped before "
                              "writing them. Stopped at build.")
    assert "Fairness verdict" not in subheaders(at)
    assert f"-badge[{state_label('failed')}]" in visible_text(at)


def test_a_version_not_yet_reported_says_so(lab):
    at = reports_page(model="churn-model", version="4")
    assert [i.value for i in at.info] == [
        "Version 4 has no reports yet: the pipeline writes the fairness and explainability reports right after the "
        "smoke checks. Come back once it has got that far."]


def test_comparison_with_the_production_version(lab):
    fairness = _with_app(lab, lambda app: load_reports(app, "churn-model", 2).fairness)
    (comparison,) = fairness["comparisons"]
    changes = comparison["changes"]
    assert comparison["version"] == 1 and "production" in comparison["roles"] and changes
    at = reports_page(model="churn-model", version="2")
    intro = next(m.value for m in at.markdown if m.value.startswith("**Version 1 (production"))
    assert "its fairness verdict:" in intro
    table = table_with(at, "Production (v1)")
    assert list(table["Check"]) == [c["label"] for c in changes]
    assert list(table["Change"]) == [f"{c['change']:+.2f}" if c["change"] is not None else "—" for c in changes]
    assert set(table["Better or worse"]) <= {"Fairer", "Less fair", "No clear change"}
    assert all(re.fullmatch(r"[+-]\d\.\d\d to [+-]\d\.\d\d|—", cell) for cell in table["95% interval of the change"])


def test_without_an_earlier_version_the_page_says_so_plainly(lab):
    at = reports_page(model="churn-model", version="1")
    assert any(i.value.startswith("There was no earlier version to compare with") for i in at.info)


def test_a_regression_model_has_no_threshold_what_if_and_says_why(lab):
    at = reports_page(model="house-price", version="1")
    assert not at.exception and not at.error
    text = visible_text(at)
    assert "The threshold what-if is not available for this model: it predicts a number" in text
    assert not at.select_slider
    assert "**Not assessed.** The fairness checks judge yes/no decisions and this model predicts a number" in text
    table = table_with(at, "MAE")
    assert set(table.columns) >= {"Group", "People", "Share of data", "MAE", "RMSE", "Average prediction"}
    assert "**Top drivers.**" in text


def test_choosing_another_version_updates_the_link(lab):
    at = reports_page(model="churn-model")
    at.selectbox[1].select(1).run()
    assert not at.exception
    assert at.query_params == {"model": "churn-model", "version": "1"}
    assert at.header[0].value.endswith("version 1")


def test_a_tampered_report_is_refused_with_a_readable_message(lab_home, tmp_path, monkeypatch):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(lab_home, home)
    settings = point_portal_at(monkeypatch, GREENLIGHT_HOME=str(home))

    def tamper(app):
        ref = app.registry.get_artifact("churn-model", 1, "fairness_report")
        path = app.artifacts.path_of(ref)
        path.chmod(0o644)
        original = path.read_bytes()
        changed = original.replace(b'"verdict": "fail"', b'"verdict": "pass"')
        assert changed != original
        path.write_bytes(changed)

    _with_app(settings, tamper)
    at = reports_page(model="churn-model", version="1")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Refusing") and "changed after it was stored" in errors[0]
    assert "Fairness verdict" not in subheaders(at), "nothing from a tampered report is shown"


# -- wrong links ------------------------------------------------------------------------------


def test_unknown_model_gets_a_readable_message(demo_settings):
    at = reports_page(model="no-such-model")
    assert [e.value for e in at.error] == ["There is no model named 'no-such-model'. Choose a model from the list above."]
    assert "Fairness verdict" not in subheaders(at)


@pytest.mark.parametrize(("version", "message"), [
    ("99", "Model 'credit-risk' has no version 99."),
    ("latest", "'latest' is not a version number."),
])
def test_unknown_version_gets_a_readable_message(demo_settings, version, message):
    at = reports_page(model="credit-risk", version=version)
    assert not at.exception
    assert f"{message} Choose a version from the list." in [e.value for e in at.error]


def test_nobody_signed_in_sees_only_the_sign_in_form(demo_settings):
    at = open_page(REPORTS, user=None, model="credit-risk", version="1")
    assert [t.value for t in at.title] == ["Sign in to Greenlight"]
    assert "Fairness verdict" not in visible_text(at)
