"""Commands for the registry, the pipeline and the demo."""

from __future__ import annotations

import sys
import time

import click

from backend.cli.base import clean_text, cli, jsonable, open_app, print_json, version_json

__all__ = ["cli"]


# -- db ---------------------------------------------------------------------------------------

@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version."""
    app = open_app(ensure_schema=False)
    before, after = app.db.upgrade()
    click.echo(f"Database {app.db.safe_url}: schema {before or 'empty'} → {after}")


# -- pipeline ---------------------------------------------------------------------------------

@cli.group()
def pipeline() -> None:
    """Run the CI/CD pipeline."""


@pipeline.command("run")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--commit", help="Git commit of the model's code (default: detected from the spec's folder).")
@click.option("--author", help="Who this version is by (default: the current user).")
@click.option("--factory", help="Use this module:function instead of the spec's [estimator].factory.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def pipeline_run(spec: str, commit: str | None, author: str | None, factory: str | None, as_json: bool) -> None:
    """Register a new version from SPEC and run it through every stage.

    Exits 0 when the version passed every stage, non-zero with the reason when one failed.
    """
    from backend.pipeline import STAGE_EXPLANATIONS, run_pipeline

    app = open_app()
    started: dict[str, float] = {}
    out = sys.stderr if as_json else sys.stdout

    def progress(stage: str, message: str) -> None:
        if message == "started":
            started[stage] = time.perf_counter()
            click.echo(f"▶ {stage} — {STAGE_EXPLANATIONS.get(stage, '')}", file=out)
        elif message == "passed":
            click.echo(f"✔ {stage} passed ({time.perf_counter() - started.get(stage, time.perf_counter()):.1f} s)", file=out)
        elif message.startswith("failed: "):
            click.echo(f"✘ {stage} failed: {clean_text(message.removeprefix('failed: '))}", file=out)
        else:
            click.echo(f"    {clean_text(message)}", file=out)

    result = run_pipeline(app, spec, commit=commit, author=author, factory=factory, progress=progress)
    if as_json:
        print_json(result)
    if result.passed:
        click.echo(f"{clean_text(result.model)} version {result.version} passed every automated stage; it now waits for "
                   f"sign-off by: {', '.join(result.waiting_for)}.", file=out)
        return
    click.echo(f"error: {clean_text(result.model)} version {result.version} failed at {result.failed_stage}: "
               f"{clean_text(result.reason)}",
               err=True)
    sys.exit(1)


# -- registry ---------------------------------------------------------------------------------

@cli.group()
def models() -> None:
    """Registered models."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def models_list(as_json: bool) -> None:
    """Every model with its latest and production versions."""
    summaries = open_app().registry.list_models()
    if as_json:
        print_json([{**jsonable(s), "latest_version": s.latest_version, "production_version": s.production_version}
                     for s in summaries])
        return
    if not summaries:
        click.echo("No models yet. Run `greenlight pipeline run SPEC` or `greenlight demo`.")
        return
    click.echo(f"{'MODEL':28} {'LATEST':>6} {'STATE':18} {'PRODUCTION':>10}  TITLE")
    for s in summaries:
        click.echo(f"{clean_text(s.name):28} {s.latest_version or '-':>6} {s.latest_state or '-':18} "
                   f"{s.production_version or '-':>10}  {clean_text(s.title)}")


@cli.command("versions")
@click.argument("model")
@click.option("--limit", default=50, show_default=True, help="Versions per page.")
@click.option("--before", type=int, help="Show versions older than this number (next page).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def versions(model: str, limit: int, before: int | None, as_json: bool) -> None:
    """The version history of MODEL, newest first."""
    page = open_app().registry.list_versions(model, limit=limit, before=before)
    if as_json:
        print_json([version_json(v) for v in page.versions])
        return
    click.echo(f"{'VERSION':>7} {'STATE':18} {'AUTHOR':14} {'CREATED':20} ESTIMATOR")
    for v in page.versions:
        tags = f" [{', '.join(v.aliases)}]" if v.aliases else ""
        click.echo(f"{v.number:>7} {v.state:18} {clean_text(v.author)[:14]:14} {v.created_at:%Y-%m-%d %H:%M:%S} "
                   f"{clean_text(v.estimator or '-')}{tags}")
    if page.next_before:
        click.echo(f"… {page.total} versions in all; next page: --before {page.next_before}")


@cli.command("version")
@click.argument("model")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def version(model: str, number: int, as_json: bool) -> None:
    """One version with its lineage and the result of every stage."""
    from backend.metrics import METRICS, format_value

    app = open_app()
    v = app.registry.get_version(model, number)
    stages = app.registry.list_stage_runs(model, number)
    artifacts = app.registry.list_artifacts(model, number)
    if as_json:
        print_json({**version_json(v), "stages": stages, "artifacts": artifacts})
        return
    click.echo(f"{clean_text(model)} version {number}: {v.state}"
               + (f" — {clean_text(v.failure_reason)}" if v.failure_reason else ""))
    click.echo(f"  author {clean_text(v.author)}, created {v.created_at:%Y-%m-%d %H:%M:%S} UTC, "
               f"commit {clean_text(v.git_commit or '-')}")
    click.echo(f"  estimator {clean_text(v.estimator or '-')}; data {v.data_fingerprint or '-'}; spec {v.spec_hash or '-'}")
    for a in artifacts:
        click.echo(f"  artifact {a.kind}: {clean_text(a.uri)} ({a.size_bytes:,} bytes)")
    for name, value in v.metrics.items():
        if name in METRICS:
            click.echo(f"  {METRICS[name].label:18} {format_value(name, value):>14}  {METRICS[name].explanation}")
    for s in stages:
        duration = f"{s.duration_s:.1f} s" if s.duration_s is not None else "running"
        click.echo(f"  stage {s.stage}: {s.status} ({duration})")
        for message in s.messages:
            click.echo(f"      {clean_text(message)}")


# -- demo -------------------------------------------------------------------------------------

@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the registry already holds models.")
def demo(if_empty: bool) -> None:
    """Build the demo: accounts for every role, and models from the real data in examples/."""
    from backend.demo import DEMO_ACCOUNTS, seed_demo

    app = open_app()
    if if_empty and app.registry.list_models():
        click.echo("The registry already holds models; the demo is not seeded again.")
        _print_accounts(DEMO_ACCOUNTS)
        return
    started = time.perf_counter()

    def progress(stage: str, message: str) -> None:
        if stage == "demo":
            click.echo(f"▶ {clean_text(message)}")
        elif message.startswith("failed: "):
            click.echo(f"    ✘ {stage}: {clean_text(message.removeprefix('failed: '))}")

    results = seed_demo(app, progress=progress)
    for r in results:
        click.echo(f"  {r.model} v{r.version}: "
                   + ("passed every automated stage" if r.passed else f"stopped at {r.failed_stage}"))
    click.echo(f"Demo ready in {time.perf_counter() - started:.0f} s.")
    _print_accounts(DEMO_ACCOUNTS)


def _print_accounts(accounts) -> None:
    click.echo("Demo accounts (user / password / role):")
    for a in accounts:
        click.echo(f"  {a.username:6} / {a.password:22} / {', '.join(a.roles)}")
