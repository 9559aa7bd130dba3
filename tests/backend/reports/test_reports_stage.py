"""The reports stage in the real pipeline: stored artifacts, read helpers, model card, bad input."""

from __future__ import annotations

import hashlib
import re
import textwrap

import pytest

from backend.pipeline import run_pipeline
from backend.reports import load_model_card, load_reports, load_test_scores, threshold_whatif
from tests.factories import LOGISTIC_FACTORY, person, synthetic_classification, write_spec

ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "section", "p", "table", "thead",
                "tbody", "tr", "th", "td", "ul", "li", "footer", "abbr"}
DUMMY_FACTORY = textwrap.dedent("""\
    from sklearn.dummy import DummyClassifier

    def build():
        return DummyClassifier(strategy="prior")  # takes the raw columns, text and all
""")


def _hand_made(tmp_path, *, sensitive='["region"]', train_rows=800, test_rows=300, factory=LOGISTIC_FACTORY,
               edit=None):
    folder = tmp_path / "churn"
    spec = write_spec(folder, name="churn-model", sensitive=sensitive)
    train, test = synthetic_classification(train_rows), synthetic_classification(test_rows, seed=5)
    if edit:
        train, test = edit(train), edit(test)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    (folder / "model.py").write_text(factory)
    return spec


def _reports_stage(app, result):
    stage = next(s for s in result.stages if s.stage == "reports")
    return stage, load_reports(app, result.model, result.version)


def test_reports_are_stored_and_read_back_with_their_hashes(app, tmp_path):
    spec = _hand_made(tmp_path)
    result = run_pipeline(app, spec, actor=person(app, "kim"))
    assert result.passed, result.reason
    assert app.registry.get_version("churn-model", 1).state == "awaiting_signoff"
    stage, reports = _reports_stage(app, result)
    refs = {a.kind: a for a in app.registry.list_artifacts("churn-model", 1)}
    assert reports.complete and reports.has_test_scores
    assert reports.fairness_sha256 == refs["fairness_report"].sha256 == stage.evidence["fairness"]["artifact"]["sha256"]
    assert reports.explainability_sha256 == refs["explainability_report"].sha256
    assert reports.model_card_sha256 == {"markdown": refs["model_card_md"].sha256, "html": refs["model_card_html"].sha256}
    assert reports.fairness["model"] == "churn-model" and reports.fairness["version"] == 1
    assert [f["feature"] for f in reports.fairness["features"]] == ["region"]
    assert reports.explainability["explainer"] == "LinearExplainer"
    body = [m for m in stage.messages if not m.startswith("Fairness: fail")]
    assert body[:len(reports.fairness["summary"])] == reports.fairness["summary"]

    scores = load_test_scores(app, "churn-model", 1)
    assert list(scores.columns) == ["y_true", "score", "sensitive:region", "group:region"]
    assert len(scores) == 300
    whatif = threshold_whatif(scores, [0.5], sensitive="region")
    by_group = {g["group"]: g for g in reports.fairness["features"][0]["groups"]}
    for _, row in whatif[whatif["group"] != "Everyone"].iterrows():
        assert row["selection_rate"] == pytest.approx(by_group[row["group"]]["selection_rate"]["value"])

    card = load_model_card(app, "churn-model", 1, "html")
    assert card.sha256 == hashlib.sha256(card.content).hexdigest() == refs["model_card_html"].sha256
    assert card.filename == "churn-model-v1-model-card.html" and card.mime == "text/html"


def test_model_card_escapes_every_user_text_and_stands_alone(sqlite_app, tmp_path):
    def hostile(frame):
        frame["region"] = frame["region"].replace({"north": "<i>north</i>"})
        return frame

    spec = _hand_made(tmp_path, edit=hostile)
    text = spec.read_text().replace('description = "A model made by the tests."',
                                    'description = "<script>alert(\'x\')</script> & <b>friends</b>"')
    text = text.replace('owner = "test-team"', 'owner = "<img src=x onerror=alert(1)>"')
    spec.write_text(text)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert result.passed, result.reason
    page = load_model_card(sqlite_app, "churn-model", 1, "html").content.decode()
    markdown = load_model_card(sqlite_app, "churn-model", 1, "markdown").content.decode()
    assert set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", page)) <= ALLOWED_TAGS
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;friends&lt;/b&gt;" in page
    assert "&lt;i&gt;north&lt;/i&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in markdown and "<i>" not in markdown and "&lt;i&gt;north&lt;/i&gt;" in markdown
    for heading in ("Purpose and use", "Data and lineage", "Metrics and comparisons", "Fairness", "Explainability",
                    "Sign-off", "Limitations"):
        assert f"<h2>{heading}</h2>" in page and f"## {heading}" in markdown


