"""Commands for canaries (start, status, judge, promote, rollback) and the KServe export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from backend.cli.base import cli, open_app, print_json, signed_in
from backend.domain import CanaryVerdict, DeploymentStatus, SlotMetrics

__all__ = ["cli", "duration"]

_AS = "Act as this account (its password on standard input); otherwise the API token in GREENLIGHT_TOKEN."
_VERDICT_WORDS = {"pass": "PASS", "fail": "FAIL", "wait": "KEEP WAITING"}


def duration(delta: timedelta) -> str:
    """``2 h 05 min``, ``3 d 4 h``, ``12 min``, ``40 s``: how long, as a person says it."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} ms"


def _print_verdict(verdict: CanaryVerdict) -> None:
    click.echo(f"  verdict: {_VERDICT_WORDS.get(verdict.verdict, verdict.verdict)} (judged "
               f"{verdict.judged_at:%Y-%m-%d %H:%M} UTC by {verdict.judged_by})")
    click.echo(f"    {verdict.headline}")
    for reason in verdict.reasons[1:] if verdict.reasons[:1] == (verdict.headline,) else verdict.reasons:
        click.echo(f"    - {reason}")


def _print_live(live: tuple[SlotMetrics, ...], since: datetime | None) -> None:
    if not live:
        return
    click.echo(f"  live, since {since:%Y-%m-%d %H:%M} UTC:" if since else "  live:")
    click.echo(f"    {'':24}" + "".join(f"{m.slot + ' v' + str(m.version):>18}" for m in live))
    rows = [("predictions", lambda m: f"{m.requests:,}"),
            ("of them simulated", lambda m: f"{m.simulated:,}"),
            ("error rate", lambda m: _percent(m.error_rate)),
            ("latency, median", lambda m: _ms(m.latency_p50_ms)),
            ("latency, 95th percentile", lambda m: _ms(m.latency_p95_ms)),
            ("average score", lambda m: "—" if m.mean_score is None else f"{m.mean_score:.3f}"),
            ("outcomes arrived", lambda m: f"{m.outcomes:,}")]
    for label, value in rows:
        click.echo(f"    {label:24}" + "".join(f"{value(m):>18}" for m in live))


def _print_status(status: DeploymentStatus) -> None:
    serving = status.serving
    click.echo(status.model)
    click.echo(f"  production: {'version ' + str(serving.production) if serving.production else 'nothing yet'}")
    canary = status.canary
    if canary is not None and canary.running:
        click.echo(f"  canary:     version {canary.version} at {canary.traffic_percent:g}% of live traffic, for "
                   f"{duration(datetime.now(UTC) - canary.started_at)} (started by {canary.started_by}); the judge "
                   f"needs {canary.min_requests:,} predictions on each side")
    else:
        click.echo("  canary:     none")
        if canary is not None:
            how = "promoted" if canary.outcome == "promoted" else (
                "rolled back automatically by the judge" if canary.automatic else "rolled back")
            click.echo(f"  last canary: version {canary.version}, {how} on {canary.ended_at:%Y-%m-%d %H:%M} UTC by "
                       f"{canary.ended_by}: {canary.end_reason}")
    click.echo(f"  previous:   {'version ' + str(serving.previous) if serving.previous else '—'}   "
               f"test: {'version ' + str(serving.test) if serving.test else '—'}")
    _print_live(status.live, status.window_start)
    if status.verdict is not None:
        _print_verdict(status.verdict)
    elif canary is not None and canary.running:
        click.echo(f"  verdict: none yet (run `greenlight canary judge {status.model}`)")


@cli.group()
def canary() -> None:
    """Canary deployments: a share of live traffic for a new version, judged against production."""


@canary.command("start")
@click.argument("model")
@click.argument("version", type=int)
@click.option("--traffic", type=float, help="Percent of live traffic for the canary (default: the version's policy, "
                                            "[canary].traffic_percent).")
