"""The read-only sections of the sign-off packet: what the model is for, what the automatic
checks found, what the reports say, the comparison with production, what an approval changes,
who has signed, and the evidence a decision is bound to.

Everything a person typed (names, comments, conditions, descriptions) is shown as text:
escaped Markdown, ``st.text`` or a table cell, never HTML.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from backend.domain import ModelSummary, SignOffStatus, StageRun, Version
from backend.registry.states import State
from backend.reports import VERDICT_LABELS
from portal import data, pickers, tables
from portal.components import state_badge, text_table
from portal.navigation import MODEL_PAGE
from portal.signoff_data import ReportDigest, awaiting
from portal.signoff_wording import (
    EVIDENCE_LABELS,
    approval_consequence,
    decision_label,
    person,
    role_explanation,
    role_label,
    role_list,
    role_status_label,
)
from portal.wording import (
    escape_markdown,
    failure_sentence,
    format_when,
    metric_label,
    state_explanation,
    state_label,
)

__all__ = ["choose_version", "header", "what_changes", "checks_section", "comparison_section",
           "reports_section", "signoffs_section", "evidence_section"]


def _table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")



def choose_version(models: list[ModelSummary]) -> tuple[ModelSummary, int] | None:
    """The model and version the URL names (``?model=…&version=…``), or pickers to choose one.

    Without a link, the version that has waited longest for sign-off is chosen.
    """
    by_name = {m.name: m for m in models}
    waiting = [(s.model, s.version) for s in awaiting() if s.model in by_name]
    left, right = st.columns(2)
    with left:
        name = pickers.model_picker(by_name, default=waiting[0][0] if waiting else None)
    if name is None:
        return None
    pending = [n for m, n in waiting if m == name]
    with right:
        version = pickers.version_picker(name, data.list_versions(name).versions,
                                         default=pending[0] if pending else None)
    return (by_name[name], version.number) if version is not None else None


def header(model: ModelSummary, version: Version, status: SignOffStatus, names: dict[str, str], *,
           can_sign_as: list[str], cannot_sign_because: str | None = None) -> None:
    st.header(f"{escape_markdown(model.title or model.name)} — version {status.version}", divider="gray")
    st.caption(f"Model {escape_markdown(model.name)} · built by {escape_markdown(person(status.author, names))} "
               f"on {format_when(version.created_at)}")
    st.markdown(f"**State:** {state_badge(status.state)} — {state_explanation(status.state)}")
    st.subheader("What the model is for")
    st.markdown(escape_markdown(model.description) or "_No description given._")
    facts = pd.DataFrame([
        ("Owner", model.owner, "The team answerable for the model and its use."),
        ("Risk tier", model.risk_tier, "How much harm a wrong decision could do; it sets who must sign off."),
        ("Model type", version.estimator or "not recorded", "The kind of model that was trained."),
        ("Sign-off needed from", role_list(status.required_roles).capitalize(),
         "The roles the version's policy requires; each must approve."),
    ], columns=["Item", "Value", "What it means"])
    text_table(facts)
    _standing(status, version, names)
    if can_sign_as:
        st.markdown(f":material/edit_note: **You can sign this version as {role_list(can_sign_as)}.** Read the packet, "
                    "then record your decision at the bottom of the page.")
    elif cannot_sign_because and status.state == State.AWAITING_SIGNOFF:
        st.caption(f":material/lock: {escape_markdown(cannot_sign_because)}")


_DONE_WORDS = {"approved": "approved", "approved_with_conditions": "approved with conditions", "rejected": "rejected"}


def _standing(status: SignOffStatus, version: Version, names: dict[str, str]) -> None:
    done = [r for r in status.roles if r.status != "waiting"]
    so_far = "; ".join(f"{role_label(r.role).lower()}: {_DONE_WORDS.get(r.status, r.status)} by "
                       f"{person(r.by or '', names)}" for r in done)
    if status.state == State.AWAITING_SIGNOFF:
        text = f"Waiting for {role_list(status.missing_roles)}."
        if so_far:
            text += f" So far — {so_far}."
        st.info(escape_markdown(text), icon=":material/hourglass_top:")
    elif status.state == State.APPROVED:
        st.success(escape_markdown(f"Approved: every required role signed off ({so_far})."),
                   icon=":material/verified:")
    elif status.state == State.REJECTED:
        st.warning(f"**Rejected.** {escape_markdown(failure_sentence(version.failure_reason))}",
                   icon=":material/block:")
    else:
        st.info(f"This version is {state_label(status.state).lower()}; it is not waiting for sign-off, so there is "
                "nothing to decide here. The packet below is kept for the record.", icon=":material/info:")


def what_changes(status: SignOffStatus, version: Version, production: int | None) -> None:
    st.subheader("What changes if it is approved")
    sentences = approval_consequence(version.policy, version=status.version, production=production,
                                     missing=status.missing_roles)
    if status.state == State.APPROVED:
        # What the approval allows now: the canary, and full deployment after it.
        allowed = [s.replace("Once approved, the team can", "The team can") for s in sentences[-3:-1]]
        st.markdown("It is approved, so:\n" + "\n".join(f"- {escape_markdown(s)}" for s in allowed))
        if status.open_conditions:
            st.caption(f"{len(status.open_conditions)} condition(s) still open: see Conditions below.")
        return
    if status.state != State.AWAITING_SIGNOFF:
        st.caption("This version is not awaiting sign-off, so a decision now would change nothing.")
        return
    st.markdown("\n".join(f"- {escape_markdown(s)}" for s in sentences))


def _latest(runs: list[StageRun], stage: str) -> StageRun | None:
    found = [r for r in runs if r.stage == stage]
    return found[-1] if found else None


def checks_section(runs: list[StageRun]) -> None:
    st.subheader("Automatic checks in the test environment")
    run = _latest(runs, "test_validation")
    evidence: dict[str, Any] = (run.evidence or {}) if run else {}
    if not evidence.get("gates"):
        st.warning("No test-environment validation is recorded for this version: the pipeline stopped before it. "
                   "There are no gate results to review.", icon=":material/warning:")
        return
    gates = evidence["gates"]
    failed = sum(not g.get("passed") for g in gates)
    rows = evidence.get("test_rows")
    verdict = (f"All {len(gates)} gates of the policy passed." if not failed else
               f"{failed} of {len(gates)} gates of the policy failed.")
    st.markdown(f"**{verdict}** The policy sets a limit on each measure; the version was measured on "
                + (f"{rows:,} test rows it never saw in training" if rows else "held-out test data")
                + " and through the serving path.")
    text_table(tables.gate_verdicts(gates))


def comparison_section(runs: list[StageRun], production: int | None) -> None:
    st.subheader("Compared with earlier versions")
    run = _latest(runs, "test_validation")
    evidence = (run.evidence or {}) if run else {}
    comparisons = evidence.get("comparisons")
    if comparisons is None and evidence.get("champion"):
        comparisons = [{**evidence["champion"], "roles": ["production"]}]
    if not comparisons:
        st.markdown("No earlier version was in production, approved or past validation when this version was "
                    "validated, so there was nothing to compare it with."
                    + (f" Version {production} has reached production since." if production else ""))
        return
    st.caption("Production if there is one, and the previous approved version (or else the previous one that passed "
               "validation), scored on the same test rows. Each interval comes from 1,000 bootstrap resamples "
               "(re-drawing the rows at random); one that excludes zero means the difference is unlikely to be chance.")
    for comparison in comparisons:
        title = tables.comparison_title(comparison)
        if comparison.get("error"):
            st.warning(f"The comparison with {escape_markdown(title.lower())} could not be made: "
                       f"{escape_markdown(str(comparison['error']))}")
            continue
        st.markdown(f"**{escape_markdown(title)}:** {escape_markdown(str(comparison.get('summary', '')))}")
        _table(tables.comparison_table(comparison))
    if production is not None and not any("production" in (c.get("roles") or []) for c in comparisons):
        st.caption(f"Production is now version {production}; it was not in production when this version was "
                   "validated.")


_VERDICT_COLOURS = {"pass": "green", "fail": "red", "insufficient_evidence": "orange"}
_REPORT_TITLES = {"fairness_report": "Fairness", "explainability_report": "Explainability"}
_MISSING = {
    "fairness_report": "There is no fairness report for this version: the pipeline stopped before writing it, so "
                       "this packet cannot tell whether the model treats groups of people differently.",
    "explainability_report": "There is no explainability report for this version: the pipeline stopped before "
                             "writing it, so this packet cannot tell what drives the model's scores.",
}


def reports_section(digests: tuple[ReportDigest, ...] | None) -> None:
    st.subheader("What the reports say")
    if digests is None:
        return  # the reason was shown where loading failed
    for column, digest in zip(st.columns(len(digests), gap="large"), digests, strict=True):
        with column:
            title = _REPORT_TITLES.get(digest.kind, digest.kind)
            if digest.missing:
                st.markdown(f"**{title}**")
                st.warning(_MISSING.get(digest.kind, "This report is missing."), icon=":material/warning:")
                continue
            if digest.verdict:
                colour = _VERDICT_COLOURS.get(digest.verdict, "gray")
                label = VERDICT_LABELS.get(digest.verdict, digest.verdict)
                st.markdown(f"**{title}** — verdict: :{colour}-badge[{label}]")
            else:
                st.markdown(f"**{title}** — describes the model; it gives no pass or fail verdict.")
            if digest.sensitive_inputs:
                st.warning("**The model uses sensitive information as input:** "
                           + "; ".join(escape_markdown(s) for s in digest.sensitive_inputs) + ".",
                           icon=":material/visibility:")
            if digest.summary:
                st.markdown("\n".join(f"- {escape_markdown(s)}" for s in digest.summary))
            else:
                st.caption("The report has no summary.")
            if digest.notes:
                with st.expander("How the report was made"):
                    st.markdown("\n".join(f"- {escape_markdown(n)}" for n in digest.notes))


def signoffs_section(status: SignOffStatus, names: dict[str, str]) -> None:
    st.subheader("Sign-offs")
    st.caption(f"Review round {status.round}. Each required role must approve; one rejection ends the version.")
    text_table(pd.DataFrame(
        [{"Role": role_label(r.role), "Status": role_status_label(r.status),
          "By": person(r.by, names) if r.by else "", "When": format_when(r.at) if r.at else "",
          "What this role checks": role_explanation(r.role)} for r in status.roles],
        columns=["Role", "Status", "By", "When", "What this role checks"]))
    if not status.signoffs:
        st.caption("Nobody has decided yet.")
        return
    st.markdown("**Decisions and comments**, oldest first:")
    for signoff in status.signoffs:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(person(signoff.username, names))}** as "
                        f"{role_label(signoff.role).lower()} — {decision_label(signoff.decision)} · "
                        f"{format_when(signoff.created_at)}")
            if signoff.comment:
                st.text(signoff.comment)
            else:
                st.caption("No comment.")
            for key, text in sorted(signoff.acknowledgements.items()):
                feature, _, metric = key.rpartition(":")
                st.markdown(f":orange-badge[Acknowledged failed check] {escape_markdown(metric_label(metric).lower())} "
                            f"for {escape_markdown(feature)}:")
                st.text(text)
            if not signoff.valid:
                st.caption(f"No longer counts: {escape_markdown(signoff.void_reason or 'void')}.")


def evidence_section(status: SignOffStatus) -> None:
    st.subheader("The evidence a decision is bound to")
    st.caption("A decision records the SHA-256 fingerprint of each of these files, exactly as shown here. If the "
               "model or a report is replaced later, the fingerprint changes and the sign-off no longer counts: "
               "the version goes back for review.")
    if not status.evidence:
        st.warning("No model or report is stored for this version yet, so there is nothing to sign off.")
        return
    _table(pd.DataFrame(
        [{"Evidence": EVIDENCE_LABELS.get(kind, kind.replace("_", " ").capitalize()), "SHA-256": sha}
         for kind, sha in sorted(status.evidence.items(), key=lambda item: _evidence_order(item[0]))],
        columns=["Evidence", "SHA-256"]))


def _evidence_order(kind: str) -> tuple[int, str]:
    order = list(EVIDENCE_LABELS)
    return (order.index(kind) if kind in order else len(order), kind)


def model_page_link(model: str, version: int) -> None:
    st.page_link(MODEL_PAGE, label="Every stage's evidence and the lineage of this version, on the model page",
                 query_params={"model": model, "version": str(version)}, icon=":material/arrow_forward:")
