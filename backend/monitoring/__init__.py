"""Monitoring: what production does with a model once it serves, read from the prediction log
(Parquet by model and day) and judged against the baseline that was signed off.

:func:`run_monitoring` is the job (``greenlight monitor run``); :func:`run_schedule` runs it
daily (``greenlight monitor schedule``); :func:`model_health` is a model's health in one word
for the Portfolio; :class:`MonitoringStore` reads what the job stored, for the portal.
"""

from backend.monitoring.alerts import SEVERITIES, ordinal
from backend.monitoring.engines import ENGINES, DuckDBEngine, SparkEngine, open_engine
from backend.monitoring.health import HEALTH_LABELS, model_health, monitored_version, plain_summary
from backend.monitoring.job import MonitoringReport, ensure_reference, run_monitoring
from backend.monitoring.performance import CBPE_ASSUMPTION
from backend.monitoring.periods import PERIODS, describe_period
from backend.monitoring.schedule import run_schedule
from backend.monitoring.statistics import DRIFT_ALPHA, PSI_MAJOR, PSI_MODERATE
from backend.monitoring.store import MonitoringStore
from backend.monitoring.webhook import WEBHOOK_SEVERITIES, alert_payload, check_webhook_url

__all__ = [
    "run_monitoring",
    "MonitoringReport",
    "run_schedule",
    "model_health",
    "monitored_version",
    "plain_summary",
    "HEALTH_LABELS",
    "MonitoringStore",
    "ensure_reference",
    "open_engine",
    "DuckDBEngine",
    "SparkEngine",
    "ENGINES",
    "PERIODS",
    "describe_period",
    "SEVERITIES",
    "ordinal",
    "DRIFT_ALPHA",
    "PSI_MODERATE",
    "PSI_MAJOR",
    "CBPE_ASSUMPTION",
    "WEBHOOK_SEVERITIES",
    "alert_payload",
    "check_webhook_url",
]
