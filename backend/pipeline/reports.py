"""Stage: reports. Fairness and explainability of the version on the held-out test set.

Scores the test rows once (test validation reuses them), stores them with the sensitive
columns for the portal's threshold what-if, and writes both reports as JSON artifacts whose
SHA-256 a sign-off will be bound to. A fairness **fail** stops the pipeline only when the spec
sets ``[gates].fairness_blocks = true``; otherwise it is evidence for the reviewers.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from backend.domain import ArtifactRef
from backend.errors import StageFailed
from backend.governance.policy import DEFAULT_POLICY
from backend.pipeline.context import RunContext, StageOutcome
from backend.pipeline.validation import comparison_scores, load_version_model
from backend.reports import (
    Labels,
    explain_model,
    fairness_report,
    fairness_summary,
    group_labels,
    jsonable,
    sensitive_inputs,
    store_json,
)

__all__ = ["run_reports", "FAIRNESS_FAIL_PREFIX"]

STAGE = "reports"
#: The stage's message when fairness checks fail; the command line shows the stage as a warning.
FAIRNESS_FAIL_PREFIX = "Fairness: fail"


def _store_scores(ctx: RunContext, y: np.ndarray, scores: np.ndarray, sensitive: pd.DataFrame,
                  min_group_size: int) -> ArtifactRef:
    frame = pd.DataFrame({"y_true": y, "score": scores})
    for column in sensitive.columns:
        frame[f"sensitive:{column}"] = sensitive[column].to_numpy()
    for feature, labels in group_labels(sensitive, list(ctx.spec.data.sensitive_features),
                                        min_group_size=min_group_size).items():
        frame[f"group:{feature}"] = labels  # categorical: keeps the report's group order
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    blob = ctx.app.artifacts.put_bytes(buffer.getvalue())
    return ctx.app.registry.add_artifact(ctx.name, ctx.version, kind="test_scores", uri=blob.uri, sha256=blob.sha256,
                                         size_bytes=blob.size_bytes, meta={"format": "parquet", "rows": len(frame)},
                                         actor=ctx.actor)


def _ref(ref: ArtifactRef) -> dict[str, Any]:
    return {"uri": ref.uri, "sha256": ref.sha256, "size_bytes": ref.size_bytes}


def _labels(ctx: RunContext, positive_label: str | None) -> Labels:
    return Labels.from_dict(ctx.spec.labels, target=ctx.spec.data.target, positive_label=positive_label)


def run_reports(ctx: RunContext) -> StageOutcome:
    if ctx.data is None:
        raise StageFailed("The test data is not loaded; run the pipeline from the build stage.")
    data, spec, task = ctx.data, ctx.spec, ctx.spec.model.task
    policy = {**DEFAULT_POLICY["fairness"], **(spec.policy.get("fairness") or {})}
    ctx.say(STAGE, f"scoring {len(data.test.X):,} held-out test rows")
    model = load_version_model(ctx, ctx.version)
    y = data.test.y
    scores = model.score_prepared(data.test.X)
    ctx.extra["test_scores"] = scores  # test validation measures these same scores
    present = [c for c in spec.data.sensitive_features if c in data.test.raw.columns]
    sensitive = data.test.raw[present].reset_index(drop=True)
    scores_ref = _store_scores(ctx, y, scores, sensitive, int(policy["min_group_size"]))
    labels = _labels(ctx, data.positive_label)

    comparisons = comparison_scores(ctx, STAGE)
    features = list(spec.data.sensitive_features)
    ctx.say(STAGE, f"fairness by {', '.join(features) or 'no sensitive feature'}")
    fairness = fairness_report(y, scores, sensitive, features=features, task=task, policy=policy,
                               threshold=model.threshold, positive_label=data.positive_label, labels=labels,
                               comparisons=comparisons if task == "classification" else ())
    bands = {f["feature"]: [b["low"] for b in f["bands"][1:]] for f in fairness["features"] if f["kind"] == "banded"}
    ctx.say(STAGE, "explaining the model's scores with SHAP on a fixed, seeded sample")
    explainability = explain_model(model.estimator, data.test.X, scores, task=task, background=data.train.X,
                                   threshold=model.threshold, positive_label=data.positive_label, labels=labels,
                                   bands=bands)
    ctx.say(STAGE, "looking for sensitive features and close proxies among the inputs")
    fairness["sensitive_inputs"] = sensitive_inputs(data.test.X, sensitive, features, explainability["global"])
    fairness["summary"] = fairness_summary(fairness)  # again, now that it knows the sensitive inputs
    for report in (fairness, explainability):
        report.update({"model": ctx.name, "version": ctx.version})
    fairness_ref = store_json(ctx.app, ctx.name, ctx.version, kind="fairness_report", payload=fairness,
                              actor=ctx.actor)
    explain_ref = store_json(ctx.app, ctx.name, ctx.version, kind="explainability_report", payload=explainability,
                             actor=ctx.actor)

    checks = [{"feature": f["feature"], "metric": c["metric"], "verdict": c["verdict"], "value": c["value"],
               "low": c["low"], "high": c["high"], "threshold": c["threshold"], "label": c["label"]}
              for f in fairness["features"] for c in f["checks"]]
    additivity = explainability.get("additivity") or {}
    evidence = {
        "fairness": {"verdict": fairness["verdict"], "checks": checks, "not_computed": fairness["not_computed"],
                     "comparisons": [{"version": c["version"], "roles": c["roles"], "verdict": c.get("verdict"),
                                      "error": c.get("error")} for c in fairness["comparisons"]],
                     "sensitive_inputs": fairness["sensitive_inputs"], "summary": fairness["summary"],
                     "artifact": _ref(fairness_ref)},
        "explainability": {"explainer": explainability["explainer"], "rows_explained": explainability["rows_explained"],
                           "test_rows": explainability["test_rows"], "seed": explainability.get("seed"),
                           "additivity_error": additivity.get("max_abs_error"),
                           "top_features": [d["feature"] for d in explainability["global"][:5]],
                           "not_computed": explainability["not_computed"], "summary": explainability["summary"],
                           "artifact": _ref(explain_ref)},
        "scores": {**_ref(scores_ref), "rows": int(len(y))},
    }
    evidence = jsonable(evidence)  # stored as JSON in the database, where NaN is not allowed
    not_computed = [f"Not computed — {item['item']}: {item['reason']}"
                    for item in fairness["not_computed"] + explainability["not_computed"]]
    failing = [c["reason"] for f in fairness["features"] for c in f["checks"] if c["verdict"] == "fail"]
    messages = fairness["summary"] + explainability["summary"] + not_computed
    if failing and policy.get("blocks"):
        reason = "Failed the fairness policy: " + " ".join(failing)
        return StageOutcome(passed=False, messages=messages, evidence=evidence, reason=reason)
    if failing:
        messages.insert(0, f"{FAIRNESS_FAIL_PREFIX} on {len(failing)} of {len(checks)} checks; the policy leaves the "
                           "decision to the sign-off reviewers, who must acknowledge each failed check to approve.")
    return StageOutcome(passed=True, messages=messages, evidence=evidence)

