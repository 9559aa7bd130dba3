"""Three to five plain sentences per report, generated from its numbers.

Written for a business reader: percentages and named groups, not metric jargon. Every
sentence is built from a number in the report, so the words can never drift from the data.
"""

from __future__ import annotations

import math
from typing import Any

from backend.reports._labels import Labels

__all__ = ["fairness_summary", "explainability_summary", "percent", "describe_input"]

MAX_SENTENCES = 5


def percent(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _labels(report: dict[str, Any]) -> Labels:
    return Labels.from_dict(report.get("labels"), positive_label=report.get("positive_label"))


def _judged_rows(feature: dict[str, Any], metric: str) -> list[dict[str, Any]]:
    """Groups whose ``metric`` has enough cases behind it to be compared (and is defined)."""
    return [g for g in feature["groups"] if _finite(g[metric]["value"]) and g[metric].get("judged", True)]


def _extremes(feature: dict[str, Any], metric: str) -> tuple[dict, dict] | None:
    """The judged groups with the highest and lowest value; None when there is no gap to describe."""
    rows = _judged_rows(feature, metric)
    if len(rows) < 2:
        return None
    top, bottom = max(rows, key=lambda g: g[metric]["value"]), min(rows, key=lambda g: g[metric]["value"])
    return None if top[metric]["value"] == bottom[metric]["value"] else (top, bottom)


def _largest(features: list[dict[str, Any]], disparity: str) -> dict[str, Any] | None:
    # Single features first: an intersection's small groups make its extremes the noisiest numbers.
    single = [f for f in features if f.get("kind") != "intersection"] or features
    candidates = [f for f in single if _finite(f["disparities"].get(disparity, {}).get("value"))]
    return max(candidates, key=lambda f: f["disparities"][disparity]["value"]) if candidates else None


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _verdict_counts(features: list[dict[str, Any]], labels: Labels) -> str:
    checks = [c for f in features for c in f["checks"]]
    passed = sum(c["verdict"] == "pass" for c in checks)
    failed = sum(c["verdict"] == "fail" for c in checks)
    unsure = len(checks) - passed - failed
    names = _listing([labels.feature(f["feature"]) for f in features])
    return (f"Of the {len(checks)} fairness checks on {names}, {passed} pass, {failed} fail and {unsure} "
            f"{'lacks' if unsure == 1 else 'lack'} the evidence for a verdict.")


def _who(feature: dict[str, Any], group: dict[str, Any], labels: Labels) -> str:
    return (f"{labels.who(feature['feature'], group['group'], banded=feature.get('kind') == 'banded')} "
            f"({group['count']:,})")


def _selection_sentence(features: list[dict[str, Any]], labels: Labels) -> tuple[str | None, dict | None]:
    outcome = labels.quoted_outcome()
    feature = _largest(features, "demographic_parity_difference")
    ends = _extremes(feature, "selection_rate") if feature else None
    if feature and not ends:
        rows = _judged_rows(feature, "selection_rate")
        if rows:
            rate = rows[0]["selection_rate"]["value"]
            return (f"Every {labels.feature(feature['feature'])} group that can be judged is predicted {outcome} at "
                    f"the same rate, {percent(rate)}"
                    + (": the model flags nobody at this threshold." if rate == 0 else "."), None)
    if not ends:
        return None, None
    top, bottom = ends
    gap = feature["disparities"]["demographic_parity_difference"]["value"]
    ratio = feature["disparities"]["demographic_parity_ratio"]["value"]
    ratio_text = f"; ratio {ratio:.2f}" if _finite(ratio) else ""
    return (f"The widest gap in who is predicted {outcome} is by {labels.feature(feature['feature'])}: "
            f"{percent(top['selection_rate']['value'])} of {_who(feature, top, labels)} against "
            f"{percent(bottom['selection_rate']['value'])} of {_who(feature, bottom, labels)} "
            f"({gap * 100:.0f} percentage points{ratio_text})."), feature


_EFFECTS = {"widens": "widens the gap already in the data", "narrows": "narrows the gap already in the data",
            "keeps": "keeps about the gap already in the data"}


def _data_gap_sentence(feature: dict[str, Any] | None, labels: Labels) -> str | None:
    gap = (feature or {}).get("data_gap")
    if not gap:
        return None
    return (f"In the real outcomes, the share of {labels.quoted_outcome()} differs by {gap['base_rate_gap'] * 100:.0f} "
            f"percentage points between {labels.feature(feature['feature'])} groups, and in the model's decisions "
            f"by {gap['selection_gap'] * 100:.0f}: the model {_EFFECTS[gap['effect']]}.")


def _error_rate_sentence(features: list[dict[str, Any]], labels: Labels) -> str | None:
    outcome = labels.quoted_outcome()
    feature = _largest(features, "equalized_odds_difference")
    if not feature:
        return None
    tpr, fpr = _extremes(feature, "true_positive_rate"), _extremes(feature, "false_positive_rate")
    tpr_gap = tpr[0]["true_positive_rate"]["value"] - tpr[1]["true_positive_rate"]["value"] if tpr else -1
    fpr_gap = fpr[0]["false_positive_rate"]["value"] - fpr[1]["false_positive_rate"]["value"] if fpr else -1
    if tpr_gap < 0 and fpr_gap < 0:
        return None
    name = labels.feature(feature["feature"])
    banded = feature.get("kind") == "banded"
    if tpr_gap >= fpr_gap:
        top, bottom = tpr
        return (f"Hits are most uneven by {name}: the model finds {percent(top['true_positive_rate']['value'])} of "
                f"the real {outcome} cases among {labels.who(feature['feature'], top['group'], banded=banded)} "
                f"({top['true_positive_rate']['n']:,} such cases) but {percent(bottom['true_positive_rate']['value'])} "
                f"among {labels.who(feature['feature'], bottom['group'], banded=banded)} "
                f"({bottom['true_positive_rate']['n']:,}).")
    top, bottom = fpr
    return (f"False alarms are most uneven by {name}: the model wrongly predicts {outcome} for "
            f"{percent(top['false_positive_rate']['value'])} of "
            f"{labels.who(feature['feature'], top['group'], banded=banded)} without it "
            f"({top['false_positive_rate']['n']:,}), against {percent(bottom['false_positive_rate']['value'])} of "
            f"{labels.who(feature['feature'], bottom['group'], banded=banded)} "
            f"({bottom['false_positive_rate']['n']:,}).")


def _too_few_sentence(features: list[dict[str, Any]], labels: Labels) -> str | None:
    parts = []
    for feature in features:
        small = feature.get("too_few") or []
        if small:
            parts.append(f"{len(small)} of {labels.feature(feature['feature'])}")
    if not parts:
        return None
    return (f"Some groups are too few to judge ({_listing(parts)}); they are named in the report with their counts, "
            "and the verdicts rest on the groups that have enough people.")


_ROLE_WORDS = {"production": "production version", "previous approved": "previous approved version",
               "previous validated": "previous validated version"}


def _comparison_sentence(report: dict[str, Any], labels: Labels) -> str | None:
    comparisons = report.get("comparisons") or []
    if not comparisons:
        return None
    first = comparisons[0]
    role = _ROLE_WORDS.get((first.get("roles") or ["production"])[0], "earlier version")
    if first.get("error"):
        return f"The {role}, {first['version']}, could not be scored for a comparison: {first['error']}"
    changes = [c for c in first.get("changes", []) if _finite(c["change"])]
    if not changes:
        return f"Compared with the {role}, {first['version']}, no fairness measure could be compared."
    biggest = max(changes, key=lambda c: abs(c["change"]))
    verdict = ""
    if biggest["verdict_before"] != biggest["verdict_after"]:
        verdict = (f"; its verdict changed from {biggest['verdict_before'].replace('_', ' ')} to "
                   f"{biggest['verdict_after'].replace('_', ' ')}")
    return (f"Compared with the {role}, {first['version']}, on the same rows, the largest change is in "
            f"{biggest['label'].lower()} for {labels.feature(biggest['feature'])}, from {biggest['before']:.2f} to "
            f"{biggest['after']:.2f} ({biggest['direction']}){verdict}.")


def _inputs_sentence(report: dict[str, Any], labels: Labels) -> str | None:
    items = report.get("sensitive_inputs") or []
    if not items:
        return None
    return "The model uses sensitive information as input: " + _listing([describe_input(i, labels) for i in items]) + "."


def describe_input(item: dict[str, Any], labels: Labels) -> str:
    """``"race itself (its 3rd strongest driver)"`` or ``"relationship, a close proxy for sex (Cramér's V 0.65)"``."""
    rank = item.get("rank")
    driver = f", its {_ordinal(rank)} strongest driver" if rank else ""
    if item["kind"] == "same":
        return f"{labels.feature(item['sensitive'])} itself{driver}"
    return (f"{labels.feature(item['input'])}, a close proxy for {labels.feature(item['sensitive'])} "
            f"({item['measure']} {item['association']:.2f}{driver})")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _regression_sentences(features: list[dict[str, Any]], labels: Labels) -> list[str]:
    out = [f"Prediction errors were compared across {_listing([labels.feature(f['feature']) for f in features])}."]
    feature = _largest(features, "mae_difference")
    ends = _extremes(feature, "mae") if feature else None
    if ends:
        top, bottom = ends
        out.append(f"By {labels.feature(feature['feature'])}, the average error ranges from "
                   f"{bottom['mae']['value']:,.3g} for {_who(feature, bottom, labels)} to {top['mae']['value']:,.3g} "
                   f"for {_who(feature, top, labels)}.")
    out.append("Parity checks judge yes/no decisions, so for this regression model the reviewers judge the error "
               "gaps themselves.")
    return out


def fairness_summary(report: dict[str, Any]) -> list[str]:
    """Sentences for the fairness report (built by :func:`backend.reports.fairness_report`)."""
    features = report["features"]
    labels = _labels(report)
    sentences: list[str] = []
    if not features:
        sentences.append("No fairness verdict could be reached.")
        sentences += [item["reason"] for item in report["not_computed"]]
        sentences.append(f"The test set has {report['test_rows']:,} rows.")
        return sentences[:MAX_SENTENCES]
    if report["task"] == "classification":
        sentences.append(_verdict_counts(features, labels))
        headline, feature = _selection_sentence(features, labels)
        candidates = [_inputs_sentence(report, labels), headline, _data_gap_sentence(feature, labels),
                      _error_rate_sentence(features, labels), _too_few_sentence(features, labels)]
        sentences += [s for s in candidates if s]
    else:
        sentences += _regression_sentences(features, labels)
    extra = [s for s in (_comparison_sentence(report, labels),) if s]
    extra += [item["reason"] for item in report["not_computed"]] + report.get("warnings", [])
    for sentence in extra:
        if len(sentences) >= MAX_SENTENCES:
            break
        sentences.append(sentence)
    if len(sentences) < 3:
        sentences.append(f"Measured on {report['test_rows']:,} test rows the model never saw, with exact 95% intervals "
                         "for each group's rates.")
    return sentences[:MAX_SENTENCES]


def _driver_sentence(report: dict[str, Any], labels: Labels) -> str | None:
    drivers = report["global"]
    if not drivers:
        return None
    top = drivers[:3]
    share = sum(d["share"] for d in top)
    return (f"The model's scores depend most on {_listing([labels.feature(d['feature']) for d in top])}: together "
            f"{percent(share)} of the total effect of all {len(drivers)} features.")


def _direction_sentence(report: dict[str, Any], labels: Labels) -> str | None:
    for effect in report.get("effects", [])[:2]:
        name = labels.feature(effect["feature"])
        if effect["kind"] == "number" and _finite(effect.get("correlation")) and abs(effect["correlation"]) >= 0.3:
            way = "raise" if effect["correlation"] > 0 else "lower"
            return f"Higher values of {name} generally {way} the score."
        # A value seen a handful of times can have an extreme average effect that means little.
        enough = max(20, sum(v["count"] for v in effect.get("by_value", [])) // 50)
        values = [v for v in effect.get("by_value", []) if _finite(v["mean_effect"]) and v["count"] >= enough]
        if effect["kind"] == "category" and len(values) >= 2:
            up = max(values, key=lambda v: v["mean_effect"])
            down = min(values, key=lambda v: v["mean_effect"])
            return (f"For {name}, '{labels.value(effect['feature'], up['value'])}' raises the score most and "
                    f"'{labels.value(effect['feature'], down['value'])}' lowers it most.")
    return None


def _case_sentence(report: dict[str, Any], labels: Labels) -> str | None:
    cases = report.get("cases", [])
    case = next((c for c in cases if c["kind"] == "borderline"), cases[0] if cases else None)
    if not case or not case["contributions"]:
        return None
    ups = [c for c in case["contributions"] if c["effect"] > 0]
    downs = [c for c in case["contributions"] if c["effect"] < 0]
    parts = []
    if ups:
        parts.append(f"{labels.feature(ups[0]['feature'])} ({labels.value(ups[0]['feature'], ups[0]['value'])}) "
                     "pushed it up")
    if downs:
        parts.append(f"{labels.feature(downs[0]['feature'])} "
                     f"({labels.value(downs[0]['feature'], downs[0]['value'])}) pulled it down")
    if report["task"] == "classification":
        shown = f"score {percent(case['score'])}"
    else:
        shown = f"prediction {case['score']:,.3g}"
    return f"In a {case['title'].lower()} ({shown}), " + " while ".join(parts) + "."


def _method_sentence(report: dict[str, Any]) -> str:
    rows, test_rows = report["rows_explained"], report["test_rows"]
    which = (f"a fixed sample of {rows:,} of the {test_rows:,} test rows (drawn with seed {report.get('seed', 0)}, so "
             "the same model always gets the same report)" if report["sampled"] else f"all {test_rows:,} test rows")
    error = (report.get("additivity") or {}).get("max_abs_error")
    adds = (f"; each row's pushes add up to the model's own output to within {error:.1g}" if _finite(error) else "")
    return f"The explanations cover {which}{adds}."


def explainability_summary(report: dict[str, Any]) -> list[str]:
    """Sentences for the explainability report (built by :func:`backend.reports.explain_model`)."""
    labels = _labels(report)
    if not report.get("explainer"):
        sentences = ["No explanations could be computed for this model."]
        sentences += [item["reason"] for item in report["not_computed"]][:2]
        sentences.append("The fairness report and the other evidence are not affected.")
        return sentences[:MAX_SENTENCES]
    sentences = [s for s in (_driver_sentence(report, labels), _direction_sentence(report, labels),
                             _case_sentence(report, labels)) if s]
    sentences.append(_method_sentence(report))
    if len(sentences) < 3:
        sentences.append("Each explanation splits a score into the push of every feature, starting from the "
                         "model's average score.")
    return sentences[:MAX_SENTENCES]
