"""Tables for the pages, built from domain objects and worded for business readers.

Pure pandas: every function takes what the registry returned and gives back a DataFrame
whose column names are what a reader sees.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from backend.domain import ArtifactRef, StageRun, Version
from backend.metrics import METRICS
from portal.wording import (
    failure_sentence,
    format_bytes,
    format_when,
    metric_explanation,
    metric_label,
    metric_value,
    run_status,
    stage_explanation,
    stage_label,
    stage_took,
    state_explanation,
    state_label,
)

__all__ = [
    "version_history",
    "stage_summary",
    "smoke_checks",
    "metric_table",
    "gate_verdicts",
    "champion_comparison",
    "comparison_table",
    "artifacts",
    "lineage",
    "gates_of",
]

_PASSED = "✔ Passed"
_FAILED = "✘ Failed"


def _verdict(passed: bool | None) -> str:
    return _PASSED if passed else _FAILED


def version_history(versions: list[Version]) -> pd.DataFrame:
    """One row per version, newest first."""
    return pd.DataFrame(
        [{
            "Version": f"v{v.number}",
            "State": state_label(v.state),
            "What it means": state_explanation(v.state),
            "Why it stopped": failure_sentence(v.failure_reason) if v.failure_reason else "",
            "Registered": format_when(v.created_at),
            "Author": v.author,
            "Model type": v.estimator or "not built yet",
            "Serving as": ", ".join(v.aliases) or "",
        } for v in versions],
        columns=["Version", "State", "What it means", "Why it stopped", "Registered", "Author", "Model type",
                 "Serving as"],
    )


def stage_summary(runs: list[StageRun]) -> pd.DataFrame:
    rows = []
    for run in runs:
        rows.append({"Stage": stage_label(run.stage), "Result": run_status(run)[0],
                     "Took": stage_took(run.status, run.duration_s), "What the stage does": stage_explanation(run.stage)})
    return pd.DataFrame(rows, columns=["Stage", "Result", "Took", "What the stage does"])


def smoke_checks(checks: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"Check": str(c.get("name", "")).replace("_", " ").capitalize(), "Result": _verdict(c.get("passed")),
          "What we saw": c.get("message", "")} for c in checks],
        columns=["Check", "Result", "What we saw"],
    )


def gates_of(version: Version) -> dict[str, dict[str, float]]:
    """The policy's minimum and maximum per metric: ``{"min": {...}, "max": {...}}``."""
    gates = (version.policy or {}).get("gates", {}) or {}
    return {"min": dict(gates.get("min", {}) or {}), "max": dict(gates.get("max", {}) or {})}


def _rule(metric: str, gates: dict[str, dict[str, float]]) -> str:
    parts = []
    if metric in gates["min"]:
        parts.append(f"at least {metric_value(metric, gates['min'][metric])}")
    if metric in gates["max"]:
        parts.append(f"at most {metric_value(metric, gates['max'][metric])}")
    return " and ".join(parts) if parts else "no rule"


def metric_table(values: dict[str, Any], gates: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Measured metrics in the order of :data:`backend.metrics.METRICS`, each explained."""
    names = [n for n in METRICS if n in values] + sorted(n for n in values if n not in METRICS)
    return pd.DataFrame(
        [{"Measure": metric_label(n), "Value": metric_value(n, values[n]), "Policy": _rule(n, gates),
          "What it means": metric_explanation(n)} for n in names],
        columns=["Measure", "Value", "Policy", "What it means"],
    )


def gate_verdicts(gates: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for gate in gates:
        metric, bound = gate.get("metric", ""), gate.get("bound", "")
        if bound == "not_worse_than_production":
            rule = f"{metric_label(metric)} not worse than production"
        else:
            word = "at least" if bound == "min" else "at most"
            rule = f"{metric_label(metric)} {word} {metric_value(metric, gate.get('threshold'))}"
        rows.append({"Result": _verdict(gate.get("passed")), "Rule": rule,
                     "Measured": metric_value(metric, gate.get("value")), "Why": gate.get("reason", "")})
    return pd.DataFrame(rows, columns=["Result", "Rule", "Measured", "Why"])


def champion_comparison(champion: dict[str, Any]) -> pd.DataFrame:
    """The paired comparison with production: each metric's difference and its 95% interval."""
    return comparison_table(champion, f"Production (v{champion.get('version')})")


ROLE_TITLES = {"production": "production", "previous approved": "previous approved",
               "previous validated": "previous validated"}


def comparison_title(comparison: dict[str, Any]) -> str:
    """``"Version 1 (production, previous approved)"``."""
    roles = ", ".join(ROLE_TITLES.get(r, r) for r in comparison.get("roles") or [])
    return f"Version {comparison.get('version')}" + (f" ({roles})" if roles else "")


def comparison_table(comparison: dict[str, Any], other: str | None = None) -> pd.DataFrame:
    """A paired comparison with an earlier version: each metric's difference and its 95% interval."""
    other = other or comparison_title(comparison)
    rows = []
    for name, interval in (comparison.get("comparison") or {}).items():
        rows.append({
            "Measure": metric_label(name),
            "This version": metric_value(name, interval.get("challenger")),
            other: metric_value(name, interval.get("champion")),
            "Difference": f"{interval.get('difference', 0):+.3f}",
            "95% interval of the difference": f"{interval.get('low', 0):+.3f} to {interval.get('high', 0):+.3f}",
            "What it means": metric_explanation(name),
        })
    return pd.DataFrame(rows)


def artifacts(refs: list[ArtifactRef]) -> pd.DataFrame:
    descriptions = {"model": "The trained model file", "sample": "Sample input rows for the smoke checks",
                    "test_scores": "The model's scores on the test data",
                    "fairness_report": "Fairness report", "explainability_report": "Explainability report",
                    "model_card_md": "Model card (Markdown)", "model_card_html": "Model card (web page)"}
    return pd.DataFrame(
        [{"Artifact": descriptions.get(r.kind, r.kind.replace("_", " ").capitalize()), "SHA-256": r.sha256,
          "Size": format_bytes(r.size_bytes), "Stored": format_when(r.created_at), "Location": r.uri}
         for r in refs],
        columns=["Artifact", "SHA-256", "Size", "Stored", "Location"],
    )


def lineage(version: Version, factory: str | None = None) -> pd.DataFrame:
    rows = [
        ("Author", version.author, "Who started the pipeline for this version."),
        ("Registered", format_when(version.created_at), "When the pipeline registered it."),
        ("Git commit", version.git_commit or "not recorded", "The exact code the model was built from."),
        ("Spec file", version.spec_path or "not recorded", "The file that describes the model and its policy."),
        ("Spec hash", version.spec_hash or "not recorded", "Fingerprint of the spec file; any edit changes it."),
        ("Data fingerprint", version.data_fingerprint or "not recorded",
         "Fingerprint of the training and test data; any change to the data changes it."),
        ("Estimator factory", factory or "not recorded",
         "The function in the team's code (module:function) that built the model before training."),
        ("Model type", version.estimator or "not built yet", "The kind of model that was trained."),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value", "What it is"])
