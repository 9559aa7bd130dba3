"""The sections of the Model page: header, history, metrics, one version's evidence, lineage."""

from __future__ import annotations

from typing import Any

import streamlit as st

from backend.domain import ArtifactRef, ModelSummary, StageRun, Version, VersionPage
from portal import charts, tables
from portal.components import state_badge, text_table
from portal.navigation import REPORTS_PAGE, SIGNOFF_PAGE
from portal.wording import (
    escape_markdown,
    failure_sentence,
    format_duration,
    glossary_line,
    metric_explanation,
    metric_label,
    run_status,
    stage_explanation,
    stage_label,
    stage_took,
    state_explanation,
)

__all__ = ["model_header", "history_section", "metrics_section", "version_section"]


def _table(frame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")



def model_header(model: ModelSummary) -> None:
    st.title(escape_markdown(model.title or model.name))
    st.caption(f"Model {escape_markdown(model.name)} · owner: {escape_markdown(model.owner)} · risk tier: "
               f"{escape_markdown(model.risk_tier)} · task: {escape_markdown(model.task)}")
    st.markdown(escape_markdown(model.description) or "_No description given._")
    production = (f"version {model.production_version} serves all live traffic." if model.production_version
                  else "no version serves live traffic yet.")
    st.markdown(f"**In production:** {production}")


def history_section(page: VersionPage) -> None:
    st.header("Version history")
    shown = len(page.versions)
    newest, oldest = page.versions[0].number, page.versions[-1].number
    note = (f"All {shown} versions, newest first." if shown == page.total else
            f"Versions {newest} to {oldest} of {page.total}, newest first.")
    st.caption(f"Every version the pipeline registered, with where it stands now. {note} "
               "Hover over a dot for details.")
    st.altair_chart(charts.timeline_chart(page.versions), width="stretch")
    text_table(tables.version_history(page.versions))


def metrics_section(versions: list[Version], task: str | None) -> None:
    st.header("Key measures across versions")
    names = charts.key_metrics(versions, task)
    chart = charts.metrics_chart(versions, names)
    if chart is None:
        st.info("No version has been measured yet: measures appear once a version passes the "
                "test-environment validation stage.")
        return
    st.caption("The solid line is what each version measured on test data it never saw; dashed lines are "
               "the limits the model's policy set for that version.")
    st.altair_chart(chart, width="content")
    for name in names:
        st.markdown(f"- **{metric_label(name)}**: {metric_explanation(name)}")
    st.caption(glossary_line("ROC AUC", "p95"))


def version_section(version: Version, runs: list[StageRun], refs: list[ArtifactRef]) -> None:
    st.markdown(f"**State:** {state_badge(version.state)} — {state_explanation(version.state)}")
    if version.failure_reason:
        st.error(f"**Why version {version.number} stopped:** {escape_markdown(failure_sentence(version.failure_reason))}",
                 icon=":material/block:")
    _related_pages(version, refs)
    _stages(version, runs)
    _lineage(version, refs, runs)


def _related_pages(version: Version, refs: list[ArtifactRef]) -> None:
    """Where to read more about this version: its reports, and its sign-off packet."""
    where = {"model": version.model, "version": str(version.number)}
    reports, packet = st.columns(2)
    if any(ref.kind == "fairness_report" for ref in refs):
        reports.page_link(REPORTS_PAGE, label="Fairness and explainability reports", icon=":material/balance:",
                          query_params=where)
    if version.review_requested_at is not None:  # it reached manual validation
        packet.page_link(SIGNOFF_PAGE, label="Sign-off packet: evidence, reviewers and decisions",
                         icon=":material/approval:", query_params=where)


def _stages(version: Version, runs: list[StageRun]) -> None:
    st.subheader("Pipeline stages")
    if not runs:
        st.info("No pipeline stage has run for this version yet.")
        return
    st.caption("Each stage the pipeline ran on this version, in order, with how long it took. "
               "Open a stage to see its evidence.")
    text_table(tables.stage_summary(runs))
    for run in runs:
        label, icon = run_status(run)
        title = f"{stage_label(run.stage)} — {label} ({stage_took(run.status, run.duration_s)})"
        with st.expander(title, expanded=run.status != "passed" or label.startswith("⚠"), icon=icon):
            explanation = stage_explanation(run.stage)
            if explanation:
                st.caption(explanation)
            _stage_evidence(run, version)


def _messages(messages: list[str]) -> None:
    if messages:
        st.markdown("\n".join(f"- {escape_markdown(m)}" for m in messages))


def _stage_evidence(run: StageRun, version: Version) -> None:
    evidence: dict[str, Any] = run.evidence or {}
    if evidence.get("error_code") == "unexpected":
        st.warning("An unexpected error stopped this stage. The engineers have the technical details in the "
                   "stage record.", icon=":material/bug_report:")
        return
    if run.stage == "build":
        _build_evidence(evidence)
    elif run.stage == "smoke_checks" and evidence.get("checks"):
        st.markdown("**Checks on the stored model, loaded in a fresh process:**")
        _table(tables.smoke_checks(evidence["checks"]))
    elif run.stage == "test_validation" and ("metrics" in evidence or "gates" in evidence):
        _validation_evidence(evidence, version)
    elif run.stage == "reports" and evidence.get("fairness"):
        _reports_evidence(run, version)
    else:
        _messages(run.messages)


def _reports_evidence(run: StageRun, version: Version) -> None:
    fairness = run.evidence.get("fairness") or {}
    failed = [c for c in fairness.get("checks") or [] if c.get("verdict") == "fail"]
    if failed:
        st.warning(f"**The fairness report fails {len(failed)} of {len(fairness.get('checks') or [])} checks.** "
                   "The policy leaves the decision to the reviewers, who must acknowledge each failed check in "
                   "writing to approve: "
                   + "; ".join(f"{escape_markdown(c.get('label') or c['metric'])} for {escape_markdown(c['feature'])}"
                               for c in failed) + ".", icon=":material/warning:")
    _messages(run.messages)
    st.page_link(REPORTS_PAGE, label="Read the fairness and explainability reports", icon=":material/balance:",
                 query_params={"model": version.model, "version": str(version.number)})


def _build_evidence(evidence: dict[str, Any]) -> None:
    data = evidence.get("data") or {}
    train, test = data.get("train") or {}, data.get("test") or {}
    lines = []
    if evidence.get("estimator"):
        fit = evidence.get("fit_seconds")
        lines.append(f"Trained **{escape_markdown(evidence['estimator'])}**"
                     + (f" in {format_duration(fit)}" if fit is not None else "") + ".")
    if train:
        lines.append(f"Training data: {escape_markdown(str(train.get('file')))}, {train.get('rows', 0):,} rows"
                     + (f" with {data['features']} input columns" if data.get("features") else "") + ".")
    if test:
        lines.append(f"Test data, kept aside for validation: {escape_markdown(str(test.get('file')))}, "
                     f"{test.get('rows', 0):,} rows.")
    share = data.get("positive_share_train")
    if share is not None:
        lines.append(f"Share of '{escape_markdown(str(data.get('positive_label')))}' cases in the training "
                     f"data: {share:.0%}.")
    st.markdown("\n".join(f"- {line}" for line in lines) or "_No build evidence recorded._")


def _validation_evidence(evidence: dict[str, Any], version: Version) -> None:
    gates = tables.gates_of(version)
    if evidence.get("gates"):
        st.markdown("**Policy gates** — the limits the model's policy sets, and whether this version met them:")
        text_table(tables.gate_verdicts(evidence["gates"]))
    comparisons = evidence.get("comparisons")
    if comparisons is None and evidence.get("champion"):
        comparisons = [{**evidence["champion"], "roles": ["production"]}]
    st.markdown("**Comparison with earlier versions** — production if there is one, and the previous approved "
                "version (or else the previous one that passed validation), on the same test rows")
    if not comparisons:
        st.caption("No earlier version had passed validation when this one was validated, so there was nothing to "
                   "compare with.")
    for comparison in comparisons or []:
        title = tables.comparison_title(comparison)
        if comparison.get("error"):
            st.warning(f"The comparison with {escape_markdown(title.lower())} could not be made: "
                       f"{escape_markdown(str(comparison['error']))}")
            continue
        st.markdown(f"*{escape_markdown(title)}:* {escape_markdown(str(comparison.get('summary', '')))}")
        _table(tables.comparison_table(comparison))
    if comparisons:
        st.caption(f"Both versions scored the same {evidence.get('test_rows', 0):,} test rows; each interval comes "
                   "from 1,000 bootstrap resamples (re-drawing the rows at random to see how much the difference "
                   "moves by chance). If it excludes zero, the difference is unlikely to be chance.")
    rows = evidence.get("test_rows")
    if evidence.get("metrics"):
        st.markdown("**Accuracy on test data**"
                    + (f" — {rows:,} rows the model never saw during training" if rows else ""))
        _table(tables.metric_table(evidence["metrics"], gates))
    compute = {k: v for k, v in (evidence.get("compute") or {}).items() if k not in ("latency_calls", "batch_rows")}
    if compute:
        extra = evidence.get("compute") or {}
        detail = []
        if extra.get("latency_calls"):
            detail.append(f"latency over {extra['latency_calls']:,} single requests")
        if extra.get("batch_rows"):
            detail.append(f"throughput on a batch of {extra['batch_rows']:,} rows")
        st.markdown("**Speed and size, measured through the serving path**"
                    + (f" — {', '.join(detail)}" if detail else ""))
        _table(tables.metric_table(compute, gates))


def _lineage(version: Version, refs: list[ArtifactRef], runs: list[StageRun]) -> None:
    st.subheader("Lineage")
    st.caption("Where this version came from: enough to rebuild it and to prove that what runs is what was "
               "checked.")
    build = next((r for r in runs if r.stage == "build"), None)
    text_table(tables.lineage(version, (build.evidence or {}).get("factory") if build else None))
    st.markdown("**Stored files** — each with its SHA-256 fingerprint, checked every time the file is loaded:")
    if refs:
        _table(tables.artifacts(refs))
    else:
        st.caption("No files stored for this version yet.")
