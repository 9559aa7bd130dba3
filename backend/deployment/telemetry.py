"""The gateway's Prometheus metrics, in a registry of its own (one per gateway object)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["GatewayMetrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("greenlight_gateway_requests", "Scoring requests answered, by model, slot, "
                                "version and HTTP status.", ["model", "slot", "version", "status"], registry=r)
        self.rows = Counter("greenlight_gateway_rows", "Rows scored (outcome=scored) or that the model could not "
                            "score (outcome=error).", ["model", "slot", "version", "outcome"], registry=r)
        self.latency = Histogram("greenlight_gateway_request_seconds", "Time spent in the gateway per scoring "
                                 "request.", ["model", "slot"], buckets=_LATENCY_BUCKETS, registry=r)
        self.refused = Counter("greenlight_gateway_refused_requests", "Requests refused before scoring, by reason "
                               "(HTTP status).", ["status"], registry=r)
        self.feedback = Counter("greenlight_gateway_feedback_outcomes", "True outcomes received.", ["model"],
                                registry=r)
        self.serving = Gauge("greenlight_gateway_serving_version", "The version each slot serves.",
                             ["model", "slot"], registry=r)
        self.canary_percent = Gauge("greenlight_gateway_canary_percent", "The canary's share of live traffic.",
                                    ["model"], registry=r)
        self.slots_age = Gauge("greenlight_gateway_slots_age_seconds", "Seconds since the slots were last read "
                               "from the database.", registry=r)
        self.log_pending = Gauge("greenlight_gateway_log_rows_pending", "Prediction-log rows waiting to be "
                                 "written.", registry=r)
        self.log_written = Gauge("greenlight_gateway_log_rows_written", "Prediction-log rows written since the "
                                 "gateway started.", ["kind"], registry=r)
        self.log_failures = Gauge("greenlight_gateway_log_write_failures", "Prediction-log batches that could not "
                                  "be written (and were kept to try again).", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
