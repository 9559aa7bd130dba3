"""Words and tables for the Reports page, built from the stored reports.

Pure functions with no Streamlit in them: they take the report dicts the pipeline wrote (see
:func:`backend.reports.fairness_report` and :func:`backend.reports.explain_model`) and give
back sentences or DataFrames whose column names are what a business reader sees.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from backend.metrics import GROUP_METRICS, METRICS
from backend.reports import ALL_GROUPS, VERDICT_LABELS, Labels

__all__ = [
    "VERDICT_COLORS",
    "VERDICT_ICONS",
    "verdict_label",
    "verdict_badge",
    "overall_verdict_sentence",
    "check_reason",
    "verdict_rule",
    "percent",
    "with_interval",
    "group_columns",
    "group_table",
    "grouped_undecided",
    "report_labels",
    "changes_table",
    "whatif_table",
    "case_table",
    "effect_units",
    "explain_units",
    "parity_at_threshold",
]

VERDICT_COLORS = {"pass": "green", "fail": "red", "insufficient_evidence": "orange", "not_assessed": "gray"}
VERDICT_ICONS = {"pass": "✔", "fail": "✘", "insufficient_evidence": "?", "not_assessed": "–"}

_CLASSIFICATION_COLUMNS = ("selection_rate", "base_rate", "true_positive_rate", "false_positive_rate", "accuracy")
_REGRESSION_COLUMNS = ("mae", "rmse", "mean_prediction")
_RATES = {"selection_rate", "base_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
          "accuracy", "share"}
WHATIF_LABELS = {
    "selection_rate": "Selection rate",
    "true_positive_rate": "True-positive rate",
    "false_positive_rate": "False-positive rate",
    "false_negative_rate": "False-negative rate",
    "accuracy": "Accuracy",
}
WHATIF_EXPLANATIONS = {
    "selection_rate": GROUP_METRICS["selection_rate"].explanation,
    "true_positive_rate": GROUP_METRICS["true_positive_rate"].explanation,
    "false_positive_rate": GROUP_METRICS["false_positive_rate"].explanation,
    "false_negative_rate": "Of the group's real positive cases, the share the model misses.",
    "accuracy": GROUP_METRICS["accuracy"].explanation,
}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def report_labels(report: dict[str, Any] | None) -> Labels:
    """The display names stored with a report (raw names when it has none)."""
    return Labels.from_dict((report or {}).get("labels"), positive_label=(report or {}).get("positive_label"))


def verdict_label(verdict: str | None) -> str:
    return VERDICT_LABELS.get(verdict or "not_assessed", (verdict or "").replace("_", " ").capitalize())


def verdict_badge(verdict: str | None) -> str:
    """Markdown for the verdict in its colour, with a symbol so it reads without colour too."""
    key = verdict or "not_assessed"
    return f":{VERDICT_COLORS.get(key, 'gray')}[**{VERDICT_ICONS.get(key, '–')} {verdict_label(key)}**]"


def _count(checks: list[dict[str, Any]], verdict: str) -> int:
    return sum(1 for c in checks if c["verdict"] == verdict)


def overall_verdict_sentence(report: dict[str, Any]) -> str:
    """The fairness verdict of the whole report as one plain sentence."""
    checks = [c for f in report.get("features", []) for c in f.get("checks", [])]
    total, failed, unsure = len(checks), _count(checks, "fail"), _count(checks, "insufficient_evidence")
    verdict = report.get("verdict")
    if verdict == "fail":
        blocks = (report.get("policy") or {}).get("blocks")
        then = ("The policy stops a model that fails a fairness check." if blocks else
                "The policy leaves the decision to the sign-off reviewers, who should read the reasons below.")
        unsure_text = (f", and {unsure} more {'lacks' if unsure == 1 else 'lack'} the evidence for a verdict"
                       if unsure else "")
        return f"Fails {failed} of the {total} fairness checks{unsure_text}. {then}"
    if verdict == "insufficient_evidence":
        return (f"No fairness check fails, but {unsure} of the {total} {'lacks' if unsure == 1 else 'lack'} the "
                "evidence for a verdict: the data cannot tell whether the model meets the policy there.")
    if verdict == "pass":
        return f"Passes all {total} fairness checks: every measured gap between groups is within the policy's limits."
    if report.get("task") == "regression":
        return ("The fairness checks judge yes/no decisions and this model predicts a number, so there are no "
                "limits to check. The size of each group's errors is shown below for the reviewers to judge.")
    return "Not assessed: no fairness check could be made (see what could not be computed, below)."


def check_reason(check: dict[str, Any]) -> str:
    """The stored reason of a check, without repeating the verdict it sits beside."""
    reason = str(check.get("reason", ""))
    prefix = "Not enough evidence: "
    if reason.startswith(prefix):
        reason = reason[len(prefix):]
        reason = reason[:1].upper() + reason[1:]
    return reason


def verdict_rule(report: dict[str, Any]) -> str:
    """How the three verdicts are decided, with this report's own numbers."""
    policy = report.get("policy") or {}
    confidence = report.get("confidence") or 0.95
    minimum = policy.get("min_group_size", 30)
    return (f"**Pass**: the whole {confidence:.0%} interval of the gap is within the policy's limit. "
            f"**Fail**: the whole interval is beyond it. **Insufficient evidence**: the interval straddles the "
            f"limit, or fewer than two groups can be judged. Each gap is judged among the groups with at least "
            f"{minimum} people behind each rate (for error rates: {minimum} real positives, or real negatives); "
            "smaller groups are listed as too few to judge, with their counts.")