@click.option("--as", "username", help=_AS)
def canary_start(model: str, version: int, traffic: float | None, username: str | None) -> None:
    """Start a canary of MODEL VERSION beside the production version (an approved version only)."""
    app = open_app()
    actor = signed_in(app, username, purpose="Starting a canary")
    run = app.deployments.start_canary(model, version, traffic, actor=actor)
    click.echo(f"{model} version {run.version} now takes {run.traffic_percent:g}% of live traffic beside production "
               f"version {run.champion}. The judge needs {run.min_requests:,} predictions on each side before a "
               f"pass: `greenlight canary judge {model}`.")


@canary.command("status")
@click.argument("model")
@click.option("--as", "username", help=_AS)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def canary_status(model: str, username: str | None, as_json: bool) -> None:
    """What serves MODEL now, the canary's live figures beside production's, and the latest verdict
    (any signed-in account may read it)."""
    app = open_app()
    signed_in(app, username, purpose="Reading a canary's status")
    status = app.deployments.status(model)
    if as_json:
        print_json(status)
        return
    _print_status(status)


@canary.command("judge")
@click.argument("model")
@click.option("--as", "username", help=_AS)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def canary_judge(model: str, username: str | None, as_json: bool) -> None:
    """Run the canary judge on MODEL's canary now and store its verdict.

    A critical failure (error rate or latency) rolls the canary back by itself.
    """
    app = open_app()
    actor = signed_in(app, username, purpose="Judging a canary")
    verdict = app.deployments.judge(model, actor=actor)
    if as_json:
        print_json(verdict)
        return
    click.echo(f"{model} version {verdict.version} against production version {verdict.production_version}:")
    _print_verdict(verdict)


@canary.command("promote")
@click.argument("model")
@click.option("--override-reason", help="An admin's written reason to promote without a passing verdict.")
@click.option("--version", "number", type=int, help="With no canary running: the approved version to send straight "
                                                    "to production (an admin, with --override-reason).")
@click.option("--as", "username", help=_AS)
def canary_promote(model: str, override_reason: str | None, number: int | None, username: str | None) -> None:
    """Make MODEL's canary the production version; the old one is kept as the rollback target."""
    app = open_app()
    actor = signed_in(app, username, purpose="A promotion")
    before = app.registry.serving_state(model).production
    app.deployments.promote(model, actor=actor, override_reason=override_reason, version=number)
    after = app.registry.serving_state(model).production
    kept = f"; version {before} is kept as the rollback target" if before and before != after else ""
    click.echo(f"{model} version {after} now serves all live traffic{kept}.")


@canary.command("rollback")
@click.argument("model")
@click.option("--reason", required=True, help="Why the canary is stopped (kept in the audit log).")
@click.option("--as", "username", help=_AS)
def canary_rollback(model: str, reason: str, username: str | None) -> None:
    """Send all of MODEL's traffic back to production at once; the canary version is rolled back."""
    app = open_app()
    actor = signed_in(app, username, purpose="A rollback")
    run = app.deployments.rollback(model, actor=actor, reason=reason)
    click.echo(f"{model} version {run.version} is rolled back; all live traffic goes to production version "
               f"{run.champion}.")


@cli.group()
def deploy() -> None:
    """Hand serving to other platforms."""


@deploy.command("export")
@click.argument("model")
@click.option("--format", "fmt", type=click.Choice(["kserve"]), required=True, help="The manifest to write.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default: standard output).")
@click.option("--name", help="The InferenceService's name (default: the model's).")
@click.option("--namespace", help="The Kubernetes namespace.")
@click.option("--storage-uri", help="Where the cluster reads the model file; {model}, {version} and {sha256} are "
                                    "filled in (e.g. s3://models/{model}/{version}).")
@click.option("--runtime", help="The KServe ServingRuntime that loads skops model files.")
def deploy_export(model: str, fmt: str, output: str | None, name: str | None, namespace: str | None,
                  storage_uri: str | None, runtime: str | None) -> None:
    """Write a KServe InferenceService for what serves MODEL now (canaryTrafficPercent with a canary)."""
    from backend.deployment.kserve import to_yaml

    manifest = open_app().deployments.kserve_manifest(model, name=name, namespace=namespace, storage_uri=storage_uri,
                                                      runtime=runtime)
    text = to_yaml(manifest)
    if output:
        Path(output).write_text(text)
        click.echo(f"Wrote the {fmt} manifest of {model} to {output}.", err=True)
    else:
        click.echo(text, nl=False)
