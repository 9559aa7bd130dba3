"""The Monitoring page: a model's health, performance against the sign-off band, drift, fairness
over time and its alerts, each with a line that says how to read it.

Everything shown was computed and stored by the monitoring job; the page only reads it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.domain import ModelSummary, MonitoringAlert, MonitoringPeriod
from backend.metrics import METRICS, PRIMARY_METRIC
from backend.monitoring import CBPE_ASSUMPTION, HEALTH_LABELS, describe_period, plain_summary
from portal import monitoring_charts, monitoring_data
from portal.errors import errors_shown
from portal.wording import escape_markdown

__all__ = ["render", "PERIOD_LABELS", "alerts_table", "drift_table"]

PERIOD_LABELS = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
_HEALTH_BOX = {"healthy": st.success, "at_risk": st.warning, "degraded": st.error, "not_monitored": st.info}
_SEVERITY_LABELS = {"info": "Info", "warning": "Warning", "critical": "Critical"}
_KIND_LABELS = {"drift": "Input drift", "performance": "Performance", "estimated_performance": "Estimated performance",
                "fairness": "Fairness", "errors": "Scoring errors"}
_STATUS_WORDS = {"within": "within the signed-off range", "better": "better than signed off",
                 "may_decline": "below the signed-off range, possibly by chance",
                 "degraded": "clearly below the signed-off range", "below_gate": "past the policy's limit",
                 "unknown": "not comparable"}


def _md(text: object) -> str:
    return escape_markdown(str(text))


def render(model: ModelSummary) -> None:
    st.header(model.title or model.name)
    health = monitoring_data.health(model.name)
    # The command is shown below as code; in the sentence it is plain words.
    _HEALTH_BOX[health.status](f"**{HEALTH_LABELS[health.status]}.** {_md(health.sentence.replace('`', ''))}",
                               icon=":material/monitor_heart:")
    if health.retraining:
        st.markdown("**Retraining recommended.** The spec to retrain from, and the command a data scientist runs:")
        st.code(health.retraining["command"], language="bash")
    version = monitoring_data.version_shown(model.name)
    if version is None:
        st.info("Nothing to show yet: no period of this model's predictions has been judged. The monitoring job "
                "(`greenlight monitor run`, or its daily schedule) reads the prediction log and fills this page.",
                icon=":material/hourglass_top:")
        return
    period = st.segmented_control("Periods", list(PERIOD_LABELS), format_func=PERIOD_LABELS.get, default="day",
                                  key="monitoring_period") or "day"
    periods = monitoring_data.periods(model.name, period, version)
    st.caption(f"Version {version}" + (" (in production)" if model.production_version == version else "")
               + f", {PERIOD_LABELS[period].lower()} figures, each compared with the baseline signed off for it: the "
               "test-set figures the reviewers approved, with their 95% range.")
    if not periods:
        st.info(f"No {period} of version {version} has been judged yet. Run `greenlight monitor run --period {period}`.",
                icon=":material/hourglass_top:")
        return
    st.markdown(f"**In short:** {_md(plain_summary(periods, model.task))}")
    with errors_shown():
        _performance_section(periods, model.task, version)
    with errors_shown():
        _drift_section(periods)
    with errors_shown():
        _fairness_section(periods)
    with errors_shown():
        _alerts_section(monitoring_data.alerts(model.name))


def _performance_section(periods: list[MonitoringPeriod], task: str, version: int) -> None:
    st.subheader("Performance over time", anchor="performance")
    names = [m for m in METRICS if METRICS[m].kind == "ml" and task in METRICS[m].tasks]
    present = [m for m in names if not monitoring_charts.performance_frame(periods, m).empty]
    if not present:
        latest = periods[-1].result.get("performance") or {}
        st.info(_md(latest.get("reason") or "No performance figure yet."), icon=":material/schedule:")
        return
    primary = PRIMARY_METRIC.get(task)
    metric = st.selectbox("Measure", present, index=present.index(primary) if primary in present else 0,
                          format_func=lambda m: METRICS[m].label, key="monitoring_metric")
    frame = monitoring_charts.performance_frame(periods, metric)
    st.altair_chart(monitoring_charts.performance_chart(frame, METRICS[metric].label), width="stretch")
    st.caption(f"How to read it: each point is one period's {METRICS[metric].label} with its 95% interval. The green "
               f"band is the range signed off for version {version}; a red dashed line is the policy's limit. Green "
               "points are realised (outcomes known); blue ones are estimates from the scores.")
    latest = frame.iloc[-1]
    kind = "estimated" if latest["Kind"] == "Estimated" else "realised"
    st.metric(f"Latest {METRICS[metric].label} ({kind}, {latest['When']})", f"{latest['Value']:.3f}",
              help=METRICS[metric].explanation)
    st.caption(f"{METRICS[metric].explanation} This figure is {_STATUS_WORDS.get(latest['Status'], 'not compared')}.")
    contradicted = _contradicted(periods, metric)
    if contradicted is not None:
        st.warning(f"Where outcomes are known, they contradict the estimate: in {contradicted['when']} the realised "
                   f"{METRICS[metric].label} was {contradicted['realised']:.3f}, outside the "
                   f"{contradicted['low']:.3f}–{contradicted['high']:.3f} the scores predicted. The link between inputs "
                   "and outcome has changed (concept drift), so estimates for periods without outcomes are not to be "
                   "trusted.", icon=":material/report:")
    estimate = (periods[-1].result.get("performance") or {}).get("estimated")
    if estimate:
        st.caption(_md(CBPE_ASSUMPTION + " " + estimate["calibration"]))


def _contradicted(periods: list[MonitoringPeriod], metric: str) -> dict | None:
    """The newest period whose outcomes fall outside what its estimate allowed, if any."""
    for p in reversed(periods):
        comparison = ((p.result.get("performance") or {}).get("comparison") or {}).get(metric)
        if comparison is not None:
            return None if comparison["within"] else {**comparison, "when": describe_period(p.start, p.period)}
    return None


def drift_table(period: MonitoringPeriod) -> pd.DataFrame:
    """The drift of each input in one period, most important input first."""
    rows = [{"Input": f["feature"], "Importance": f.get("importance_rank"),
             "Test": "Kolmogorov–Smirnov" if f["test"] == "ks" else "chi-squared",
             "Statistic": f["statistic"], "Threshold": f["threshold"], "Shifted": "yes" if f["flagged"] else "no",
             "PSI": f["psi"], "Size": f["psi_level"]} for f in (period.result.get("drift") or {}).get("features") or []]
    return pd.DataFrame(rows)


def _drift_section(periods: list[MonitoringPeriod]) -> None:
    st.subheader("Input drift", anchor="drift")
    frame = monitoring_charts.drift_frame(periods)
    latest = periods[-1].result.get("drift") or {}
    if frame.empty:
        st.info(_md(latest.get("reason") or "Drift could not be measured."), icon=":material/help:")
        return
    title = {"day": "Day", "week": "Week starting", "month": "Month"}.get(periods[-1].period)
    st.altair_chart(monitoring_charts.drift_heatmap(frame, title), width="stretch")
    st.caption("How to read it: each cell is how far an input's values moved from the test set in a period (the PSI: "
               "below 0.1 small, 0.1–0.25 moderate, above 0.25 major). A red dot marks a shift beyond what chance "
               "explains, judged with a threshold that accounts for the period's size and for testing every input "
               "at once. The most important inputs are at the top.")
    table = drift_table(periods[-1])
    if not table.empty:
        when = describe_period(periods[-1].start, periods[-1].period)
        st.caption(f"{when[0].upper()}{when[1:]}, input by input:")
        st.dataframe(table, hide_index=True, width="stretch")


def _fairness_section(periods: list[MonitoringPeriod]) -> None:
    st.subheader("Fairness over time", anchor="fairness")
    frame = monitoring_charts.fairness_frame(periods)
    if frame.empty:
        reason = next(((p.result.get("fairness") or {}).get("reason") for p in reversed(periods)), None)
        st.info(_md(reason or "No fairness check could be made yet."), icon=":material/balance:")
        return
    st.altair_chart(monitoring_charts.fairness_chart(frame), width="stretch")
    st.caption("How to read it: the same parity checks as the sign-off's fairness report, on production's decisions "
               "and real outcomes, each with its 95% interval; the red dashed line is the policy's limit.")


def alerts_table(alerts: list[MonitoringAlert]) -> pd.DataFrame:
    return pd.DataFrame([{"Period": describe_period(a.start, a.period), "Version": a.version,
                          "Severity": _SEVERITY_LABELS.get(a.severity, a.severity),
                          "Kind": _KIND_LABELS.get(a.kind, a.kind), "What happened": a.sentence,
                          "Sent to webhook": "yes" if a.delivered_at else "not yet"} for a in alerts])


def _alerts_section(alerts: list[MonitoringAlert]) -> None:
    st.subheader("Alerts", anchor="alerts")
    if not alerts:
        st.success("No alert: every judged period stayed within the range signed off.", icon=":material/check_circle:")
        return
    st.caption("An alert fires when a figure leaves the range agreed at sign-off. Info: worth a look; warning: act; "
               "critical: act now.")
    for alert in [a for a in alerts if a.severity in ("warning", "critical")][:3]:
        st.markdown(f"- **{_SEVERITY_LABELS[alert.severity]}, {_md(describe_period(alert.start, alert.period))}:** "
                    f"{_md(alert.sentence)}")
    st.dataframe(alerts_table(alerts), hide_index=True, width="stretch")
