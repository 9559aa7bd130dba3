"""Alerts: a figure of a period left the range agreed at sign-off, said in one plain sentence.

At most one alert per kind, version and period (drift, performance, estimated performance,
fairness, errors), with a severity — ``info`` (worth a look), ``warning`` (act), ``critical``
(act now) — so a re-run never repeats one. A degradation (realised or estimated performance
clearly below the signed-off band) recommends retraining and names the spec and the command.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backend.monitoring.periods import describe_period

__all__ = ["period_alerts", "SEVERITIES", "severity_rank", "ordinal", "retraining_for", "ERROR_SHARE_LIMIT"]

SEVERITIES = ("info", "warning", "critical")
#: A period where more than this share of requests could not be scored raises an alert.
ERROR_SHARE_LIMIT = 0.05
_STATUS_SEVERITY = {"may_decline": "info", "degraded": "warning", "below_gate": "critical"}
_ORDINALS = ("", "most important", "second most important", "third most important", "fourth most important",
             "fifth most important")


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def ordinal(rank: int | None) -> str:
    """'most important', 'second most important', …, '12th most important'."""
    if rank is None:
        return "an unranked"
    if rank < len(_ORDINALS):
        return _ORDINALS[rank]
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix} most important"


def retraining_for(stats: dict[str, Any]) -> dict[str, str]:
    spec = stats.get("spec_path") or "path/to/greenlight.toml"
    return {"spec": spec, "command": f"greenlight pipeline run {spec}"}


def _worst(items: list[dict[str, Any]]) -> str:
    return max((i["severity"] for i in items if i.get("severity")), key=severity_rank)


def _drift_alert(result: dict[str, Any], when: str) -> dict[str, Any] | None:
    drift = result["drift"]
    flagged = [f for f in drift["features"] if f["flagged"]]
    score = drift.get("score") if drift.get("score") and drift["score"]["flagged"] else None
    if not flagged and not score:
        return None
    if flagged:
        largest = max(flagged, key=lambda f: f["psi"])
        sentence = (f"{len(flagged)} of {len(drift['features'])} inputs shifted {when} beyond what chance explains; "
                    f"the largest shift is in {largest['feature']} (PSI {largest['psi']:.2f}, a {largest['psi_level']} "
                    f"shift), the model's {ordinal(largest['importance_rank'])} input.")
        if score:
            sentence += " The model's scores shifted too."
        severity = _worst(flagged + ([{"severity": "info"}] if score else []))
    else:
        sentence = (f"The model's scores shifted {when} beyond what chance explains (PSI {score['psi']:.2f}, a "
                    f"{score['psi_level']} shift).")
        severity = "warning" if score["psi_level"] in ("moderate", "major") else "info"
    return {"kind": "drift", "severity": severity, "sentence": sentence,
            "detail": {"features": [{"feature": f["feature"], "psi": f["psi"], "statistic": f["statistic"],
                                     "threshold": f["threshold"], "importance_rank": f["importance_rank"]}
                                    for f in flagged], "score_shifted": bool(score)}}


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _performance_alert(kind: str, metrics: dict[str, dict[str, Any]], when: str, version: int,
                       stats: dict[str, Any]) -> dict[str, Any] | None:
    out = [dict(m, metric=name, severity=_STATUS_SEVERITY[m["status"]]) for name, m in metrics.items()
           if m["status"] in _STATUS_SEVERITY]
    if not out:
        return None
    severity = _worst(out)
    primary = "roc_auc" if stats["task"] == "classification" else "rmse"
    worst = [m for m in out if m["severity"] == severity]
    lead = next((m for m in worst if m["metric"] == primary), worst[0])
    estimate = kind == "estimated_performance"
    moved = "fell" if lead["higher_is_better"] else "rose"
    label = lead["label"]
    if estimate:  # "Estimated accuracy", "Estimated ROC AUC", "Estimated F1 score"
        label = "Estimated " + (label if label.split()[0].isupper() else label[0].lower() + label[1:])
    band = (f"{_fmt(lead['band_low'])}–{_fmt(lead['band_high'])}" if lead["band_low"] is not None
            else _fmt(lead["baseline"]))
    sentence = (f"{label} {moved} to {_fmt(lead['value'])} (95% interval {_fmt(lead['low'])}–{_fmt(lead['high'])}) "
                f"{when}, {'below' if lead['higher_is_better'] else 'above'} the {band} signed off for version {version}")
    gate = lead["gate_min"] if lead["higher_is_better"] else lead["gate_max"]
    if lead["status"] == "below_gate" and gate is not None:
        sentence += f" and past the policy's {'minimum' if lead['higher_is_better'] else 'maximum'} of {gate:g}"
    if lead["status"] == "may_decline":
        sentence += ", though the interval still reaches the band: it may be chance"
    sentence += "."
    others = [m["label"] for m in out if m is not lead]
    if others:
        sentence += f" Also outside the band: {', '.join(others)}."
    if estimate:
        sentence += " This is an estimate from the scores; outcomes are not known yet."
    alert: dict[str, Any] = {"kind": kind, "severity": severity, "sentence": sentence,
                             "detail": {"metrics": {m["metric"]: {k: m.get(k) for k in (
                                 "value", "low", "high", "baseline", "band_low", "band_high", "status")} for m in out},
                                 "is_estimate": estimate}}
    if severity_rank(severity) >= severity_rank("warning"):
        retraining = retraining_for(stats)
        alert["retraining"] = retraining
        alert["sentence"] += f" Retraining recommended: run `{retraining['command']}`."
    return alert


def _fairness_alert(result: dict[str, Any], when: str) -> dict[str, Any] | None:
    failing = [c for c in result["fairness"]["checks"] if c["verdict"] == "fail" and c.get("baseline_verdict") != "fail"]
    if not failing:
        return None
    lead = failing[0]
    side = "below the policy's minimum" if lead["bound"] == "min" else "above the policy's maximum"
    before = {"pass": "it passed", "insufficient_evidence": "the evidence was insufficient"}.get(
        lead.get("baseline_verdict") or "", "it was not assessed")
    sentence = (f"{lead['label']} for {lead['feature']} is {lead['value']:.2f} (95% interval {lead['low']:.2f}–"
                f"{lead['high']:.2f}) {when}, {side} of {lead['threshold']:.2f}; at sign-off {before}.")
    if len(failing) > 1:
        sentence += f" {len(failing) - 1} other fairness check{'s' if len(failing) > 2 else ''} fail{'' if len(failing) > 2 else 's'} too."
    return {"kind": "fairness", "severity": "warning", "sentence": sentence,
            "detail": {"checks": [{k: c[k] for k in ("feature", "metric", "value", "low", "high", "threshold",
                                                     "baseline_verdict")} for c in failing]}}


def _error_alert(result: dict[str, Any], when: str) -> dict[str, Any] | None:
    volume = result["volume"]
    if volume["predictions"] < 30 or volume["error_share"] <= ERROR_SHARE_LIMIT:
        return None
    return {"kind": "errors", "severity": "warning",
            "sentence": (f"{volume['error_share']:.0%} of the {volume['predictions']:,} requests {when} could not be "
                         f"scored (more than {ERROR_SHARE_LIMIT:.0%}); the prediction log's error column says why."),
            "detail": {"errors": volume["errors"], "predictions": volume["predictions"]}}


def period_alerts(result: dict[str, Any], stats: dict[str, Any], *, version: int, period: str,
                  start: date) -> list[dict[str, Any]]:
    """The alerts one judged period raises (none for a period that stayed within range)."""
    when = ("on " if period == "day" else "in ") + describe_period(start, period)
    performance = result["performance"]
    alerts = [_drift_alert(result, when), _error_alert(result, when), _fairness_alert(result, when)]
    if performance["realised"]:
        alerts.append(_performance_alert("performance", performance["realised"], when, version, stats))
    elif performance["estimated"] and performance["estimated"].get("metrics"):
        alerts.append(_performance_alert("estimated_performance", performance["estimated"]["metrics"], when, version,
                                         stats))
    return [a for a in alerts if a is not None]
