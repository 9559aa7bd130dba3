"""``greenlight artifact get``: export a version's stored file, checked against its SHA-256."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from backend.cli.base import cli, open_app

__all__ = ["cli"]


@cli.group()
def artifact() -> None:
    """A version's stored files (model, reports, model card, scores)."""


@artifact.command("get")
@click.argument("model")
@click.argument("number", type=int)
@click.argument("kind")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (default: standard output).")
def artifact_get(model: str, number: int, kind: str, output: str | None) -> None:
    """Export the KIND file of MODEL version NUMBER (model, sample, test_scores, fairness_report,
    explainability_report, model_card_html, model_card_md).

    The bytes are checked against the SHA-256 the registry recorded before anything is written:
    a changed file is refused (exit 5) and nothing is written.
    """
    app = open_app()
    ref = app.registry.get_artifact(model, number, kind)
    data = app.artifacts.read_bytes(ref)  # raises ArtifactIntegrityError before a byte is written
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(output)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)
    click.echo(f"Wrote {kind} of {model} version {number} to {target} ({len(data):,} bytes, sha256 {ref.sha256}).",
               err=True)