def test_sensitive_feature_that_is_not_a_column(sqlite_app, tmp_path):
    spec = _hand_made(tmp_path, sensitive='["region", "zip_code"]')
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert result.passed, result.reason
    stage, reports = _reports_stage(sqlite_app, result)
    assert [f["feature"] for f in reports.fairness["features"]] == ["region"]
    assert "'zip_code' is not a column of the test data" in reports.fairness["not_computed"][0]["reason"]
    assert any("Not computed — sensitive feature 'zip_code'" in m for m in stage.messages)


def test_sensitive_feature_with_a_single_value(sqlite_app, tmp_path):
    spec = _hand_made(tmp_path, sensitive='["country", "region"]', edit=lambda f: f.assign(country="DE"))
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert result.passed, result.reason
    _, reports = _reports_stage(sqlite_app, result)
    assert [f["feature"] for f in reports.fairness["features"]] == ["region"]
    assert reports.fairness["not_computed"][0]["reason"] == (
        "The sensitive feature 'country' has a single value ('DE') in the test data, so there are no groups to compare.")


def test_test_set_smaller_than_the_minimum_group_size(sqlite_app, tmp_path):
    spec = _hand_made(tmp_path, test_rows=24)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    stage, reports = _reports_stage(sqlite_app, result)
    assert stage.status == "passed"
    assert "The test set has 24 rows, fewer than the minimum group size of 30" in \
        reports.fairness["not_computed"][0]["reason"]
    assert {c["verdict"] for f in reports.fairness["features"] for c in f["checks"]} == {"insufficient_evidence"}
    assert reports.explainability["explainer"] == "LinearExplainer"  # the rest is still written


def test_model_no_explainer_supports(sqlite_app, tmp_path):
    spec = _hand_made(tmp_path, factory=DUMMY_FACTORY)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    stage, reports = _reports_stage(sqlite_app, result)
    assert stage.status == "passed"
    assert reports.explainability["explainer"] is None
    assert reports.explainability["not_computed"][0]["reason"].startswith(
        "No explainer supports DummyClassifier as built: it receives text columns (region)")
    assert reports.fairness["features"][0]["feature"] == "region"  # fairness is still reported
    assert stage.evidence["explainability"]["explainer"] is None


LABELS = textwrap.dedent("""\

    [labels]
    outcome = "renews the contract"
    subjects = "customers"

    [labels.features]
    region = "home region"

    [labels.values.region]
    north = "the North"
""")


def test_a_second_version_is_compared_with_the_first_on_the_same_rows(sqlite_app, tmp_path):
    spec = _hand_made(tmp_path, sensitive='["region", "income"]')
    spec.write_text(spec.read_text() + LABELS)
    first = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    second = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert first.passed and second.passed, (first.reason, second.reason)
    # Nothing is in production: the previous version that passed validation is the reference.
    validation = next(s for s in second.stages if s.stage == "test_validation")
    (comparison,) = validation.evidence["comparisons"]
    assert (comparison["version"], comparison["roles"]) == (1, ["previous validated"])
    assert comparison["comparison"]["roc_auc"]["low"] <= comparison["comparison"]["roc_auc"]["difference"]
    assert validation.evidence["champion"] is None
    assert any(m.startswith("No clear difference from version 1 (the previous version that passed validation)")
               for m in validation.messages)
    reports = load_reports(sqlite_app, "churn-model", 2)
    (fair,) = reports.fairness["comparisons"]
    measured = [c for c in fair["changes"] if c["change"] is not None]
    assert fair["version"] == 1 and measured
    for change in measured:  # the same model twice: no gap moved
        assert change["change"] == pytest.approx(0.0, abs=1e-12) and change["direction"] == "no clear change"
    card = load_model_card(sqlite_app, "churn-model", 2, "markdown").content.decode()
    assert "version 1 (the previous version that passed validation)" in card


