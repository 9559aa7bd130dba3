"""Commands for the registry, the pipeline and the demo."""

from __future__ import annotations

import sys
import time

import click

from backend.cli.base import (
    clean_text,
    cli,
    jsonable,
    open_app,
    print_json,
    signed_in,
    version_json,
)

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
@click.option("--as", "username", help="Run as this account (its password on standard input); otherwise the API "
                                       "token in GREENLIGHT_TOKEN.")
@click.option("--factory", help="Use this module:function instead of the spec's [estimator].factory.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def pipeline_run(spec: str, commit: str | None, username: str | None, factory: str | None, as_json: bool) -> None:
    """Register a new version from SPEC and run it through every stage.

    The run is made by a signed-in account with the data_scientist role, which becomes the
    version's author. Exits 0 when the version passed every stage, 1 with the reason when one
    failed, 8 without a valid account.
    """
    from backend.pipeline import STAGE_EXPLANATIONS, run_pipeline

    app = open_app()
    actor = signed_in(app, username, purpose="A pipeline run")
    started: dict[str, float] = {}
    out = sys.stderr if as_json else sys.stdout

    from backend.pipeline.reports import FAIRNESS_FAIL_PREFIX

    warned: set[str] = set()

    def progress(stage: str, message: str) -> None:
        took = f"{time.perf_counter() - started.get(stage, time.perf_counter()):.1f} s"
        if message.startswith(FAIRNESS_FAIL_PREFIX):
            warned.add(stage)
        if message == "started":
            started[stage] = time.perf_counter()
            click.echo(f"▶ {stage} — {STAGE_EXPLANATIONS.get(stage, '')}", file=out)
        elif message == "passed" and stage in warned:
            # It ran, but what it found is a failure for the reviewers: never a plain "passed".
            click.echo(f"⚠ {stage} done with failed fairness checks ({took}); the reviewers must acknowledge each",
                       file=out)
        elif message == "passed":
            click.echo(f"✔ {stage} passed ({took})", file=out)
        elif message.startswith("failed: "):
            click.echo(f"✘ {stage} failed: {clean_text(message.removeprefix('failed: '))}", file=out)
        else:
            click.echo(f"    {clean_text(message)}", file=out)

    result = run_pipeline(app, spec, actor=actor, commit=commit, factory=factory, progress=progress)
    if as_json:
        print_json(result)
    if result.passed:
        finished = ("finished the automated stages, with failed fairness checks for the reviewers" if warned
                    else "passed every automated stage")
        click.echo(f"{clean_text(result.model)} version {result.version} {finished}; it now waits for "
                   f"sign-off by: {', '.join(result.waiting_for)}.", file=out)
        return
    click.echo(f"error: {clean_text(result.model)} version {result.version} failed at {result.failed_stage}: "
               f"{clean_text(result.reason)}",
               err=True)
    sys.exit(1)


@pipeline.command("recover")
def pipeline_recover() -> None:
    """Mark stages whose process died (killed, machine lost) as failed, with their versions.

    Every command and the portal do this by themselves when they meet such a stage; this does it
    on demand.
    """
    closed = open_app().registry.recover_stranded()
    if not closed:
        click.echo("No stage is stranded: every stage marked running has a live process.")
        return
    for run in closed:
        click.echo(f"{run.stage}: {run.messages[-1]}")
    click.echo(f"{len(closed)} stranded stage{'s' if len(closed) > 1 else ''} marked failed (interrupted).")


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
    build = next((s for s in stages if s.stage == "build"), None)
    factory = (build.evidence or {}).get("factory") if build else None
    click.echo(f"  author {clean_text(v.author)}, created {v.created_at:%Y-%m-%d %H:%M:%S} UTC, "
               f"commit {clean_text(v.git_commit or '-')}")
    click.echo(f"  estimator {clean_text(v.estimator or '-')} from factory {clean_text(factory or '-')}; "
               f"data {v.data_fingerprint or '-'}; spec {v.spec_hash or '-'}")
    for a in artifacts:
        click.echo(f"  artifact {a.kind}: {clean_text(a.uri)} ({a.size_bytes:,} bytes, sha256 {a.sha256})")
    for name, value in v.metrics.items():
        if name in METRICS:
            click.echo(f"  {METRICS[name].label:18} {format_value(name, value):>14}  {METRICS[name].explanation}")
    for s in stages:
        duration = f"{s.duration_s:.1f} s" if s.duration_s is not None else "running"
        click.echo(f"  stage {s.stage}: {_stage_word(s)} ({duration})")
        for message in s.messages:
            click.echo(f"      {clean_text(message)}")
        for line in _stage_findings(s):
            click.echo(f"      {clean_text(line)}")


def _failed_checks(stage) -> list[dict]:
    fairness = (stage.evidence or {}).get("fairness") or {}
    return [c for c in fairness.get("checks") or [] if c.get("verdict") == "fail"]


def _stage_word(stage) -> str:
    failed = _failed_checks(stage)
    if stage.stage == "reports" and stage.status == "passed" and failed:
        return f"done, with {len(failed)} failed fairness check{'s' if len(failed) > 1 else ''}"
    return stage.status


def _stage_findings(stage) -> list[str]:
    """The failed fairness checks and the comparisons with earlier versions, named."""
    lines = []
    for check in _failed_checks(stage):
        label = check.get("label") or check["metric"].replace("_", " ")
        lines.append(f"✘ failed fairness check {check['feature']}:{check['metric']} — {label} for "
                     f"{check['feature']} is {check['value']:.2f} (95% interval {check['low']:.2f} to "
                     f"{check['high']:.2f}; the policy's limit is {check['threshold']:.2f})")
    for comparison in (stage.evidence or {}).get("comparisons") or []:
        roles = " and ".join(comparison.get("roles") or [])
        if comparison.get("error"):
            lines.append(f"compared with version {comparison['version']} ({roles}): not possible, "
                         f"{comparison['error']}")
            continue
        lines.append(f"compared with version {comparison['version']} ({roles}) on the same rows:")
        for name, interval in (comparison.get("comparison") or {}).items():
            lines.append(f"    {name:10} this {interval['challenger']:.3f}  version {comparison['version']} "
                         f"{interval['champion']:.3f}  difference {interval['difference']:+.3f} "
                         f"(95% interval {interval['low']:+.3f} to {interval['high']:+.3f})")
    return lines


# -- demo -------------------------------------------------------------------------------------

@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (exit 0) when the database is not empty.")
@click.option("--no-traffic", is_flag=True,
              help="Stop after sign-off: no deployment, simulated traffic, canary or monitoring.")
def demo(if_empty: bool, no_traffic: bool) -> None:
    """Build the demo: accounts for every role, and models from the real data in examples/.

    The demo writes only into a database with no models and no accounts; its accounts' passwords
    are public, and every portal page says the database is the demo's.
    """
    from backend.demo import DEMO_ACCOUNTS, DemoRefused, demo_status, seed_demo

    app = open_app()
    started = time.perf_counter()

    def progress(stage: str, message: str) -> None:
        if stage == "demo":
            click.echo(f"▶ {clean_text(message)}")
        elif message.startswith("failed: "):
            click.echo(f"    ✘ {stage}: {clean_text(message.removeprefix('failed: '))}")

    try:
        results = seed_demo(app, progress=progress)
    except DemoRefused as exc:
        if not if_empty:
            raise
        status = demo_status(app)
        if status is None:
            click.echo(f"Not seeding the demo: {exc.message.split(': ', 1)[-1]} The demo's public accounts are "
                       "never added to a database in use.")
        elif status.get("state") == "building":
            click.echo(f"The demo is being built by another process ({status.get('done', 0)} of "
                       f"{status.get('total', '?')} versions so far).")
            _print_accounts(DEMO_ACCOUNTS)
        else:
            click.echo(f"This is the demo database ({status.get('state')}); it is not seeded again.")
            _print_accounts(DEMO_ACCOUNTS)
        return
    for r in results:
        click.echo(f"  {r.model} v{r.version}: "
                   + ("passed every automated stage" if r.passed else f"stopped at {r.failed_stage}"))
    if not no_traffic:
        from backend.demo import examples_dir
        from backend.demo.deployment import seed_deployment

        deployed = seed_deployment(app, examples=examples_dir(), progress=progress)
        click.echo(f"  credit-risk v{deployed.production} in production, v{deployed.canary} as a canary "
                   f"(judge: {deployed.verdict.verdict}); {deployed.history.requests + deployed.canary_traffic.requests:,} "
                   "simulated requests logged")
    click.echo(f"Demo ready in {time.perf_counter() - started:.0f} s.")
    _print_accounts(DEMO_ACCOUNTS)


def _print_accounts(accounts) -> None:
    click.echo("Demo accounts (user / password / role):")
    for a in accounts:
        click.echo(f"  {a.username:6} / {a.password:22} / {', '.join(a.roles)}")
