"""The Reports page: choosing a version, then its fairness verdicts, groups, comparison with
production, what could not be computed, and the model card.

The explainability sections live in :mod:`portal.explain_view` and the threshold what-if in
:mod:`portal.whatif_view`. Every section reads what the pipeline stored; none runs a model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from backend.domain import ModelSummary, Version
from backend.metrics import METRICS
from backend.registry.states import State
from backend.reports import Labels, VersionReports, describe_input
from portal import data, explain_view, pickers, report_charts, report_data, whatif_view
from portal.components import state_badge
from portal.errors import errors_shown
from portal.navigation import MODEL_PAGE
from portal.report_tables import (
    changes_table,
    check_reason,
    group_columns,
    group_table,
    grouped_undecided,
    overall_verdict_sentence,
    report_labels,
    verdict_badge,
    verdict_label,
    verdict_rule,
)
from portal.wording import (
    GLOSSARY,
    GLOSSARY_PATH,
    REPORT_TERMS,
    escape_markdown,
    failure_sentence,
    glossary_line,
    state_explanation,
)

__all__ = ["choose_version", "render"]

_BOXES = {"pass": st.success, "fail": st.error, "insufficient_evidence": st.warning}
_ICONS = {"pass": ":material/check_circle:", "fail": ":material/cancel:",
          "insufficient_evidence": ":material/help:"}
_NOT_YET = {State.REGISTERED, State.BUILT, State.CHECKED}
_CONTENTS = [("Fairness verdict", "verdict"), ("In short", "in-short"), ("Groups", "groups"),
             ("Threshold what-if", "what-if"), ("Earlier versions", "production"), ("Top drivers", "drivers"),
             ("Single cases", "cases"), ("Limits", "limits"), ("Model card", "model-card"), ("Glossary", "glossary")]


def _table(frame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")


def _md(text: Any) -> str:
    return escape_markdown(str(text))


# -- choosing a version ----------------------------------------------------------------------


def choose_version(models: list[ModelSummary]) -> tuple[ModelSummary, Version] | None:
    """Model and version pickers that live in the URL (``?model=…&version=…``).

    Without a version in the URL, the newest version that has reports is chosen.
    """
    by_name = {m.name: m for m in models}
    left, right = st.columns(2)
    with left:
        name = pickers.model_picker(by_name)
    if name is None:
        return None
    page = data.list_versions(name)
    if not page.versions:
        st.info(f"{_md(by_name[name].title)} has no version yet. Run its pipeline to register one; the reports are "
                "written for every version that passes its smoke checks.")
        return None
    reported = report_data.versions_with_reports(name, [v.number for v in page.versions])

    def note(version: Version) -> str:
        # A deep-linked version older than the page shown is looked up on its own (cached).
        has_reports = version.number in reported or report_data.versions_with_reports(name, [version.number])
        return "" if has_reports else " (no reports)"

    with right:
        version = pickers.version_picker(name, page.versions, default=max(reported) if reported else None,
                                         note=note)
    return (by_name[name], version) if version is not None else None


# -- the page --------------------------------------------------------------------------------


def render(model: ModelSummary, version: Version, reports: VersionReports) -> None:
    st.header(f"{_md(model.title or model.name)}, version {version.number}")
    st.markdown(f"**State:** {state_badge(version.state)} — {state_explanation(version.state)}")
    st.page_link(MODEL_PAGE, label="Open this version's pipeline stages and lineage",
                 query_params={"model": model.name, "version": str(version.number)}, icon=":material/timeline:")
    if reports.fairness is None and reports.explainability is None:
        _no_reports(version)
        return
    shown = [(title, anchor) for title, anchor in _CONTENTS
             if reports.fairness is not None or anchor not in {"groups", "what-if", "production"}]
    st.caption("On this page: " + " · ".join(f"[{title}](#{anchor})" for title, anchor in shown))
    fairness, explainability = reports.fairness, reports.explainability
    with errors_shown():
        _verdict_section(fairness, version)
    with errors_shown():
        _summaries(fairness, explainability)
    if fairness is not None:
        with errors_shown():
            _groups_section(fairness)
        with errors_shown():
            whatif_view.whatif_section(model.name, version.number, fairness, reports.has_test_scores)
        with errors_shown():
            _production_section(fairness, model)
    with errors_shown():
        explain_view.explainability_sections(explainability, (fairness or {}).get("threshold"))
    with errors_shown():
        _limits_section(fairness, explainability)
    with errors_shown():
        _model_card_section(model.name, version.number, reports)
    _glossary()


def _no_reports(version: Version) -> None:
    if version.state in _NOT_YET:
        st.info(f"Version {version.number} has no reports yet: the pipeline writes the fairness and explainability "
                "reports right after the smoke checks. Come back once it has got that far.",
                icon=":material/hourglass_top:")
        return
    if version.failure_reason:
        st.info(f"Version {version.number} has no fairness or explainability reports: the pipeline stopped "
                f"before writing them. {_md(failure_sentence(version.failure_reason))}",
                icon=":material/description:")
        return
    st.info(f"Version {version.number} has no fairness or explainability reports: none were stored for it.",
            icon=":material/description:")


def _verdict_section(fairness: dict[str, Any] | None, version: Version) -> None:
    st.subheader("Fairness verdict", anchor="verdict")
    if fairness is None:
        st.warning(f"Version {version.number} has no fairness report, so there is no fairness verdict.",
                   icon=":material/help:")
        return
    verdict = fairness.get("verdict")
    labels = report_labels(fairness)
    box = _BOXES.get(verdict, st.info)
    box(f"**{verdict_label(verdict)}.** {overall_verdict_sentence(fairness)}", icon=_ICONS.get(verdict, ":material/info:"))
    _sensitive_inputs(fairness, labels)
    if any(f.get("checks") for f in fairness.get("features", [])):
        st.caption(verdict_rule(fairness))
    for feature in fairness.get("features", []):
        decided = [c for c in feature.get("checks", []) if c["verdict"] != "insufficient_evidence"]
        if not feature.get("checks"):
            continue
        name = _md(labels.feature(feature["feature"]))
        lines = [f"- {verdict_badge(c['verdict'])} — {_md(check_reason(c))}" for c in decided]
        if not lines:
            lines = ["- every check of this feature is among those that cannot be judged (below)"]
        st.markdown(f"**By {name}:** {verdict_badge(feature.get('verdict'))}\n\n" + "\n".join(lines),
                    help=f"In the data: {feature['feature']}")
    undecided = grouped_undecided(fairness, labels)
    if undecided:
        st.markdown("\n".join(f"- {verdict_badge('insufficient_evidence')} — {_md(line)}" for line in undecided))
    chart = report_charts.disparity_chart(fairness, labels)
    if chart is not None:
        st.markdown("**The gaps between groups against the policy's limits**")
        st.caption("Each dot is the gap measured between the groups of one sensitive feature that can be judged; the "
                   "bar around it is its 95% interval, the range the true gap most likely lies in. The dashed red "
                   "line is the limit the policy sets. Hover over a dot for the reason behind its verdict.")
        st.altair_chart(chart, width="content")
        st.markdown("\n".join(f"- **{_md(label)}**: {_md(text)}" for label, text in _check_explanations(fairness)))
        st.caption(glossary_line("Four-fifths rule", "Bootstrap", "Too few to judge"))


def _sensitive_inputs(fairness: dict[str, Any], labels: Labels) -> None:
    """Said on the first screen: a model that uses a sensitive feature, or a close proxy, can treat
    people differently even when every parity check passes."""
    items = fairness.get("sensitive_inputs") or []
    if not items:
        return
    st.warning("**The model uses sensitive information as input:** "
               + "; ".join(_md(describe_input(i, labels)) for i in items)
               + ". It can treat people differently through these inputs even where the gaps below look small.",
               icon=":material/visibility:")
    st.caption(glossary_line("Proxy", "Cramér's V"))


def _check_explanations(fairness: dict[str, Any]) -> list[tuple[str, str]]:
    seen = dict.fromkeys(c["metric"] for f in fairness.get("features", []) for c in f.get("checks", []))
    return [(METRICS[m].label, METRICS[m].explanation) for m in seen if m in METRICS]


def _summaries(fairness: dict[str, Any] | None, explainability: dict[str, Any] | None) -> None:
    st.subheader("In short", anchor="in-short")
    st.caption("Sentences the pipeline wrote from the numbers in each report.")
    left, right = st.columns(2, gap="large")
    for column, title, report in ((left, "Fairness", fairness), (right, "What drives the model", explainability)):
        with column, st.container(border=True):
            st.markdown(f"**{title}**")
            sentences = (report or {}).get("summary") or []
            if report is None:
                st.caption("This report was not written for this version.")
            else:
                st.markdown("\n".join(f"- {_md(s)}" for s in sentences) or "_No summary was written._")


def _groups_section(fairness: dict[str, Any]) -> None:
    st.subheader("How each group is treated", anchor="groups")
    features = [f for f in fairness.get("features", []) if f.get("groups")]
    if not features:
        st.info("No sensitive feature could be split into groups, so there is nothing to compare (see what could "
                "not be computed, below).")
        return
    task = fairness.get("task", "classification")
    policy = fairness.get("policy") or {}
    by_name = {f["feature"]: f for f in features}
    labels = report_labels(fairness)
    name = st.selectbox("Compare the groups of", list(by_name), key="reports_group_feature",
                        format_func=lambda n: f"{labels.feature(n)} ({len(by_name[n]['groups'])} groups)",
                        help="Names in the data: " + ", ".join(by_name))
    feature = by_name[name]
    rows = fairness.get("test_rows")
    decided = (f" A person counts as flagged when the model's score is at least {fairness['threshold']:.0%}."
               if task == "classification" and fairness.get("threshold") is not None else "")
    st.caption(f"Measured on the {rows:,} test rows the model never saw.{decided} In brackets, the exact 95% interval "
               "(the range the true value most likely lies in), then the counts the rate rests on: '84 of 1,000'. "
               "Small groups have wide intervals." if rows else "In brackets, the 95% interval: the range the true "
               "value most likely lies in.")
    if feature.get("kind") == "banded" and feature.get("bands"):
        st.caption(f"{_md(labels.feature(name))} is a number, so it was cut at its quantiles into bands of about "
                   "equal size, with round edges: " + ", ".join(_md(b["label"]) for b in feature["bands"]) + ".")
    minimum = int(policy.get("min_group_size", 30))
    _table(group_table(feature, task, minimum, labels))
    small = feature.get("too_few") or []
    if small:
        st.markdown(f"**Too few to judge** ({len(small)} group{'s' if len(small) > 1 else ''}): "
                    + "; ".join(f"'{_md(labels.group(name, g['group']))}' — {g['count']:,} people, "
                                f"{g['positives']:,} real positives, {g['negatives']:,} real negatives"
                                for g in small)
                    + f". Each gap is judged among the groups with at least {minimum} people behind each rate; "
                    "these are shown, never dropped, but not used for a verdict.")
    gap = feature.get("data_gap")
    if gap:
        effect = {"widens": "**widens** the gap already in the data", "narrows": "**narrows** the gap already in "
                  "the data", "keeps": "keeps about the gap already in the data"}[gap["effect"]]
        st.markdown(f"**Is the gap in the model or in the data?** Among the groups that can be judged, the share of "
                    f"real positives differs by {gap['base_rate_gap'] * 100:.0f} percentage points, and the share "
                    f"the model flags by {gap['selection_gap'] * 100:.0f}: the model {effect} (difference "
                    f"{gap['change'] * 100:+.0f} points, 95% interval {gap['low'] * 100:+.0f} to "
                    f"{gap['high'] * 100:+.0f}).")
    explanations = [("People", "How many test rows fall in the group."),
                    ("Share of data", "The group's share of all test rows.")]
    explanations += [(title, text) for _, title, text in group_columns(task)]
    st.markdown("\n".join(f"- **{title}**: {_md(text)}" for title, text in explanations))
    chart = report_charts.group_rates_chart(feature, task, labels)
    if chart is not None:
        st.altair_chart(chart, width="content")
    for note in fairness.get("notes", []):
        st.caption(_md(note))


def _production_section(fairness: dict[str, Any], model: ModelSummary) -> None:
    st.subheader("Compared with earlier versions", anchor="production")
    comparisons = fairness.get("comparisons") or []
    labels = report_labels(fairness)
    if not comparisons:
        now = (f" Version {model.production_version} is in production now." if model.production_version else "")
        st.info("There was no earlier version to compare with: none was in production, approved, or past "
                f"validation when these reports were written.{now}", icon=":material/compare_arrows:")
        return
    st.caption("Each version is compared with production if there is one, and with the previous approved version "
               "(or else the previous one that passed validation), scored on the same test rows person for person. "
               "Each change has a 95% interval from a paired bootstrap.")
    for comparison in comparisons:
        title = f"Version {comparison.get('version')} (" + " and ".join(comparison.get("roles") or []) + ")"
        if comparison.get("error"):
            st.warning(f"The comparison with {_md(title)} could not be made: {_md(comparison['error'])}",
                       icon=":material/compare_arrows:")
            continue
        st.markdown(f"**{_md(title)}** — its fairness verdict: {verdict_badge(comparison.get('verdict'))}; this "
                    f"version's: {verdict_badge(fairness.get('verdict'))}.")
        changes = comparison.get("changes") or []
        if not changes:
            st.caption("No fairness check could be compared between the two versions.")
            continue
        _table(changes_table([{**c, "feature": labels.feature(c["feature"])} for c in changes],
                             comparison.get("version")))
    st.caption("“Fairer” means the gap between groups narrowed (or the parity ratio rose towards 1) and the 95% "
               "interval of the change excludes zero; “Less fair” means it widened; otherwise “No clear change”.")


def _limits_section(fairness: dict[str, Any] | None, explainability: dict[str, Any] | None) -> None:
    st.subheader("What could not be computed, and how sure the reports are", anchor="limits")
    missing = [(report_name, item) for report_name, report in (("Fairness", fairness), ("Explanations", explainability))
               for item in (report or {}).get("not_computed", [])]
    if fairness is None:
        missing.append(("Fairness", {"item": "fairness report", "reason": "It was not written for this version."}))
    if explainability is None:
        missing.append(("Explanations", {"item": "explainability report",
                                         "reason": "It was not written for this version."}))
    if missing:
        st.warning("Some parts could not be computed:\n\n" + "\n".join(
            f"- **{_md(where)} — {_md(item['item'])}:** {_md(item['reason'])}" for where, item in missing),
            icon=":material/report:")
    else:
        st.success("Everything the reports set out to compute was computed.", icon=":material/task_alt:")
    notes = list((fairness or {}).get("warnings", []))
    explained = explainability or {}
    notes += explained.get("notes", [])
    additivity = explained.get("additivity")
    if additivity:
        error = additivity.get("max_abs_error")
        shown = f"{error:.1g}" if isinstance(error, int | float) else "an unknown amount"
        notes.append(f"Additivity check (do the pushes add up?) {'held' if additivity.get('ok') else 'FAILED'}: the "
                     "pushes of the inputs add "
                     f"up to the model's own output to within {shown} ({_md(additivity.get('units', ''))})."
                     + ("" if additivity.get("ok") else " The explanations may not match what the model does."))
    if fairness and fairness.get("resamples"):
        notes.append("Each group's rates have exact (Clopper–Pearson) 95% intervals; the gaps between groups have "
                     f"intervals from {fairness['resamples']:,} bootstrap resamples of the test rows (re-drawing the "
                     "rows at random to see how much a gap moves by chance).")
    if notes:
        st.markdown("\n".join(f"- {_md(n)}" for n in notes))


def _model_card_section(name: str, number: int, reports: VersionReports) -> None:
    st.subheader("Model card", anchor="model-card")
    st.caption("One document for the version: purpose, data, metrics, fairness, explainability and limitations. "
               "The HTML file opens in any browser, offline.")
    files = []
    if not reports.model_card_sha256:
        st.info("No model card was written for this version.", icon=":material/description:")
    columns = st.columns(2)
    for column, fmt, title in ((columns[0], "html", "Download the model card (HTML)"),
                               (columns[1], "markdown", "Download the model card (Markdown)")):
        if fmt not in reports.model_card_sha256:
            continue
        with column, errors_shown():
            card = report_data.load_model_card(name, number, fmt)
            st.download_button(title, data=card.content, file_name=card.filename, mime=card.mime,
                               icon=":material/download:", on_click="ignore", key=f"model_card_{fmt}",
                               width="stretch")
            files.append({"Document": f"Model card ({'HTML' if fmt == 'html' else 'Markdown'})",
                          "File": card.filename, "SHA-256": card.sha256})
    for label, sha in (("Fairness report", reports.fairness_sha256),
                       ("Explainability report", reports.explainability_sha256)):
        if sha:
            files.append({"Document": label, "File": "stored by the pipeline", "SHA-256": sha})
    if files:
        st.markdown("**Fingerprints.** A SHA-256 fingerprint identifies exactly one file: change a single character "
                    "and it changes. A sign-off records the fingerprints of the reports the reviewer saw.")
        _table(pd.DataFrame(files))


def _glossary() -> None:
    st.subheader("Glossary", anchor="glossary")
    st.caption("Every technical term these reports use, in one line each. The "
               f"[glossary page]({GLOSSARY_PATH}) explains every term of the portal.")
    st.markdown("\n".join(f"- **{_md(term)}**: {_md(GLOSSARY[term])}" for term in REPORT_TERMS))
