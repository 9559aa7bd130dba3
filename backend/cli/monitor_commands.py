"""Commands for monitoring production: the job, its daily schedule, alerts and health."""

from __future__ import annotations

import signal
import threading
from datetime import date, datetime, time

import click

from backend.cli.base import cli, open_app, print_json

__all__ = ["cli"]


@cli.group()
def monitor() -> None:
    """Watch production: drift, performance and fairness against the signed-off baseline."""


def _date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD.") from None


def _webhook(app, option: str | None) -> str | None:
    from backend.monitoring import check_webhook_url

    url = option or app.settings.monitor_webhook
    return check_webhook_url(url) if url else None


def _figure(period: dict) -> str:
    performance = period.get("performance") or {}
    kind = performance.get("kind")
    if kind is None:
        return "performance: none yet"
    metrics = performance["realised"] if kind == "realised" else performance["estimated"]["metrics"]
    name = "roc_auc" if "roc_auc" in metrics else next(iter(metrics), None)
    if name is None:
        return "performance: none yet"
    figure = metrics[name]
    return f"{'estimated ' if kind == 'estimated' else ''}{figure['label']} {figure['value']:.3f} ({figure['status']})"


@monitor.command("run")
@click.option("--model", help="Monitor this model only (default: every model in the prediction log).")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="day", show_default=True)
@click.option("--since", callback=_date, help="Judge only the periods from the one holding this day (YYYY-MM-DD).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="spark needs the optional extra: pip install 'greenlight-portal[spark]'.")
@click.option("--webhook", help="POST warning and critical alerts here as JSON (default: GREENLIGHT_MONITOR_WEBHOOK).")
@click.option("--json", "as_json", is_flag=True, help="Print every period's figures and alerts as JSON.")
def monitor_run(model: str | None, period: str, since: date | None, engine: str, webhook: str | None,
                as_json: bool) -> None:
    """Judge each period of the prediction log against the baseline signed off for its version.

    Incremental and idempotent: days already read are not read again, and a period judged from
    the same files gives the same figures and raises no alert twice.
    """
    from backend.governance.accounts import operator
    from backend.monitoring import describe_period, run_monitoring

    app = open_app()
    report = run_monitoring(app, actor=operator().username, model=model, period=period, since=since, engine=engine,
                            webhook=_webhook(app, webhook))
    if as_json:
        print_json(report.as_json())
        return
    for note in report.notes:
        click.echo(f"note: {note}")
    for name, periods in report.models.items():
        click.echo(f"{name}: {len(periods)} {period}{'s' if len(periods) != 1 else ''}")
        for p in periods:
            drift = p["drift"]
            shifted = ", ".join(drift["flagged"]) or ("none" if drift["available"] else "not measured")
            when = describe_period(date.fromisoformat(p["start"]), period)
            click.echo(f"  {when:<26} v{p['version']}  {p['volume']['predictions']:>9,} predictions  "
                       f"shifted: {shifted}; {_figure(p)}{'' if p['complete'] else '  (in progress)'}")
            for alert in p.get("alerts", []):
                click.echo(f"    [{alert['severity']}] {alert['sentence']}")
    s = report.summary
    click.echo(f"Run {report.run_id}: {s['days_read']} days read, {s['outcome_days_read']} with outcomes, "
               f"{s['periods_judged']} periods judged ({s['periods_unchanged']} unchanged), {s['alerts_raised']} new "
               f"alerts, {s['alerts_delivered']} delivered.")


@monitor.command("schedule")
@click.option("--at", "at_", default="02:00", show_default=True, help="Time of the daily run, UTC (HH:MM).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
@click.option("--webhook", help="POST warning and critical alerts here as JSON (default: GREENLIGHT_MONITOR_WEBHOOK).")
@click.option("--run-now", is_flag=True, help="Run once at start, then daily.")
def monitor_schedule(at_: str, engine: str, webhook: str | None, run_now: bool) -> None:
    """Run the monitoring job every day (weekly roll-ups on Mondays, monthly on the 1st) until stopped."""
    from backend.governance.accounts import operator
    from backend.monitoring import run_schedule

    try:
        at = time.fromisoformat(at_)
    except ValueError:
        raise click.BadParameter(f"'{at_}' is not a time of day; use HH:MM.", param_hint="--at") from None
    app = open_app()
    url = _webhook(app, webhook)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Monitoring every day at {at:%H:%M} UTC" + (f", alerts to {url}" if url else "") + ". Ctrl-C stops.")
    try:
        run_schedule(app, actor=f"{operator().username} (schedule)", at=at, engine=engine, webhook=url, stop=stop,
                     run_now=run_now, say=lambda m: click.echo(f"{datetime.now():%Y-%m-%d %H:%M:%S} {m}"))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("Schedule stopped.")


@monitor.command("alerts")
@click.option("--model", help="One model's alerts.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def monitor_alerts(model: str | None, limit: int, as_json: bool) -> None:
    """The newest monitoring alerts, with their delivery to the webhook."""
    from backend.monitoring import MonitoringStore

    alerts = MonitoringStore(open_app().db).alerts(model=model, limit=limit)
    if as_json:
        print_json(alerts)
        return
    if not alerts:
        click.echo("No alerts.")
    for a in alerts:
        delivered = ("delivered" if a.delivered_at else
                     f"not delivered ({a.delivery_attempts} attempts{': ' + a.last_error if a.last_error else ''})")
        click.echo(f"{a.start} {a.model} v{a.version} [{a.severity}] {a.kind}: {a.sentence} — {delivered}")


@monitor.command("health")
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def monitor_health(model: str | None, as_json: bool) -> None:
    """Each model's health from its latest monitoring: healthy, at risk, degraded."""
    from backend.monitoring import HEALTH_LABELS, model_health

    app = open_app()
    names = [model] if model else [m.name for m in app.registry.list_models()]
    health = [model_health(app, name) for name in names]
    if as_json:
        print_json(health)
        return
    for h in health:
        click.echo(f"{h.model:28} {HEALTH_LABELS[h.status]:14} {h.sentence}")
