"""The ``greenlight`` command: what CI runners and scripts use.

Every failure prints one readable line on standard error and exits with the error's code
(see :mod:`backend.errors`); ``--json`` prints machine-readable output on standard output.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from datetime import datetime
from typing import Any

import click

from backend.app import App
from backend.config import Settings
from backend.errors import GreenlightError

__all__ = ["main", "cli"]


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _print_json(value: Any) -> None:
    click.echo(json.dumps(_jsonable(value), indent=2, default=str))


def _version_json(version: Any) -> dict[str, Any]:
    return {"version": version.number, **_jsonable(version)}


def _open_app(*, ensure_schema: bool = True) -> App:
    """The app for this command; its connections close when the command ends."""
    app = App.open(Settings.from_env(), ensure_schema=ensure_schema)
    click.get_current_context().call_on_close(app.close)
    return app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Greenlight: take machine-learning models to production safely.

    Settings come from GREENLIGHT_HOME, GREENLIGHT_DB_URL and GREENLIGHT_ARTIFACTS.
    """


# -- db ---------------------------------------------------------------------------------------

@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version."""
    app = _open_app(ensure_schema=False)
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

    app = _open_app()
    started: dict[str, float] = {}
    out = sys.stderr if as_json else sys.stdout

    def progress(stage: str, message: str) -> None:
        if message == "started":
            started[stage] = time.perf_counter()
            click.echo(f"▶ {stage} — {STAGE_EXPLANATIONS.get(stage, '')}", file=out)
        elif message == "passed":
            click.echo(f"✔ {stage} passed ({time.perf_counter() - started.get(stage, time.perf_counter()):.1f} s)", file=out)
        elif message.startswith("failed: "):
            click.echo(f"✘ {stage} failed: {message.removeprefix('failed: ')}", file=out)
        else:
            click.echo(f"    {message}", file=out)

    result = run_pipeline(app, spec, commit=commit, author=author, factory=factory, progress=progress)
    if as_json:
        _print_json(result)
    if result.passed:
        click.echo(f"{result.model} version {result.version} passed every stage.", file=out)
        return
    click.echo(f"error: {result.model} version {result.version} failed at {result.failed_stage}: {result.reason}",
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
    summaries = _open_app().registry.list_models()
    if as_json:
        _print_json([{**_jsonable(s), "latest_version": s.latest_version, "production_version": s.production_version}
                     for s in summaries])
        return
    if not summaries:
        click.echo("No models yet. Run `greenlight pipeline run SPEC` or `greenlight demo`.")
        return
    click.echo(f"{'MODEL':28} {'LATEST':>6} {'STATE':18} {'PRODUCTION':>10}  TITLE")
    for s in summaries:
        click.echo(f"{s.name:28} {s.latest_version or '-':>6} {s.latest_state or '-':18} "
                   f"{s.production_version or '-':>10}  {s.title}")


@cli.command("versions")
@click.argument("model")
@click.option("--limit", default=50, show_default=True, help="Versions per page.")
@click.option("--before", type=int, help="Show versions older than this number (next page).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def versions(model: str, limit: int, before: int | None, as_json: bool) -> None:
    """The version history of MODEL, newest first."""
    page = _open_app().registry.list_versions(model, limit=limit, before=before)
    if as_json:
        _print_json([_version_json(v) for v in page.versions])
        return
    click.echo(f"{'VERSION':>7} {'STATE':18} {'AUTHOR':14} {'CREATED':20} ESTIMATOR")
    for v in page.versions:
        tags = f" [{', '.join(v.aliases)}]" if v.aliases else ""
        click.echo(f"{v.number:>7} {v.state:18} {v.author[:14]:14} {v.created_at:%Y-%m-%d %H:%M:%S} "
                   f"{v.estimator or '-'}{tags}")
    if page.next_before:
        click.echo(f"… {page.total} versions in all; next page: --before {page.next_before}")


@cli.command("version")
@click.argument("model")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def version(model: str, number: int, as_json: bool) -> None:
    """One version with its lineage and the result of every stage."""
    from backend.metrics import METRICS, format_value

    app = _open_app()
    v = app.registry.get_version(model, number)
    stages = app.registry.list_stage_runs(model, number)
    artifacts = app.registry.list_artifacts(model, number)
    if as_json:
        _print_json({**_version_json(v), "stages": stages, "artifacts": artifacts})
        return
    click.echo(f"{model} version {number}: {v.state}" + (f" — {v.failure_reason}" if v.failure_reason else ""))
    click.echo(f"  author {v.author}, created {v.created_at:%Y-%m-%d %H:%M:%S} UTC, commit {v.git_commit or '-'}")
    click.echo(f"  estimator {v.estimator or '-'}; data {v.data_fingerprint or '-'}; spec {v.spec_hash or '-'}")
    for a in artifacts:
        click.echo(f"  artifact {a.kind}: {a.uri} ({a.size_bytes:,} bytes)")
    for name, value in v.metrics.items():
        if name in METRICS:
            click.echo(f"  {METRICS[name].label:18} {format_value(name, value):>14}  {METRICS[name].explanation}")
    for s in stages:
        duration = f"{s.duration_s:.1f} s" if s.duration_s is not None else "running"
        click.echo(f"  stage {s.stage}: {s.status} ({duration})")
        for message in s.messages:
            click.echo(f"      {message}")


# -- audit ------------------------------------------------------------------------------------

@cli.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check that no audit entry was changed, inserted or removed."""
    from backend import audit as audit_log

    app = _open_app()
    with app.db.read() as session:
        report = audit_log.verify(session=session)
    if report.intact:
        click.echo(f"Audit log intact: {report.entries} entries, every link checks out.")
        return
    click.echo(f"error: audit log broken at entry {report.first_bad_seq}: {report.problem}", err=True)
    sys.exit(10)


# -- demo -------------------------------------------------------------------------------------

@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the registry already holds models.")
def demo(if_empty: bool) -> None:
    """Build the demo models from the real data in examples/ with the real pipeline."""
    from backend.demo import seed_demo

    app = _open_app()
    if if_empty and app.registry.list_models():
        click.echo("The registry already holds models; the demo is not seeded again.")
        return
    started = time.perf_counter()

    def progress(stage: str, message: str) -> None:
        if stage == "demo":
            click.echo(f"▶ {message}")
        elif message in ("passed", "started"):
            return
        elif message.startswith("failed: "):
            click.echo(f"    ✘ {stage}: {message.removeprefix('failed: ')}")

    results = seed_demo(app, progress=progress)
    for r in results:
        click.echo(f"  {r.model} v{r.version}: {'passed every stage' if r.passed else 'stopped at ' + r.failed_stage}")
    click.echo(f"Demo ready in {time.perf_counter() - started:.0f} s.")


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="greenlight", standalone_mode=False)
    except GreenlightError as exc:
        click.echo(f"error: {exc.message}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
