"""The model card: status, purpose and use, data and lineage, metrics and comparisons, fairness,
explainability, sign-off and limitations.

Built from the evidence the pipeline and the reviewers stored, as one list of sections that
:mod:`backend.reports._card_render` renders as Markdown and as one self-contained HTML file.
Features and values appear under the spec's display names, with the raw data name beside them.
"""

from __future__ import annotations

from typing import Any

from backend.domain import ArtifactRef, Model, SignOffStatus, StageRun, Version
from backend.metrics import METRICS, format_value
from backend.reports._card_render import VERDICT_LABELS, Named, Section, Table
from backend.reports._labels import Labels
from backend.reports._summaries import describe_input, percent

__all__ = ["model_card_sections", "VERDICT_LABELS", "STAGE_WORDS", "deployment_section"]

STAGE_WORDS = {"build": "build", "smoke_checks": "smoke checks", "reports": "fairness and explainability reports",
               "test_validation": "test-environment validation", "manual_validation": "sign-off by reviewers"}
_STATE_WORDS = {"registered": "Registered: the pipeline has started", "built": "Built", "checked": "Checked",
                "reported": "Reports written", "awaiting_signoff": "Awaiting sign-off",
                "approved": "Approved by every required reviewer", "canary": "In a canary",
                "production": "In production", "retired": "Retired", "failed": "Stopped by the pipeline",
                "rejected": "Rejected by a reviewer", "rolled_back": "Rolled back"}
_ROLE_WORDS = {"production": "the production version", "previous approved": "the previous approved version",
               "previous validated": "the previous version that passed validation"}
_UNITS = {"log-odds": "log-odds: +0.7 roughly doubles the odds of the outcome",
          "probability": "percentage points of the score", "prediction": "the target's own units"}