def percent(value: Any) -> str:
    if not _finite(value):
        return "—"
    return f"{value:.0%}" if abs(value) >= 0.1 or value == 0 else f"{value:.1%}"


def _number(value: Any) -> str:
    if not _finite(value):
        return "—"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def with_interval(metric: str, cell: dict[str, Any] | None) -> str:
    """``"8.4% (7.7–9.2%) · 84 of 1,000"``: the value, its 95% interval and the counts it rests on."""
    if cell and "n" in cell:
        counts = f"{cell.get('k', 0):,} of {cell['n']:,}"
        if not _finite(cell.get("value")):
            return f"undefined · {counts}"
        shown = _with_interval(metric, cell) + f" · {counts}"
        return shown if cell.get("judged", True) else shown + " · too few to judge"
    return _with_interval(metric, cell)


def _with_interval(metric: str, cell: dict[str, Any] | None) -> str:
    if not cell or not _finite(cell.get("value")):
        return "—"
    show = percent if metric in _RATES else _number
    low, high = cell.get("low"), cell.get("high")
    if not (_finite(low) and _finite(high)):
        return show(cell["value"])
    if metric in _RATES:
        return f"{show(cell['value'])} ({show(low).rstrip('%')}–{show(high)})"
    return f"{show(cell['value'])} ({show(low)}–{show(high)})"


_BASE_RATE = ("Real positives (base rate)",
              "The share of the group that really has the outcome, in the data: the gap the model starts from.")


def group_columns(task: str) -> list[tuple[str, str, str]]:
    """(metric, column title, explanation) for the group table of a ``task``."""
    names = _CLASSIFICATION_COLUMNS if task == "classification" else _REGRESSION_COLUMNS
    return [(name, *(_BASE_RATE if name == "base_rate" else (GROUP_METRICS[name].label,
                                                               GROUP_METRICS[name].explanation)))
            for name in names]


def group_table(feature: dict[str, Any], task: str, min_group_size: int, labels: Labels | None = None) -> pd.DataFrame:
    """One row per group of a sensitive feature: size, share and each rate with its interval and counts.

    The group's display name comes first, its value in the data beside it.
    """
    labels = labels or Labels()
    rows = []
    for group in feature.get("groups", []):
        shown = labels.group(feature["feature"], group["group"])
        row: dict[str, Any] = {"Group": shown, "In the data": group["group"], "People": f"{group['count']:,}",
                               "Share of data": percent((group.get("share") or {}).get("value"))}
        for metric, title, _ in group_columns(task):
            row[title] = with_interval(metric, group.get(metric))
        short = [kind for kind in ("people", "positives", "negatives")
                 if kind in _short_of(feature, group["group"])]
        row["Note"] = ("Too few to judge: fewer than " + f"{min_group_size} "
                       + " / ".join({"people": "people", "positives": "real positives",
                                     "negatives": "real negatives"}[k] for k in short)) if short else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty and (frame["Group"] == frame["In the data"]).all():
        frame = frame.drop(columns="In the data")
    if not frame.empty and not frame["Note"].any():
        frame = frame.drop(columns="Note")
    return frame


def _short_of(feature: dict[str, Any], group: str) -> list[str]:
    for item in feature.get("too_few") or []:
        if item["group"] == group:
            return item.get("short_of") or []
    return []


CAUSE_SENTENCES = {
    "too_few_groups": "fewer than two groups have enough people (or real positives and negatives) to compare",
    "uniform": "the model flags everybody or nobody in every group, so its decisions show nothing",
    "undefined": "the model selects no one in the groups compared",
    "partial": "one of the two error rates cannot be compared for lack of cases",
    "straddles": "the 95% interval includes the policy's limit, so the data cannot tell",
}


def grouped_undecided(report: dict[str, Any], labels: Labels | None = None) -> list[str]:
    """The checks that cannot be judged, one sentence per cause instead of one per check."""
    labels = labels or Labels()
    by_cause: dict[str, dict[str, int]] = {}
    for feature in report.get("features", []):
        for check in feature.get("checks", []):
            if check["verdict"] == "insufficient_evidence":
                cause = check.get("cause", "straddles")
                name = labels.feature(feature["feature"])
                by_cause.setdefault(cause, {}).setdefault(name, 0)
                by_cause[cause][name] += 1
    out = []
    for cause, features in by_cause.items():
        total = sum(features.values())
        listed = ", ".join(f"{name} ({n} check{'s' if n > 1 else ''})" for name, n in features.items())
        out.append(f"{total} check{'s' if total > 1 else ''} cannot be judged — {listed}: "
                   f"{CAUSE_SENTENCES.get(cause, 'the data cannot tell')}.")
    return out


