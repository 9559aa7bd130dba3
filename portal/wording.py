"""Plain words for what the registry stores: state and stage names, results, dates, sizes.

Pure functions with no Streamlit in them, so the wording is the same on every page and easy
to test.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from backend.domain import StageRun, VersionStanding
from backend.metrics import METRICS, format_value
from backend.registry.stages import STAGE_EXPLANATIONS
from backend.registry.states import STATE_EXPLANATIONS, State

__all__ = [
    "STATE_LABELS",
    "STATE_COLORS",
    "state_label",
    "state_explanation",
    "stage_label",
    "stage_explanation",
    "PipelineResult",
    "failure_sentence",
    "format_when",
    "format_duration",
    "STAGE_STATUS",
    "stage_status",
    "stage_took",
    "format_bytes",
    "metric_label",
    "metric_explanation",
    "metric_value",
    "escape_markdown",
    "run_status",
    "standing_result",
    "GLOSSARY",
    "glossary_line",
    "glossary_anchor",
    "glossary_link",
    "GLOSSARY_PATH",
    "REPORT_TERMS",
]

STATE_LABELS = {
    State.REGISTERED: "Registered",
    State.BUILT: "Built",
    State.CHECKED: "Checked",
    State.REPORTED: "Reported",
    State.VALIDATED: "Validated",
    State.AWAITING_SIGNOFF: "Awaiting sign-off",
    State.APPROVED: "Approved",
    State.CANARY: "Canary",
    State.PRODUCTION: "In production",
    State.RETIRED: "Retired",
    State.FAILED: "Failed",
    State.REJECTED: "Rejected",
    State.ROLLED_BACK: "Rolled back",
}

#: One colour per state, used by the timeline and the badges: greens for good news, blues
#: for "on its way", red and orange for stops, grey for the past.
STATE_COLORS = {
    State.REGISTERED: "#9ecae1",
    State.BUILT: "#6baed6",
    State.CHECKED: "#4292c6",
    State.REPORTED: "#2171b5",
    State.VALIDATED: "#74c476",
    State.AWAITING_SIGNOFF: "#fdae6b",
    State.APPROVED: "#41ab5d",
    State.CANARY: "#238b45",
    State.PRODUCTION: "#00441b",
    State.RETIRED: "#bdbdbd",
    State.FAILED: "#d62728",
    State.REJECTED: "#e6550d",
    State.ROLLED_BACK: "#a63603",
}

_BADGE_COLORS = {State.FAILED: "red", State.REJECTED: "orange", State.ROLLED_BACK: "orange",
                 State.RETIRED: "gray", State.PRODUCTION: "green", State.CANARY: "green",
                 State.APPROVED: "green", State.VALIDATED: "green", State.AWAITING_SIGNOFF: "orange"}

_STAGE_LABELS = {
    "build": "Build",
    "smoke_checks": "Smoke checks",
    "reports": "Fairness and explainability reports",
    "test_validation": "Test-environment validation",
    "manual_validation": "Sign-off by reviewers",
    "signoff": "Sign-off",
    "canary": "Canary",
    "deployment": "Full deployment",
}

_IN_PROGRESS = {State.REGISTERED, State.BUILT, State.CHECKED, State.REPORTED}


def state_label(state: str | None) -> str:
    if state is None:
        return "No version yet"
    try:
        return STATE_LABELS[State(state)]
    except ValueError:
        return state.replace("_", " ").capitalize()


def state_explanation(state: str | None) -> str:
    if state is None:
        return "Nothing has been through the pipeline yet."
    try:
        return STATE_EXPLANATIONS[State(state)]
    except ValueError:
        return "A state this portal does not know yet."


def state_badge_color(state: str | None) -> str:
    try:
        return _BADGE_COLORS.get(State(state), "blue") if state else "gray"
    except ValueError:
        return "gray"


def stage_label(stage: str) -> str:
    return _STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize())


def stage_explanation(stage: str) -> str:
    return STAGE_EXPLANATIONS.get(stage, "")


@dataclass(frozen=True)
class PipelineResult:
    """The latest pipeline result of a model, as a business reader asks it: did it pass?"""

    status: str  # passed | failed | running | none
    headline: str
    detail: str


def failure_sentence(reason: str | None) -> str:
    """``"test_validation: Failed the gate ..."`` → ``"Stopped at test-environment validation. Failed the gate ..."``."""
    if not reason:
        return "Stopped, with no reason recorded."
    stage, sep, rest = reason.partition(": ")
    if sep and stage in _STAGE_LABELS:
        return f"Stopped at {stage_label(stage).lower()}. {rest}"
    return reason


def _fairness_counts(evidence: dict | None) -> tuple[int, int, int]:
    checks = ((evidence or {}).get("fairness") or {}).get("checks") or []
    return (sum(1 for c in checks if c.get("verdict") == "fail"),
            sum(1 for c in checks if c.get("verdict") == "insufficient_evidence"), len(checks))


def run_status(run: StageRun) -> tuple[str, str]:
    """How a stage run reads, with its icon: a stage that ran but found a failure never reads "Passed"."""
    if run.stage == "reports" and run.status == "passed":
        failed, unsure, total = _fairness_counts(run.evidence)
        if failed:
            return (f"⚠ Done — fairness fails {failed} of {total} check{'s' if total > 1 else ''}",
                    ":material/warning:")
        if unsure:
            return (f"⚠ Done — {unsure} of {total} fairness check{'s' if total > 1 else ''} cannot be judged",
                    ":material/help:")
    return stage_status(run.status)


def standing_result(version: VersionStanding | None) -> PipelineResult:
    """What the automated stages found for a version, as a business reader asks it: did it pass?

    ``status`` is passed, warning (ran, but a fairness check failed or lacks evidence), failed,
    running or none.
    """
    if version is None:
        return PipelineResult("none", "No pipeline run yet", "Run the pipeline to register a first version.")
    if version.state == State.FAILED:
        return PipelineResult("failed", f"Failed (version {version.number})", failure_sentence(version.failure_reason))
    if version.state in _IN_PROGRESS:
        return PipelineResult("running", f"In progress (version {version.number})",
                              "The pipeline is still checking this version, or stopped before finishing.")
    if version.fairness_failed:
        return PipelineResult(
            "warning", f"Fairness fails {version.fairness_failed} of {version.fairness_checks} checks "
                       f"(version {version.number})",
            "The automated stages ran, and the fairness report found failures: an approval must acknowledge "
            "each failed check in writing.")
    if version.fairness_unsure:
        return PipelineResult(
            "warning", f"Checks done, {version.fairness_unsure} fairness check"
                       f"{'s' if version.fairness_unsure > 1 else ''} undecided (version {version.number})",
            "Every gate passed, but some fairness checks lack the evidence for a verdict; the reviewers judge them.")
    return PipelineResult("passed", f"Passed (version {version.number})", "Every automatic check of the pipeline passed.")


def format_when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%d %b %Y, %H:%M UTC")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "still running"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


#: How each stage status reads, with the icon its section shows.
STAGE_STATUS = {
    "passed": ("✔ Passed", ":material/check_circle:"),
    "failed": ("✘ Failed", ":material/cancel:"),
    "running": ("… Running", ":material/pending:"),
    "waiting": ("… Waiting for people", ":material/hourglass_top:"),
}


def stage_status(status: str) -> tuple[str, str]:
    return STAGE_STATUS.get(status, (status.replace("_", " ").capitalize(), ":material/pending:"))


def stage_took(status: str, seconds: float | None) -> str:
    """How long a stage took, or what it is still doing."""
    if seconds is not None:
        return format_duration(seconds)
    return "still waiting" if status == "waiting" else "still running"


def format_bytes(size: int) -> str:
    if size < 1_000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1e3:.1f} kB"
    return f"{size / 1e6:.1f} MB"


def metric_label(name: str) -> str:
    info = METRICS.get(name)
    return info.label if info else name


def metric_explanation(name: str) -> str:
    info = METRICS.get(name)
    return info.explanation if info else ""


def metric_value(name: str, value: float | None) -> str:
    return format_value(name, value)


#: Every technical term a page shows, with a one-line plain meaning (the glossary page lists them all).
GLOSSARY = {
    "ROC AUC": "How well the model ranks a real case above a non-case: 0.5 is a coin toss, 1.0 is perfect.",
    "p95": "The 95th percentile: 95 in 100 requests are at least this fast.",
    "Four-fifths rule": "A common test of equal treatment: the least-selected group should be selected at least "
                        "four fifths (80%) as often as the most-selected one.",
    "Demographic parity": "Whether every group is selected (flagged) equally often.",
    "Equalized odds": "Whether hits and false alarms fall equally on every group.",
    "Selection rate": "The share of a group the model flags.",
    "Base rate": "The share of a group that really has the outcome, in the data.",
    "True-positive rate": "Of a group's real cases, the share the model finds.",
    "False-positive rate": "Of a group's non-cases, the share the model wrongly flags.",
    "95% interval": "The range the true value most likely lies in, given how much data there is.",
    "Exact interval": "An interval for a single rate (Clopper–Pearson) that keeps its 95% promise even for a "
                      "handful of people.",
    "Bootstrap": "Re-drawing the test rows at random many times to see how much a number would move by chance.",
    "Too few to judge": "A group with fewer people (real cases, non-cases) than the policy's minimum: shown with "
                        "its counts, not used for a verdict.",
    "SHAP": "A method that splits each score into the push of every input, starting from the average score.",
    "TreeSHAP": "The exact and fast way to compute SHAP values for tree models, from the trees themselves.",
    "Additivity": "The check that each row's pushes add up exactly to the model's own output.",
    "Log-odds": "The scale a model adds its inputs on: +0.7 roughly doubles the odds of the outcome.",
    "Cramér's V": "How closely two features go together: 0 unrelated, 1 one determines the other.",
    "Proxy": "An input that goes almost hand in hand with a sensitive feature, so it can stand in for it.",
    "Decision threshold": "The score from which the model flags a case.",
    "SHA-256": "A fingerprint of a file: change a single character and it changes.",
}
#: The terms of the fairness and explainability reports (the Reports page lists them).
REPORT_TERMS = tuple(GLOSSARY)

GLOSSARY |= {
    # The path to production and what happens after it.
    "Model version": "One trained model, with its data, settings and evidence; a model gets a new version each "
                     "time its pipeline runs.",
    "Pipeline": "The automated steps every model version goes through before people review it: build, smoke "
                "checks, reports and test-environment validation.",
    "Spec": "The file beside a model's code (greenlight.toml) that says what the model is, which data it learns from, "
            "who owns it, its risk tier and its gates; the pipeline refuses one with a problem, naming the field.",
    "API token": "A secret that lets a program act as a person's account without their password: CI runs the "
                 "pipeline with one, kept in its secret store.",
    "Gate": "A rule a version must pass to go on (say, accuracy above a minimum); a failed gate stops the "
            "version with a reason a person can read.",
    "Smoke checks": "Loading the stored model in a fresh process, as production would, and checking that its "
                    "predictions make sense.",
    "Test environment": "A copy of the serving path, away from real customers, where a version is measured on data "
                        "it never saw before anyone relies on it.",
    "Policy": "The rules a model must meet (gates, fairness limits, reviewers, canary settings), from the "
              "organisation's defaults and the model's own spec file.",
    "Policy floor": "The organisation's minimum rules: a model's spec may tighten them, never loosen them without "
                    "an administrator's written exception.",
    "Risk tier": "How much harm a wrong decision by the model could do (low, medium, high); it decides who must "
                 "sign off.",
    "Sign-off": "A named reviewer's decision on a version (approve, approve with conditions, reject), bound to the "
                "exact evidence they saw.",
    "Four-eyes rule": "The person who made a version can never sign it off themselves.",
    "Acknowledgement": "The written reason a reviewer gives for approving a version despite a failed fairness "
                       "check.",
    "Condition": "An open item attached to an approval; the version cannot serve all traffic until it is closed.",
    "Champion": "The version in production now, serving real decisions.",
    "Challenger": "A newer version that has to prove itself against the champion before it replaces it.",
    "Canary": "A trial in production: a small share of live traffic goes to the new version while the rest stays "
              "on the champion, and a judge compares the two.",
    "Production": "The version the organisation's systems really use for their decisions.",
    "Rollback": "Sending all traffic back to the champion at once, when a canary or a new version misbehaves.",
    "Override": "Going ahead without the usual evidence (say, without a canary verdict), allowed only with an "
                "administrator's written, audited reason.",
    "Prediction log": "The record of every prediction made in production, kept by model and day, that monitoring "
                      "reads.",
    "Monitoring": "Watching a model in production, period by period: is it still accurate, are its inputs drifting, "
                  "is it still fair?",
    "Drift": "When the data a model sees in production no longer looks like the data it learned from.",
    "PSI": "Population stability index: how far the spread of an input has moved from the signed-off reference; "
           "below 0.1 is stable, above 0.25 is a large shift.",
    "Audit log": "The tamper-evident record of everything that happened, who did it and when.",
    "Lead time": "How long a version takes from registration to serving all production traffic.",
}


def glossary_line(*terms: str) -> str:
    """``"**ROC AUC**: how well … · **p95**: …"`` for a caption beside the numbers that use them."""
    return " · ".join(f"**{t}**: {GLOSSARY[t][0].lower()}{GLOSSARY[t][1:]}" for t in terms if t in GLOSSARY)


def glossary_anchor(term: str) -> str:
    """The anchor of ``term`` on the glossary page: ``"Policy floor"`` → ``"policy-floor"``."""
    ascii_term = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_term).strip("-") or "term"


#: The glossary page's address relative to any other page of the portal (its ``st.Page`` url path).
GLOSSARY_PATH = "glossary"


def glossary_link(term: str, text: str | None = None) -> str:
    """A Markdown link from any page to ``term`` on the glossary page (``text``: the words shown).

    An unknown term shows as plain words, never as a broken link; ``tests/portal/test_glossary.py``
    fails for every term a page links to that the glossary does not define.
    """
    shown = escape_markdown(text or term)
    if term not in GLOSSARY:
        return shown
    return f"[{shown}]({GLOSSARY_PATH}#{glossary_anchor(term)})"


def escape_markdown(text: str) -> str:
    """User text, ready to sit inside Markdown and show exactly as typed: never a link, never bold.

    The one helper for everything a person or a file supplied (titles, descriptions, owners,
    comments, conditions, reasons, account names, column and file names in messages) wherever
    Streamlit renders Markdown: ``st.markdown``, captions, titles and headers, alerts, labels.
    Data grids (``st.dataframe``), select boxes and ``st.text`` show plain text already and take
    the text as it is; ``st.table`` renders Markdown in its cells (``components.text_table``
    escapes them).

    - Control characters and the bidirectional overrides that reorder what a reader sees are
      removed; tabs become spaces.
    - Every character that can start Markdown or Streamlit markup is backslash-escaped (an escaped
      character shows as itself): emphasis and strike-through, links and images, HTML and
      entities, tables, headings, math, emoji and icon short codes (``:smile:``) and colour
      directives (``:red[…]``); and so is a list, quote or heading marker at the start of a line.
    - Streamlit turns bare web and e-mail addresses into links, and ``:material/…:`` into an
      icon, even when escaped, so an invisible word joiner (U+2060) follows ``http:``/``https:``,
      ``www``, ``@`` and the colon before ``material/``.
    - Line breaks stay line breaks, and a line never starts with spaces (which would make it code).
    """
    text = _UNSAFE_CHARACTERS.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    text = _AUTOLINK_STARTS.sub(lambda m: m.group(0) + _WORD_JOINER, text)
    text = _MARKDOWN_SPECIALS.sub(r"\\\g<0>", text)
    return "  \n".join(_LINE_MARKER.sub(r"\g<1>\\\g<2>", line.lstrip()) for line in text.split("\n"))


_WORD_JOINER = "\u2060"
# C0 controls but the line feed, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_UNSAFE_CHARACTERS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What Streamlit turns into markup even when escaped: bare web and e-mail addresses (links start
# at "http:"/"https:" before "//", "www" before "." and "@"), and ":material/…:" icons (it
# rewrites that text before parsing the Markdown).
_AUTOLINK_STARTS = re.compile(r"(?i)https?:(?=//)|www(?=\.)|@|:(?=material/)")
_MARKDOWN_SPECIALS = re.compile(r"[\\`*_\[\]<>|~$#&:]")
# A list item ("-", "+", "1.", "1)") or a setext heading underline ("=") at the start of a line.
_LINE_MARKER = re.compile(r"^(\d*)([-+=]|(?<=\d)[.)])")
