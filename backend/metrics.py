"""Every metric Greenlight measures, with a one-line explanation for business readers.

The names here are the only ones a spec's ``[gates]`` may use.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricInfo", "METRICS", "GROUP_METRICS", "FAIRNESS_METRICS", "metric_info", "gate_metric_names",
           "format_value", "PRIMARY_METRIC"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    explanation: str
    higher_is_better: bool
    unit: str = ""
    tasks: tuple[str, ...] = ("classification", "regression")
    kind: str = "ml"  # ml | compute | fairness (judged in the reports stage, never by test validation)


_CLS = ("classification",)
_REG = ("regression",)

METRICS: dict[str, MetricInfo] = {m.name: m for m in [
    MetricInfo("roc_auc", "ROC AUC",
               "How well the model ranks a true case above a non-case: 0.5 is a coin toss, 1.0 is perfect.",
               True, tasks=_CLS),
    MetricInfo("accuracy", "Accuracy", "Share of cases the model labels correctly at the 50% threshold.", True, tasks=_CLS),
    MetricInfo("precision", "Precision", "Of the cases the model flags, the share that really are positive.", True, tasks=_CLS),
    MetricInfo("recall", "Recall", "Of the real positive cases, the share the model finds.", True, tasks=_CLS),
    MetricInfo("f1", "F1 score", "Balance of precision and recall in one number (1.0 is perfect).", True, tasks=_CLS),
    MetricInfo("log_loss", "Log loss",
               "How far the predicted probabilities are from what happened; lower is better, and confident mistakes cost most.",
               False, tasks=_CLS),
    MetricInfo("brier", "Brier score",
               "Average squared gap between predicted probability and outcome; lower is better (0 is perfect).",
               False, tasks=_CLS),
    MetricInfo("rmse", "RMSE", "Typical size of a prediction error, in the target's own units; big misses count extra.",
               False, tasks=_REG),
    MetricInfo("mae", "MAE", "Average size of a prediction error, in the target's own units.", False, tasks=_REG),
    MetricInfo("r2", "R²", "Share of the target's variation the model explains (1.0 is perfect, 0 is no better than the average).",
               True, tasks=_REG),
    MetricInfo("load_time_s", "Load time", "Seconds to load the stored model into a fresh serving process.", False, "s",
               kind="compute"),
    MetricInfo("latency_p50_ms", "Latency (median)", "Time a client waits for one scored case through the scoring "
               "gateway, for a typical request.", False, "ms", kind="compute"),
    MetricInfo("latency_p95_ms", "Latency (p95)", "Time a client waits for one scored case; 95 in 100 requests are at "
               "least this fast.", False, "ms", kind="compute"),
    MetricInfo("latency_p99_ms", "Latency (p99)", "Time a client waits for one scored case; 99 in 100 requests are at "
               "least this fast.", False, "ms", kind="compute"),
    MetricInfo("throughput_requests_per_s", "Request throughput", "Single-case requests the test environment's gateway "
               "answered per second, with a few clients at once.", True, "requests/s", kind="compute"),
    MetricInfo("throughput_rows_per_s", "Batch throughput", "Rows scored per second when scoring a large batch.", True,
               "rows/s", kind="compute"),
    MetricInfo("model_size_mb", "Model size", "Size of the stored model file.", False, "MB", kind="compute"),
    MetricInfo("peak_memory_mb", "Peak memory", "Most memory the serving process used while loading and scoring.",
               False, "MB", kind="compute"),
    MetricInfo("demographic_parity_difference", "Demographic parity difference",
               "Gap in selection rate between the most- and the least-selected group (0 means every group is "
               "selected equally often).", False, tasks=_CLS, kind="fairness"),
    MetricInfo("demographic_parity_ratio", "Demographic parity ratio",
               "Selection rate of the least-selected group divided by that of the most-selected group (1.0 is "
               "equal; below 0.8 breaks the four-fifths rule).", True, tasks=_CLS, kind="fairness"),
    MetricInfo("equalized_odds_difference", "Equalized odds difference",
               "The larger of the gaps between groups in true-positive and in false-positive rate: do hits and "
               "false alarms fall equally on every group? (0 is equal).", False, tasks=_CLS, kind="fairness"),
]}

#: The fairness disparities, judged only by the reports stage.
FAIRNESS_METRICS = tuple(n for n, m in METRICS.items() if m.kind == "fairness")

#: What the fairness report measures inside each group; not gate names.
GROUP_METRICS: dict[str, MetricInfo] = {m.name: m for m in [
    MetricInfo("count", "People", "How many test rows fall in the group.", True, kind="group"),
    MetricInfo("share", "Share of data", "The group's share of all test rows.", True, kind="group"),
    MetricInfo("selection_rate", "Selection rate", "Share of the group the model flags as positive.", True,
               tasks=_CLS, kind="group"),
    MetricInfo("true_positive_rate", "True-positive rate",
               "Of the group's real positive cases, the share the model finds.", True, tasks=_CLS, kind="group"),
    MetricInfo("false_positive_rate", "False-positive rate",
               "Of the group's real negative cases, the share the model wrongly flags.", False, tasks=_CLS,
               kind="group"),
    MetricInfo("accuracy", "Accuracy", "Share of the group's cases the model labels correctly.", True, tasks=_CLS,
               kind="group"),
    MetricInfo("rmse", "RMSE", "Typical size of a prediction error for the group; big misses count extra.", False,
               tasks=_REG, kind="group"),
    MetricInfo("mae", "MAE", "Average size of a prediction error for the group.", False, tasks=_REG, kind="group"),
    MetricInfo("mean_prediction", "Average prediction", "The model's average prediction for the group.", True,
               tasks=_REG, kind="group"),
]}

#: The metric the champion comparison decides on, per task.
PRIMARY_METRIC = {"classification": "roc_auc", "regression": "rmse"}


def metric_info(name: str) -> MetricInfo:
    return METRICS[name]


def gate_metric_names(task: str | None = None) -> list[str]:
    return sorted(n for n, m in METRICS.items() if task is None or task in m.tasks)


def format_value(name: str, value: float | None) -> str:
    """A value the way a person reads it: units, sensible digits."""
    if value is None:
        return "—"
    info = METRICS.get(name)
    unit = info.unit if info else ""
    if unit in ("rows/s", "requests/s"):
        return f"{value:,.0f} {unit}"
    if unit in ("ms", "s", "MB"):
        return f"{value:,.1f} {unit}" if value >= 10 else f"{value:,.2f} {unit}"
    return f"{value:.3f}"
