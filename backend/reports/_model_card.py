"""The model card: purpose, data, metrics, fairness, explainability and limitations.

Built from the evidence the pipeline stored, as one list of sections rendered twice — Markdown
and a single self-contained HTML file (inline style, no scripts, no outside resources). Every
text that came from a person (spec, data, commit, reports) is escaped before it is rendered.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.domain import ArtifactRef, Model, StageRun, Version
from backend.metrics import METRICS, format_value
from backend.reports._summaries import percent

__all__ = ["Section", "Table", "model_card_sections", "render_markdown", "render_html", "VERDICT_LABELS",
           "deployment_section"]

VERDICT_LABELS = {"pass": "Pass", "fail": "Fail", "insufficient_evidence": "Insufficient evidence",
                  "not_assessed": "Not assessed"}


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _purpose(model: Model, version: Version) -> Section:
    positive = (version.input_schema or {}).get("positive_label")
    what = (f"It estimates the chance of the outcome '{positive}'." if model.task == "classification" and positive
            else f"It is a {model.task} model.")
    return Section("Purpose", paragraphs=[model.description or "No description was given.", what], bullets=[
        f"Owner: {model.owner}", f"Risk tier: {model.risk_tier}", f"Estimator: {version.estimator or 'not built'}",
        f"Author of this version: {version.author}", f"Git commit: {version.git_commit or 'unknown'}",
        f"Registered: {version.created_at:%Y-%m-%d %H:%M} UTC"])


def _data(version: Version, stages: dict[str, StageRun]) -> Section:
    build = stages.get("build")
    data = (build.evidence.get("data") if build else None) or {}
    schema = version.input_schema or {}
    bullets = []
    for split in ("train", "test"):
        info = data.get(split)
        if info:
            bullets.append(f"{'Training' if split == 'train' else 'Test'} data: {info['file']}, {info['rows']:,} rows "
                           f"(SHA-256 {info['sha256'][:16]}…)")
    if schema.get("columns"):
        bullets.append(f"Features: {len(schema['columns'])} ({', '.join(list(schema['columns'])[:20])}"
                       f"{' …' if len(schema['columns']) > 20 else ''})")
    bullets.append("Sensitive features: " + (", ".join(schema.get("sensitive_features") or []) or "none named"))
    if data.get("positive_share_train") is not None:
        bullets.append(f"Share of positive outcomes in the training data: {percent(data['positive_share_train'])}")
    if version.data_fingerprint:
        bullets.append(f"Data fingerprint: {version.data_fingerprint}")
    return Section("Data", bullets=bullets or ["The data was not read: the pipeline stopped before it."])


def _metrics(version: Version, stages: dict[str, StageRun]) -> Section:
    rows = [[METRICS[name].label, format_value(name, version.metrics[name]), METRICS[name].explanation]
            for name in METRICS if name in (version.metrics or {})]
    section = Section("Metrics", tables=[Table(["Measure", "Value", "What it means"], rows)] if rows else [])
    validation = stages.get("test_validation")
    if validation is None:
        section.paragraphs.append("The model was not measured in the test environment: the pipeline stopped before it.")
        return section
    section.paragraphs.append(f"Measured on {validation.evidence.get('test_rows', 0):,} test rows the model never saw.")
    section.bullets = [f"{'Pass' if g['passed'] else 'Fail'}: {g['reason']}" for g in validation.evidence.get("gates", [])]
    champion = validation.evidence.get("champion") or {}
    if champion.get("summary"):
        section.paragraphs.append(champion["summary"])
    return section


def _fairness(report: dict[str, Any] | None) -> Section:
    if report is None:
        return Section("Fairness", paragraphs=["No fairness report: the pipeline stopped before the reports stage."])
    section = Section("Fairness", paragraphs=[" ".join(report["summary"])])
    checks = [[f["feature"], c["label"], _num(c["value"], 2), f"{_num(c['low'], 2)} – {_num(c['high'], 2)}",
               f"{'≥' if c['bound'] == 'min' else '≤'} {c['threshold']:.2f}", VERDICT_LABELS[c["verdict"]]]
              for f in report["features"] for c in f["checks"]]
    if checks:
        section.tables.append(Table(["Sensitive feature", "Check", "Value", "95% interval", "Policy", "Verdict"], checks))
    metric = "selection_rate" if report["task"] == "classification" else "mae"
    groups = [[f["feature"], g["group"], f"{g['count']:,}", percent(g["share"]["value"]),
               (percent(g[metric]["value"]) if metric == "selection_rate" else _num(g[metric]["value"]))]
              for f in report["features"] for g in f["groups"]]
    if groups:
        label = "Selection rate" if metric == "selection_rate" else "Average error (MAE)"
        section.tables.append(Table(["Sensitive feature", "Group", "People", "Share", label], groups))
    production = report.get("production") or {}
    if report.get("changes"):
        section.paragraphs.append(f"Compared with production version {production.get('version')}, on the same rows:")
        section.tables.append(Table(["Sensitive feature", "Check", "Production", "This version", "Change"], [
            [c["feature"], c["label"], _num(c["before"], 2), _num(c["after"], 2),
             "—" if c["change"] is None else f"{c['change']:+.2f}"] for c in report["changes"]]))
    section.bullets = list(report.get("warnings", []))
    return section


def _explainability(report: dict[str, Any] | None) -> Section:
    if report is None:
        return Section("Explainability", paragraphs=["No explainability report: the pipeline stopped before the "
                                                     "reports stage."])
    section = Section("Explainability", paragraphs=[" ".join(report["summary"])])
    if report.get("explainer"):
        section.paragraphs.append(f"Method: {report['explainer']} — {report['explainer_reason']}.")
        section.tables.append(Table(["Feature", "Share of the model's total effect", "Average push (signed)"], [
            [d["feature"], percent(d["share"]), f"{d['mean_effect']:+.3f}"] for d in report["global"][:10]]))
        section.bullets = list(report.get("notes", []))
    return section


def _limitations(version: Version, stages: dict[str, StageRun], fairness: dict | None,
                 explainability: dict | None) -> Section:
    items = []
    failed = [s for s in stages.values() if s.status == "failed"]
    if failed:
        items.append(f"The pipeline stopped at {failed[0].stage}: {version.failure_reason or failed[0].messages[:1]}. "
                     "This version must not go to production as it is.")
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
                         + ("the policy stops such a model." if blocks else "the policy leaves the decision to the "
                                                                           "sign-off reviewers."))
        if unsure:
            items.append(f"Too little evidence for a verdict on {', '.join(unsure)}.")
        items.append("Fairness was checked only for the sensitive features named in the spec, on the test data; "
                     "other groups were not examined.")
    if explainability and explainability.get("sampled"):
        items.append(f"Explanations rest on {explainability['rows_explained']:,} of {explainability['test_rows']:,} "
                     "test rows.")
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
                        fairness: dict[str, Any] | None, explainability: dict[str, Any] | None) -> tuple[str, list[Section]]:
    """The card's title and sections, from a version's stored evidence."""
    by_stage = {s.stage: s for s in stages}
    title = f"Model card: {model.title} ({model.name}), version {version.number}"
    status = Section("Status", paragraphs=[
        f"State: {version.state.replace('_', ' ')}." + (f" Reason: {version.failure_reason}" if version.failure_reason else ""),
        "Stages: " + ", ".join(f"{s.stage} {s.status}" for s in stages) + "."])
    return title, [status, _purpose(model, version), _data(version, by_stage), _metrics(version, by_stage),
                   _fairness(fairness), _explainability(explainability),
                   _limitations(version, by_stage, fairness, explainability), _evidence(version, artifacts)]


def _md(text: str) -> str:
    """Plain text safe inside Markdown: no raw HTML, no table breaks."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, sections: list[Section], *, generated: datetime | None = None) -> str:
    generated = generated or datetime.now(UTC)
    out = [f"# {_md(title)}", ""]
    for section in sections:
        out += [f"## {_md(section.title)}", ""]
        for paragraph in section.paragraphs:
            out += [_md(paragraph), ""]
        for table in section.tables:
            out.append("| " + " | ".join(_md(h) for h in table.headers) + " |")
            out.append("|" + "---|" * len(table.headers))
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
            out.append("")
        if section.bullets:
            out += [f"- {_md(b)}" for b in section.bullets] + [""]
    out.append(f"_Generated by Greenlight from the pipeline's stored evidence, {generated:%Y-%m-%d %H:%M} UTC._")
    return "\n".join(out) + "\n"


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1f24;line-height:1.5}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.8rem 0;width:100%;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.v-fail{color:#b42318;font-weight:600}
td.v-pass{color:#1a7f37;font-weight:600}td.v-insufficient-evidence{color:#9a6700;font-weight:600}
footer{margin-top:2rem;color:#57606a;font-size:.85rem}code{word-break:break-all}
"""


def _cell(text: str) -> str:
    css = re.sub(r"[^a-z]+", "-", text.lower()).strip("-")
    cls = f' class="v-{css}"' if text in VERDICT_LABELS.values() else ""
    return f"<td{cls}>{html.escape(str(text))}</td>"


def render_html(title: str, sections: list[Section], *, generated: datetime | None = None) -> str:
    """One self-contained HTML file: inline style only, every text escaped."""
    generated = generated or datetime.now(UTC)
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for section in sections:
        out.append(f"<section><h2>{html.escape(section.title)}</h2>")
        out += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
                       + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows]
            out.append("</tbody></table>")
        if section.bullets:
            out.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
        out.append("</section>")
    out.append(f"<footer>Generated by Greenlight from the pipeline's stored evidence, "
               f"{generated:%Y-%m-%d %H:%M} UTC.</footer></body></html>")
    return "\n".join(out) + "\n"