def _num(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _reason(version: Version) -> tuple[str | None, str]:
    """(stage, reason) from ``"test_validation: Failed the gate …"``, so it is printed once."""
    stage, sep, rest = (version.failure_reason or "").partition(": ")
    return (stage, rest) if sep and stage in STAGE_WORDS else (None, version.failure_reason or "")


def _stage_result(run: StageRun) -> str:
    fairness = (run.evidence or {}).get("fairness") or {}
    checks = fairness.get("checks") or []
    failed = sum(1 for c in checks if c.get("verdict") == "fail")
    if run.stage == "reports" and run.status == "passed" and failed:
        return f"{STAGE_WORDS[run.stage]}: done, with {failed} of {len(checks)} fairness checks failing"
    word = {"passed": "passed", "failed": "failed", "waiting": "waiting for people", "running": "running"}
    return f"{STAGE_WORDS.get(run.stage, run.stage)}: {word.get(run.status, run.status)}"


def _status(version: Version, stages: list[StageRun], signoffs: SignOffStatus | None) -> Section:
    stage, reason = _reason(version)
    roles = ", ".join(r.replace("_", " ") for r in ((version.policy or {}).get("signoff") or {}).get("roles") or [])
    if version.state == "validated" and not version.failure_reason:
        state = f"Passed every automated stage; next it waits for sign-off by {roles or 'the reviewers'}."
    elif version.state == "awaiting_signoff" and signoffs is not None:
        missing = ", ".join(r.replace("_", " ") for r in signoffs.missing_roles)
        state = f"Awaiting sign-off by {missing or roles}."
    elif version.state in ("failed", "rejected", "rolled_back"):
        where = f" at {STAGE_WORDS[stage]}" if stage else ""
        state = f"{_STATE_WORDS[version.state]}{where}: {reason}"
    else:
        state = _STATE_WORDS.get(version.state, version.state.replace("_", " ")) + "."
    return Section("Status", paragraphs=[f"State: {state}",
                                         "Stages: " + "; ".join(_stage_result(s) for s in stages) + "."])


def _purpose(model: Model, version: Version, labels: Labels, fairness: dict | None) -> Section:
    schema = version.input_schema or {}
    target, positive = schema.get("target"), schema.get("positive_label")
    if model.task == "classification" and target:
        outcome = f"{target} = {positive}"
        named = f" ('{labels.outcome}')" if labels.outcome else ""
        what = f"For each case it estimates the chance that {outcome}{named}."
    else:
        what = f"For each case it predicts {target or 'a number'}."
    threshold = (fairness or {}).get("threshold")
    paragraphs = [model.description or "No description was given.", what]
    if model.task == "classification":
        cut = threshold if threshold is not None else 0.5
        paragraphs.append(
            f"Decision threshold: a case is flagged when the estimated chance is at least {cut:.0%}. This is "
            "Greenlight's default, the point where the model judges the outcome more likely than not; the spec sets "
            "no other. A higher threshold flags fewer cases (fewer false alarms, more misses); the Reports page "
            "shows, for each group, what another threshold would change.")
    return Section("Purpose and use", paragraphs=paragraphs, bullets=[
        f"Intended use: {model.description or 'as described by its owner'} Owner: {model.owner}; risk tier "
        f"{model.risk_tier}.",
        "Out of scope: any other decision, or people unlike those in the training data; deciding about a person on "
        "the score alone, without the human review the organisation's policy asks for; use after the data has "
        "changed, since every measurement here holds for data like the test data."])


def _data(version: Version, stages: dict[str, StageRun], labels: Labels) -> Section:
    build = stages.get("build")
    evidence = (build.evidence if build else None) or {}
    data = evidence.get("data") or {}
    schema = version.input_schema or {}
    bullets = []
    for split in ("train", "test"):
        info = data.get(split)
        if info:
            bullets.append(f"{'Training' if split == 'train' else 'Test'} data: {info['file']}, {info['rows']:,} rows, "
                           f"SHA-256 {info['sha256']}")
    if data.get("positive_share_train") is not None:
        bullets.append(f"Share of positive outcomes in the training data: {percent(data['positive_share_train'])}")
    if version.data_fingerprint:
        bullets.append(f"Data fingerprint (training and test files together): {version.data_fingerprint}")
    bullets += [f"Spec file: {version.spec_path or 'not recorded'} ({version.spec_hash or 'no hash'})",
                f"Git commit of the model's code: {version.git_commit or 'not recorded'}",
                f"Estimator factory: {evidence.get('factory') or 'not recorded'}; model: "
                f"{version.estimator or 'not built'}",
                f"Author: {version.author}; registered {version.created_at:%Y-%m-%d %H:%M} UTC"]
    section = Section("Data and lineage", bullets=bullets if build else [
        "The data was not read: the pipeline stopped before it."] + bullets[-4:])
    columns = schema.get("columns") or {}
    if columns:
        sensitive = set(schema.get("sensitive_features") or [])
        section.paragraphs.append(f"The model takes {len(columns)} input features:")
        section.tables.append(Table(["Feature", "Kind", "Sensitive"], [
            [Named(labels.feature(c), c), kind, "yes" if c in sensitive else ""] for c, kind in columns.items()]))
    named = schema.get("sensitive_features") or []
    section.bullets.append("Sensitive features named in the spec: "
                           + (", ".join(str(Named(labels.feature(f), f)) for f in named) or "none"))
    return section


def _comparison_rows(comparison: dict[str, Any]) -> list[list[str]]:
    return [[METRICS[name].label if name in METRICS else name, format_value(name, interval.get("challenger")),
             format_value(name, interval.get("champion")), f"{interval.get('difference', 0):+.3f}",
             f"{interval.get('low', 0):+.3f} to {interval.get('high', 0):+.3f}"]
            for name, interval in (comparison.get("comparison") or {}).items()]


def _metrics(version: Version, stages: dict[str, StageRun]) -> Section:
    rows = [[METRICS[name].label, format_value(name, version.metrics[name]), METRICS[name].explanation]
            for name in METRICS if name in (version.metrics or {})]
    section = Section("Metrics and comparisons",
                      tables=[Table(["Measure", "Value", "What it means"], rows)] if rows else [])
    validation = stages.get("test_validation")
    if validation is None:
        section.paragraphs.append("The model was not measured in the test environment: the pipeline stopped before it.")
        return section
    evidence = validation.evidence or {}
    section.paragraphs.append(f"Measured on {evidence.get('test_rows', 0):,} test rows the model never saw.")
    section.bullets = [f"{'Pass' if g['passed'] else 'Fail'}: {g['reason']}" for g in evidence.get("gates", [])]
    comparisons = evidence.get("comparisons")
    if comparisons is None and evidence.get("champion"):
        comparisons = [{**evidence["champion"], "roles": ["production"]}]
    if not comparisons:
        section.paragraphs.append("No earlier version had passed validation, so there was nothing to compare with.")
    for comparison in comparisons or []:
        who = f"version {comparison['version']} (" + " and ".join(
            _ROLE_WORDS.get(r, r) for r in comparison.get("roles", [])) + ")"
        if comparison.get("error"):
            section.paragraphs.append(f"Compared with {who}: not possible, {comparison['error']}")
            continue
        section.paragraphs.append(f"Compared with {who} on the same rows: {comparison.get('summary', '')}")
        section.tables.append(Table(["Measure", "This version", f"Version {comparison['version']}", "Difference",
                                     "95% interval of the difference"], _comparison_rows(comparison)))
    return section


def _fairness(report: dict[str, Any] | None, labels: Labels) -> Section:
    if report is None:
        return Section("Fairness", paragraphs=["No fairness report: the pipeline stopped before the reports stage."])
    section = Section("Fairness", paragraphs=[" ".join(report["summary"])])
    inputs = report.get("sensitive_inputs") or []
    if inputs:
        section.paragraphs.append("Sensitive information used as input: "
                                  + "; ".join(describe_input(i, labels) for i in inputs) + ".")
    checks = [[Named(labels.feature(f["feature"]), f["feature"]), c["label"], _num(c["value"]),
               f"{_num(c['low'])} – {_num(c['high'])}", f"{'≥' if c['bound'] == 'min' else '≤'} {c['threshold']:.2f}",
               str(c.get("groups_judged", "")), VERDICT_LABELS[c["verdict"]]]
              for f in report["features"] for c in f["checks"]]
    if checks:
        section.tables.append(Table(["Sensitive feature", "Check", "Value", "95% interval", "Policy",
                                     "Groups judged", "Verdict"], checks))
    if report["task"] == "classification":
        groups = [[Named(labels.feature(f["feature"]), f["feature"]),
                   Named(labels.group(f["feature"], g["group"]), g["group"]), f"{g['count']:,}",
                   _rate(g.get("selection_rate")), _rate(g.get("base_rate")),
                   "" if g.get("judged", True) else "too few to judge"]
                  for f in report["features"] for g in f["groups"]]
        headers = ["Sensitive feature", "Group", "People", "Selected (k of n)", "Real positives (k of n)", "Note"]
    else:
        groups = [[Named(labels.feature(f["feature"]), f["feature"]),
                   Named(labels.group(f["feature"], g["group"]), g["group"]), f"{g['count']:,}",
                   _num(g["mae"]["value"], 3)] for f in report["features"] for g in f["groups"]]
        headers = ["Sensitive feature", "Group", "People", "Average error (MAE)"]
    if groups:
        section.tables.append(Table(headers, groups))
    for comparison in report.get("comparisons") or []:
        who = f"version {comparison['version']} (" + " and ".join(
            _ROLE_WORDS.get(r, r) for r in comparison.get("roles", [])) + ")"
        if comparison.get("error"):
            section.paragraphs.append(f"Compared with {who}: not possible, {comparison['error']}")
        elif comparison.get("changes"):
            section.paragraphs.append(f"Compared with {who}, on the same rows (95% interval of each change):")
            section.tables.append(Table(["Sensitive feature", "Check", f"Version {comparison['version']}",
                                         "This version", "Change", "95% interval", "Direction"], [
                [labels.feature(c["feature"]), c["label"], _num(c["before"]), _num(c["after"]),
                 "—" if c["change"] is None else f"{c['change']:+.2f}",
                 "—" if c.get("low") is None else f"{c['low']:+.2f} to {c['high']:+.2f}", c.get("direction", "")]
                for c in comparison["changes"]]))
    section.bullets = list(report.get("warnings", [])) + [
        "Rates come with exact 95% intervals and their counts; a rate is judged only when at least "
        f"{(report.get('policy') or {}).get('min_group_size', 30)} cases stand behind it."]
    return section


def _rate(cell: dict[str, Any] | None) -> str:
    if not cell or cell.get("value") is None:
        return "—"
    return f"{percent(cell['value'])} ({cell.get('k', 0):,} of {cell.get('n', 0):,})"


def _explainability(report: dict[str, Any] | None, labels: Labels) -> Section:
    if report is None:
        return Section("Explainability", paragraphs=["No explainability report: the pipeline stopped before the "
                                                     "reports stage."])
    section = Section("Explainability", paragraphs=[" ".join(report["summary"])])
    if report.get("explainer"):
        units = report.get("units")
        section.paragraphs.append(f"Method: {report['explainer']} — {report['explainer_reason']}. SHAP values split "
                                  "a score into the push of each input, from the model's average score.")
        section.paragraphs.append(f"Pushes are in {_UNITS.get(units, units or 'the model output')}.")
        section.tables.append(Table(["Feature", "Share of the model's total effect", f"Average push ({units})"], [
            [Named(labels.feature(d["feature"]), d["feature"]), percent(d["share"]), f"{d['mean_effect']:+.3f}"]
            for d in report["global"][:10]]))
        section.bullets = list(report.get("notes", []))
    return section


def _signoff(signoffs: SignOffStatus | None, labels: Labels) -> Section:
    section = Section("Sign-off")
    if signoffs is None or not signoffs.signoffs:
        roles = ", ".join(r.replace("_", " ") for r in (signoffs.required_roles if signoffs else ())) or "none yet"
        section.paragraphs.append(f"No reviewer has decided yet (required: {roles}).")
        return section
    words = {"approve": "approved", "conditions": "approved with conditions", "reject": "rejected"}
    for s in signoffs.signoffs:
        line = (f"{s.username} ({s.role.replace('_', ' ')}) {words.get(s.decision, s.decision)} on "
                f"{s.created_at:%Y-%m-%d %H:%M} UTC" + (f": {s.comment}" if s.comment else ""))
        if not s.valid:
            line += f" — no longer counts ({s.void_reason})"
        section.bullets.append(line)
        for key, text in sorted(s.acknowledgements.items()):
            feature, _, metric = key.rpartition(":")
            check = METRICS[metric].label.lower() if metric in METRICS else metric
            section.bullets.append(f"Acknowledged failed check, {check} for {labels.feature(feature)}: {text}")
    return section


def _limitations(version: Version, fairness: dict | None, explainability: dict | None) -> Section:
    items = []
    stage, reason = _reason(version)
    if version.state == "failed":
        items.append(f"The pipeline stopped{f' at {STAGE_WORDS[stage]}' if stage else ''}: this version must not go "
                     "to production as it is.")
    for report in (fairness, explainability):
        for item in (report or {}).get("not_computed", []):
            items.append(f"Not computed — {item['item']}: {item['reason']}")
    if fairness:
        failing = [f"{c['label'].lower()} for {f['feature']}" for f in fairness["features"] for c in f["checks"]
                   if c["verdict"] == "fail"]
        unsure = [f"{c['label'].lower()} for {f['feature']}" for f in fairness["features"] for c in f["checks"]
                  if c["verdict"] == "insufficient_evidence"]
        if failing:
            blocks = (fairness.get("policy") or {}).get("blocks")
            items.append(f"Fails the fairness policy on {', '.join(failing)}; "
                         + ("the policy stops such a model." if blocks else "an approval must acknowledge each "
                                                                           "failed check in writing."))
        if unsure:
            items.append(f"Too little evidence for a verdict on {', '.join(unsure)}.")
        items.append("Fairness was checked only for the sensitive features named in the spec, on the test data; "
                     "other groups were not examined.")
    if explainability and explainability.get("sampled"):
        items.append(f"Explanations rest on a fixed sample of {explainability['rows_explained']:,} of "
                     f"{explainability['test_rows']:,} test rows.")
    items.append("Explanations describe how the model uses its inputs, not causes in the world.")
    items.append("Every measurement comes from the test data; people unlike those in it may be served differently.")
    return Section("Limitations", bullets=items)


def _evidence(version: Version, artifacts: list[ArtifactRef]) -> Section:
    rows = [[a.kind, a.sha256] for a in artifacts if not a.kind.startswith("model_card")]
    if version.spec_hash:
        rows.append(["spec", version.spec_hash.removeprefix("sha256:")])
    return Section("Evidence", paragraphs=["SHA-256 of everything this card is built from."],
                   tables=[Table(["Artifact", "SHA-256"], rows)])


def deployment_section(record: list[str]) -> Section:
    """How the version was deployed: canaries, the judge's verdicts, promotion (an admin's
    override with its written reason, if any), rollback. Rewritten after every such change."""
    if not record:
        return Section("Deployment", paragraphs=["Not deployed: this version has not served live traffic."])
    return Section("Deployment", paragraphs=["What happened when this version met live traffic, oldest first."],
                   bullets=list(record))


def model_card_sections(*, model: Model, version: Version, stages: list[StageRun], artifacts: list[ArtifactRef],
                        fairness: dict[str, Any] | None, explainability: dict[str, Any] | None,
                        signoffs: SignOffStatus | None = None) -> tuple[str, list[Section]]:
    """The card's title and sections, from a version's stored evidence and its sign-offs."""
    by_stage = {s.stage: s for s in stages}
    schema = version.input_schema or {}
    labels = Labels.from_dict((fairness or explainability or {}).get("labels"), target=schema.get("target"),
                              positive_label=schema.get("positive_label"))
    title = f"Model card: {model.title} ({model.name}), version {version.number}"
    return title, [_status(version, stages, signoffs), _purpose(model, version, labels, fairness),
                   _data(version, by_stage, labels), _metrics(version, by_stage), _fairness(fairness, labels),
                   _explainability(explainability, labels), _signoff(signoffs, labels),
                   _limitations(version, fairness, explainability), _evidence(version, artifacts)]
