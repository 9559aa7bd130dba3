"""Three to five plain sentences per report, generated from its numbers.

Written for a business reader: percentages and named groups, not metric jargon. Every
sentence is built from a number in the report, so the words can never drift from the data.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fairness_summary", "explainability_summary", "percent"]

MAX_SENTENCES = 5


def percent(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _extremes(feature: dict[str, Any], metric: str) -> tuple[dict, dict] | None:
    """The groups with the highest and lowest value; None when there is no gap to describe."""
    rows = [g for g in feature["groups"] if _finite(g[metric]["value"])]
    if len(rows) < 2:
        return None
    top, bottom = max(rows, key=lambda g: g[metric]["value"]), min(rows, key=lambda g: g[metric]["value"])
    return None if top[metric]["value"] == bottom[metric]["value"] else (top, bottom)


def _largest(features: list[dict[str, Any]], disparity: str) -> dict[str, Any] | None:
    # Single features first: an intersection's small groups make its extremes the noisiest numbers.
    single = [f for f in features if f.get("kind") != "intersection"] or features
    candidates = [f for f in single if _finite(f["disparities"].get(disparity, {}).get("value"))]
    return max(candidates, key=lambda f: f["disparities"][disparity]["value"]) if candidates else None


def _verdict_counts(features: list[dict[str, Any]]) -> str:
    checks = [c for f in features for c in f["checks"]]
    passed = sum(c["verdict"] == "pass" for c in checks)
    failed = sum(c["verdict"] == "fail" for c in checks)
    unsure = len(checks) - passed - failed
    names = ", ".join(f["feature"] for f in features)
    return (f"Of the {len(checks)} fairness checks on {names}, {passed} pass, {failed} fail and {unsure} "
            f"{'lacks' if unsure == 1 else 'lack'} the evidence for a verdict.")


def _selection_sentence(features: list[dict[str, Any]], positive: str) -> str | None:
    feature = _largest(features, "demographic_parity_difference")
    ends = _extremes(feature, "selection_rate") if feature else None
    if feature and not ends and feature["groups"] and _finite(feature["groups"][0]["selection_rate"]["value"]):
        rate = feature["groups"][0]["selection_rate"]["value"]
        return (f"Every {feature['feature']} group is flagged as {positive} at the same rate, {percent(rate)}"
                + (": the model flags nobody at this threshold." if rate == 0 else "."))
    if not ends:
        return None
    top, bottom = ends
    gap = feature["disparities"]["demographic_parity_difference"]["value"]
    ratio = feature["disparities"]["demographic_parity_ratio"]["value"]
    ratio_text = f"; ratio {ratio:.2f}" if _finite(ratio) else ""
    return (f"The widest gap in who is flagged as {positive} is by {feature['feature']}: "
            f"{percent(top['selection_rate']['value'])} of '{top['group']}' against "
            f"{percent(bottom['selection_rate']['value'])} of '{bottom['group']}' "
            f"({gap * 100:.0f} percentage points{ratio_text}).")


def _error_rate_sentence(features: list[dict[str, Any]], positive: str) -> str | None:
    feature = _largest(features, "equalized_odds_difference")
    if not feature:
        return None
    tpr, fpr = _extremes(feature, "true_positive_rate"), _extremes(feature, "false_positive_rate")
    tpr_gap = tpr[0]["true_positive_rate"]["value"] - tpr[1]["true_positive_rate"]["value"] if tpr else -1
    fpr_gap = fpr[0]["false_positive_rate"]["value"] - fpr[1]["false_positive_rate"]["value"] if fpr else -1
    if tpr_gap < 0 and fpr_gap < 0:
        return None
    if tpr_gap >= fpr_gap:
        top, bottom = tpr
        return (f"Hits are most uneven by {feature['feature']}: the model finds "
                f"{percent(top['true_positive_rate']['value'])} of the real {positive} cases among '{top['group']}' "
                f"but {percent(bottom['true_positive_rate']['value'])} among '{bottom['group']}'.")
    top, bottom = fpr
    return (f"False alarms are most uneven by {feature['feature']}: the model wrongly flags "
            f"{percent(top['false_positive_rate']['value'])} of '{top['group']}' who are not {positive}, against "
            f"{percent(bottom['false_positive_rate']['value'])} of '{bottom['group']}'.")


def _regression_sentences(features: list[dict[str, Any]]) -> list[str]:
    out = [f"Prediction errors were compared across {', '.join(f['feature'] for f in features)}."]
    feature = _largest(features, "mae_difference")
    ends = _extremes(feature, "mae") if feature else None
    if ends:
        top, bottom = ends
        out.append(f"By {feature['feature']}, the average error ranges from {bottom['mae']['value']:,.3g} for "
                   f"'{bottom['group']}' to {top['mae']['value']:,.3g} for '{top['group']}'.")
    out.append("Parity checks judge yes/no decisions, so for this regression model the reviewers judge the error "
               "gaps themselves.")
    return out


def _production_sentence(report: dict[str, Any]) -> str | None:
    production = report.get("production")
    if not production:
        return None
    if production.get("error"):
        return f"Production version {production['version']} could not be scored for a comparison: {production['error']}"
    changes = [c for c in report.get("changes", []) if _finite(c["change"])]
    if not changes:
        return f"Compared with production version {production['version']}, no fairness measure could be compared."
    biggest = max(changes, key=lambda c: abs(c["change"]))
    verdict = ""
    if biggest["verdict_before"] != biggest["verdict_after"]:
        verdict = (f"; its verdict changed from {biggest['verdict_before'].replace('_', ' ')} to "
                   f"{biggest['verdict_after'].replace('_', ' ')}")
    return (f"Compared with production version {production['version']}, the largest change is in "
            f"{biggest['label'].lower()} for {biggest['feature']}, from {biggest['before']:.2f} to "
            f"{biggest['after']:.2f}{verdict}.")


def fairness_summary(report: dict[str, Any]) -> list[str]:
    """Sentences for the fairness report (built by :func:`backend.reports.fairness_report`)."""
    features = report["features"]
    positive = f"'{report['positive_label']}'" if report.get("positive_label") else "positive"
    sentences: list[str] = []
    if not features:
        sentences.append("No fairness verdict could be reached.")
        sentences += [item["reason"] for item in report["not_computed"]]
        sentences.append(f"The test set has {report['test_rows']:,} rows.")
        return sentences[:MAX_SENTENCES]
    if report["task"] == "classification":
        sentences.append(_verdict_counts(features))
        sentences += [s for s in (_selection_sentence(features, positive), _error_rate_sentence(features, positive))
                      if s]
        unsure = [c for f in features for c in f["checks"] if c["verdict"] == "insufficient_evidence"]
        if unsure:
            sentences.append(unsure[0]["reason"])
    else:
        sentences += _regression_sentences(features)
    extra = [s for s in (_production_sentence(report),) if s]
    extra += [item["reason"] for item in report["not_computed"]] + report.get("warnings", [])
    for sentence in extra:
        if len(sentences) >= MAX_SENTENCES:
            break
        sentences.append(sentence)
    if len(sentences) < 3:
        sentences.append(f"Measured on {report['test_rows']:,} test rows the model never saw, with 95% intervals "
                         f"from {report['resamples']:,} bootstrap resamples.")
    return sentences[:MAX_SENTENCES]


def _driver_sentence(report: dict[str, Any]) -> str | None:
    drivers = report["global"]
    if not drivers:
        return None
    top = drivers[:3]
    names = [d["feature"] for d in top]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    share = sum(d["share"] for d in top)
    return (f"The model's scores depend most on {listed}: together {percent(share)} of the total effect of all "
            f"{len(drivers)} features.")


def _direction_sentence(report: dict[str, Any]) -> str | None:
    for effect in report.get("effects", [])[:2]:
        if effect["kind"] == "number" and _finite(effect.get("correlation")) and abs(effect["correlation"]) >= 0.3:
            way = "raise" if effect["correlation"] > 0 else "lower"
            return f"Higher values of {effect['feature']} generally {way} the score."
        # A value seen a handful of times can have an extreme average effect that means little.
        enough = max(20, sum(v["count"] for v in effect.get("by_value", [])) // 50)
        values = [v for v in effect.get("by_value", []) if _finite(v["mean_effect"]) and v["count"] >= enough]
        if effect["kind"] == "category" and len(values) >= 2:
            up = max(values, key=lambda v: v["mean_effect"])
            down = min(values, key=lambda v: v["mean_effect"])
            return (f"For {effect['feature']}, '{up['value']}' raises the score most and '{down['value']}' "
                    "lowers it most.")
    return None


def _case_sentence(report: dict[str, Any]) -> str | None:
    cases = report.get("cases", [])
    case = next((c for c in cases if c["kind"] == "borderline"), cases[0] if cases else None)
    if not case or not case["contributions"]:
        return None
    ups = [c for c in case["contributions"] if c["effect"] > 0]
    downs = [c for c in case["contributions"] if c["effect"] < 0]
    parts = []
    if ups:
        parts.append(f"{ups[0]['feature']} ({ups[0]['value']}) pushed it up")
    if downs:
        parts.append(f"{downs[0]['feature']} ({downs[0]['value']}) pulled it down")
    if report["task"] == "classification":
        shown = f"score {percent(case['score'])}"
    else:
        shown = f"prediction {case['score']:,.3g}"
    return f"In a {case['title'].lower()} ({shown}), " + " while ".join(parts) + "."


def _method_sentence(report: dict[str, Any]) -> str:
    sampled = " (a random sample)" if report["sampled"] else ""
    error = report.get("additivity", {}).get("max_abs_error")
    adds = (f"; the explanations add up to the model's output to within {error:.1g}" if _finite(error) else "")
    return (f"{report['explainer']} explained {report['rows_explained']:,} of {report['test_rows']:,} test "
            f"rows{sampled}{adds}.")


def explainability_summary(report: dict[str, Any]) -> list[str]:
    """Sentences for the explainability report (built by :func:`backend.reports.explain_model`)."""
    if not report.get("explainer"):
        sentences = ["No explanations could be computed for this model."]
        sentences += [item["reason"] for item in report["not_computed"]][:2]
        sentences.append("The fairness report and the other evidence are not affected.")
        return sentences[:MAX_SENTENCES]
    sentences = [s for s in (_driver_sentence(report), _direction_sentence(report), _case_sentence(report)) if s]
    sentences.append(_method_sentence(report))
    if len(sentences) < 3:
        sentences.append("Each explanation splits a score into the push of every feature, starting from the "
                         "model's average score.")
    return sentences[:MAX_SENTENCES]