def test_labels_bands_and_sensitive_inputs_reach_both_reports(sqlite_app, tmp_path):
    spec = _hand_made(tmp_path, sensitive='["region", "income"]')
    spec.write_text(spec.read_text() + LABELS)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert result.passed, result.reason
    _, reports = _reports_stage(sqlite_app, result)
    fairness, explainability = reports.fairness, reports.explainability
    assert fairness["labels"]["outcome"] == "renews the contract"
    assert any("customers with home region = the North" in s for s in fairness["summary"]) or \
        any("home region" in s for s in fairness["summary"])
    # income is a sensitive feature and an input: the same bands, named alike, in both reports.
    bands = [b["label"] for b in next(f for f in fairness["features"] if f["feature"] == "income")["bands"]]
    effect = next((e for e in explainability["effects"] if e["feature"] == "income"), None)
    assert effect is not None and [v["value"] for v in effect["by_value"]] == bands
    inputs = {(i["input"], i["kind"]) for i in fairness["sensitive_inputs"]}
    assert {("region", "same"), ("income", "same")} <= inputs
    assert any(s.startswith("The model uses sensitive information as input") for s in fairness["summary"])


def test_the_card_records_the_decision_and_its_acknowledgements(sqlite_app, tmp_path):
    from tests.factories import add_user

    spec = _hand_made(tmp_path)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert result.passed, result.reason
    before = load_model_card(sqlite_app, "churn-model", 1, "markdown").content.decode()
    assert "State: Awaiting sign-off by business owner." in before or "waits for sign-off" in before
    failed = sqlite_app.signoffs.failed_checks("churn-model", 1)
    assert failed, "the hand-made model treats regions differently"
    add_user(sqlite_app, "bea", "business_owner")
    texts = {c["key"]: f"Accepted: {c['key']} is explained by the regions' markets." for c in failed}
    sqlite_app.signoffs.decide("churn-model", 1, reviewer=sqlite_app.accounts.get_user("bea"), role="business_owner",
                               decision="approve", comment="Fine.",
                               evidence=sqlite_app.signoffs.status("churn-model", 1).evidence,
                               acknowledgements=texts)
    card = load_model_card(sqlite_app, "churn-model", 1, "markdown").content.decode()
    assert "State: Approved by every required reviewer." in card
    for text in texts.values():
        assert text in card
    # The card is not signed evidence: rewriting it leaves the approval valid.
    assert sqlite_app.signoffs.status("churn-model", 1).signoffs[0].valid


def test_the_card_names_what_is_predicted_its_use_provenance_every_feature_and_units(sqlite_app, tmp_path):
    def wide(frame):
        for i in range(22):
            frame[f"extra_{i:02d}"] = (frame.index * (i + 1)) % 7
        return frame

    spec = _hand_made(tmp_path, edit=wide)
    spec.write_text(spec.read_text() + LABELS)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    assert result.passed, result.reason
    card = load_model_card(sqlite_app, "churn-model", 1, "markdown").content.decode()
    assert "For each case it estimates the chance that label = yes ('renews the contract')." in card
    assert "Intended use: A model made by the tests." in card and "Out of scope:" in card
    assert "Decision threshold: a case is flagged when the estimated chance is at least 50%" in card
    assert "Estimator factory: model:build" in card and "Training data: train.csv, 800 rows, SHA-256" in card
    assert all(f"| extra_{i:02d} |" in card for i in range(22)), "every feature is listed, not the first 20"
    assert "| home region (region) | category | yes |" in card
    assert "Pushes are in log-odds" in card and "Average push (log-odds)" in card
    assert "State: Passed every automated stage; next it waits for sign-off by business owner." in card or \
        "State: Awaiting sign-off by business owner." in card
    page = load_model_card(sqlite_app, "churn-model", 1, "html").content.decode()
    assert '<abbr title="region">home region</abbr>' in page