def changes_table(changes: list[dict[str, Any]], production_version: Any) -> pd.DataFrame:
    """What changed in each fairness check since the production version, on the same rows."""
    return pd.DataFrame([{
        "Sensitive feature": c["feature"],
        "Check": c["label"],
        f"Production (v{production_version})": f"{c['before']:.2f}" if _finite(c["before"]) else "—",
        "This version": f"{c['after']:.2f}" if _finite(c["after"]) else "—",
        "Change": f"{c['change']:+.2f}" if _finite(c["change"]) else "—",
        "95% interval of the change": (f"{c['low']:+.2f} to {c['high']:+.2f}"
                                       if _finite(c.get("low")) and _finite(c.get("high")) else "—"),
        "Better or worse": _direction(c),
        "Verdict then → now": f"{verdict_label(c['verdict_before'])} → {verdict_label(c['verdict_after'])}",
    } for c in changes])


def _direction(change: dict[str, Any]) -> str:
    if change.get("direction"):
        return {"fairer": "Fairer", "less fair": "Less fair"}.get(change["direction"], "No clear change")
    if not _finite(change.get("change")) or abs(change["change"]) < 0.005:
        return "About the same"
    info = METRICS.get(change["metric"])
    better = (change["change"] > 0) == bool(info and info.higher_is_better)
    return "Fairer" if better else "Less fair"


def whatif_table(frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The what-if rates of every group at one threshold, worded."""
    at = frame[(frame["threshold"] - threshold).abs() < 1e-9]
    rows = []
    for _, r in at.iterrows():
        row = {"Group": r["group"], "People": f"{int(r['count']):,}"}
        for metric, label in WHATIF_LABELS.items():
            row[label] = percent(r[metric])
        rows.append(row)
    return pd.DataFrame(rows)


def parity_at_threshold(frame: pd.DataFrame, threshold: float, min_group_size: int) -> dict[str, Any] | None:
    """The least- and most-selected groups (of at least ``min_group_size`` people) at ``threshold``."""
    at = frame[((frame["threshold"] - threshold).abs() < 1e-9) & (frame["group"] != ALL_GROUPS)
               & (frame["count"] >= min_group_size)].dropna(subset=["selection_rate"])
    if len(at) < 2:
        return None
    top, bottom = at.loc[at["selection_rate"].idxmax()], at.loc[at["selection_rate"].idxmin()]
    ratio = bottom["selection_rate"] / top["selection_rate"] if top["selection_rate"] > 0 else float("nan")
    return {"top": str(top["group"]), "top_rate": float(top["selection_rate"]), "bottom": str(bottom["group"]),
            "bottom_rate": float(bottom["selection_rate"]), "difference": float(top["selection_rate"]
                                                                                 - bottom["selection_rate"]),
            "ratio": float(ratio)}


def effect_units(units: str | None) -> tuple[float, str]:
    """How to show an effect: a factor to multiply it by, and the axis title."""
    if units == "probability":
        return 100.0, "Push on the score (percentage points)"
    if units == "log-odds":
        return 1.0, "Push on the score (log-odds)"
    return 1.0, "Push on the prediction (target's units)"


def explain_units(units: str | None) -> str:
    """A sentence on the units of the effects, for the caption under a chart."""
    if units == "probability":
        return "Pushes are in percentage points of the score: +5 moves a score of 40% to 45%."
    if units == "log-odds":
        return ("Pushes are in log-odds, the scale the model adds its inputs on: +0.7 roughly doubles the odds of "
                "the outcome, −0.7 halves them; 0 is no push.")
    return "Pushes are in the target's own units: +10 raises the prediction by 10."


def case_table(case: dict[str, Any], task: str) -> pd.DataFrame:
    """The inputs that moved one case's score most, with their push in plain units."""
    def shown(points: float) -> str:
        if task != "classification":
            return f"{points:+,.3g}"
        value = points * 100
        if value == 0:
            return "no push"
        if abs(value) >= 0.1:
            return f"{value:+.1f} points"
        if abs(value) >= 0.01:
            return f"{value:+.2f} points"
        return "less than 0.01 points" + (" up" if value > 0 else " down" if value < 0 else "")

    rows = [{"Input": c["feature"], "Value in this case": c["value"], "Push on the score": shown(c["effect_points"])}
            for c in case.get("contributions", [])]
    other = case.get("other") or {}
    if other.get("features"):
        rows.append({"Input": f"{other['features']} other inputs together", "Value in this case": "",
                     "Push on the score": shown(other.get("effect_points") or 0.0)})
    return pd.DataFrame(rows)
